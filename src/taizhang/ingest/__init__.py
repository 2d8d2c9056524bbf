"""Ingest: in, the files villages send (.xlsx, .xls, CSV, HTML); out, records and problems per file (`FileResult`).

Flow: files, text, html → layout, headers → sheet_<kind> (values, ids) → records, problems; `validation` drives it."""
