"""Data model shared by every stage: segments, protected spans, language spans and repair edits.

Everything here is a plain dataclass that round-trips through JSON (``to_dict``/``from_dict``), because
every intermediate file is JSON lines a person can open.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Segment kinds produced by segmentation.
KINDS = (
    "heading",
    "sentence",
    "tweet",
    "tweet_attribution",
    "hashtag_line",
    "dateline",
    "timestamp",
    "duplicate",
    "empty",
)


@dataclass(frozen=True)
class Span:
    """A protected span (URL, handle, hashtag, emoji, number, date) at [start, end) of a text."""

    start: int
    end: int
    kind: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Span":
        return cls(**d)


@dataclass(frozen=True)
class LangSpan:
    """A run of one language at [start, end) of a segment's text."""

    start: int
    end: int
    lang: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LangSpan":
        return cls(**d)


@dataclass(frozen=True)
class Edit:
    """One replacement of ``old`` at [start, end) by ``new`` in the text a rule was given."""

    start: int
    end: int
    old: str
    new: str
    rule: str = ""
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Edit":
        return cls(**d)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits whose offsets refer to ``text``.

    >>> apply_edits("in CaracasAfter the", [Edit(10, 15, "After", " after")])
    'in Caracas after the'
    """
    out = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError(f"overlapping edits at {e.start}")
        if text[e.start:e.end] != e.old:
            raise ValueError(f"edit expects {e.old!r} at {e.start}, found {text[e.start:e.end]!r}")
        out.append(text[pos:e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


@dataclass
class Segment:
    """One unit of an article, carried through every stage.

    ``start``/``end`` are character offsets into the ingested document text (after decoding and ftfy),
    so ``document_text[start:end] == text`` always holds; the ingest record keeps the map back to the
    raw file.
    """

    doc: str
    index: int
    start: int
    end: int
    text: str
    kind: str
    paragraph: int = 0
    lang: str = "und"
    confidence: float = 0.0
    lang_reason: str | None = None
    spans: list[LangSpan] = field(default_factory=list)
    protected: list[Span] = field(default_factory=list)
    # English side: for an English original, the repaired source; for Spanish, the repaired translation.
    en: str | None = None
    es: str | None = None
    translation: dict[str, Any] | None = None  # {engine, version, direction, source, output, notes}
    repairs: list[dict[str, Any]] = field(default_factory=list)  # [{rule, target, edits:[Edit...]}]
    flagged: list[dict[str, Any]] = field(default_factory=list)  # repairs held back for review
    meta: dict[str, Any] = field(default_factory=dict)  # thread marker, reject reason, ...

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Segment":
        d = dict(d)
        d["spans"] = [LangSpan.from_dict(s) for s in d.get("spans", [])]
        d["protected"] = [Span.from_dict(s) for s in d.get("protected", [])]
        return cls(**d)

    @property
    def origin(self) -> str | None:
        """Which side is the original: 'es' or 'en' (None when the segment is neither)."""
        if self.lang in ("es", "en"):
            return self.lang
        return None
