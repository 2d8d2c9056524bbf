"""Ledger: in, the validated files of `ingest`, merged into one SQLite database (`importer`, `merge`);
out, what is read back from it: people and arrays for `policy`, one person's record with its sources."""
