"""Offline es/en translation-normalisation pipeline (ingest, segment, detect, translate, repair, publish)."""

# The code version: part of every stage fingerprint, so upgrading reruns what the new code may change.
__version__ = "0.2.0"
