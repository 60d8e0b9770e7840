"""Stage 6, corpus: pair filters, streaming writers (JSONL, TSV, Moses, TMX), the report, export of a
corpus version and its atomic publication."""
