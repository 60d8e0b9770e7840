"""Offline es/en translation-normalisation pipeline (ingest, segment, detect, translate, repair, publish)."""

__version__ = "0.1.0"
