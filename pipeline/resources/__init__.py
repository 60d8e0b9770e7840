"""Shared language resources (word lists, the hunspell loader) and the package's data files."""
