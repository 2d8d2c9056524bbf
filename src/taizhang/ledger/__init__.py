"""Ledger: validated files in, the SQLite ledger and its read views out.

`importer` merges `ingest` results into the `store`; `snapshot` hands the ledger to the
policy engine as arrays; `person_view` shows one person with the source of every value.
"""
