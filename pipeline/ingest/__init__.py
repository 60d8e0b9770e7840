"""Stage 1, ingest: decode a raw article (UTF-8/16 with BOMs), repair its encoding with ftfy, and keep a
map from the ingested text back to the raw bytes. Bad files become rejected records, never crashes."""
