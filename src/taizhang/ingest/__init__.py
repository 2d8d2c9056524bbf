"""Ingest: files from the villages in, canonical records and problems out.

files → cell grids (`files`) → columns (`headers`, `layout`) → values (`values`) →
records and problems (`validation`). Nothing here knows the ledger.
"""
