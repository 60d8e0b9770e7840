"""Abbreviation word lists: the words after which a full stop is not a sentence end.

Reads ``pipeline/resources/data/abbreviations.txt`` (one lower-case abbreviation per line, without its
stop; ``#`` comments), the one place the list lives; used by sentence splitting (pipeline.segment).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def abbreviations(name: str = "abbreviations.txt") -> frozenset[str]:
    """The abbreviations in ``data/<name>``, lower case, without the full stop.

    >>> {"dr", "sra", "sept"} <= abbreviations()
    True
    """
    text = resources.files("pipeline.resources").joinpath("data", name).read_text(encoding="utf-8")
    words = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(w.rstrip(".") for w in words if w)
