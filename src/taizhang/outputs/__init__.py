"""Outputs: due lists, report numbers and ledger rows in, files and text for people out.

Due lists, the daily report, notices and the export; wording lives in `templates/`.
"""
