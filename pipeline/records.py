"""The typed records that flow through every stage: segments, protected and language spans, translations
with their notes, repair steps and review flags, and the header of a stage file.

They are ``msgspec.Struct`` types: JSON (de)serialisation comes from the types (``encode``/``decode``),
so a stage file is validated when it is read and costs a fraction of ``dataclasses.asdict`` + ``json``.
Optional fields that are unset are left out of the JSON (``omit_defaults``), so a person opening a stage
file sees only what a stage recorded.
"""
from __future__ import annotations

from typing import Any, Optional

import msgspec

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


class Record(msgspec.Struct, omit_defaults=True):
    """Base of every record: ``to_dict`` gives plain JSON-ready builtins."""

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        return msgspec.convert(d, cls)


class Span(Record, frozen=True):
    """A protected span (URL, handle, hashtag, emoji, number, date) at [start, end) of a text."""

    start: int
    end: int
    kind: str
    text: str


class LangSpan(Record, frozen=True):
    """A run of one language at [start, end) of a segment's text."""

    start: int
    end: int
    lang: str


class Edit(Record, frozen=True, omit_defaults=False):
    """One replacement of ``old`` at [start, end) by ``new`` in the text a rule was given."""

    start: int
    end: int
    old: str
    new: str
    rule: str = ""
    confidence: float = 1.0


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


# --------------------------------------------------------------------------- repairs
class RepairStep(Record, omit_defaults=False):
    """One rule's applied edits (offsets into the text as it was before this step)."""

    rule: str
    edits: list[Edit]


class Flag(Record, omit_defaults=False):
    """An edit a rule proposed but that was held back for a person to review, and why."""

    rule: str
    edit: Edit
    reason: str


class RepairRecord(Record, omit_defaults=False):
    """The repairs of one side of a segment: ``replay(before, steps)`` gives the repaired text."""

    target: str  # "source" (an English original, before translation) | "translation" (engine English)
    before: str
    steps: list[RepairStep]


class FlagRecord(Record, omit_defaults=False):
    target: str
    before: str
    items: list[Flag]


# --------------------------------------------------------------------------- translation
class Note(Record):
    """Something the translator did to a segment: a glossary term or a name applied, a split, a
    placeholder fallback, a cache hit, the parts of a mixed segment translated (``language_spans``).
    ``type`` says which; the other fields belong to that type."""

    type: str
    from_: Optional[str] = msgspec.field(default=None, name="from")  # glossary | name
    to: Optional[str] = None  # glossary | name
    parts: Optional[int] = None  # split
    level: Optional[str] = None  # cache_hit: "segment" | "piece"
    lost: Optional[list[str]] = None  # placeholder_fallback
    duplicated: Optional[list[str]] = None
    invented: Optional[list[str]] = None
    lang: Optional[str] = None  # language_spans: the source language of the translated parts
    translated: Optional[list[tuple[int, int]]] = None  # language_spans: [start, end) of each, in the source


class Translation(Record, omit_defaults=False):
    """One direction's translation of a segment; ``text`` is None when it failed (``reason`` says why)."""

    text: Optional[str]
    reason: Optional[str]
    engine: str
    version: str
    direction: str
    notes: list[Note] = []
    source: str = ""  # the text given to the engine (an English original: its repaired form)


# --------------------------------------------------------------------------- segments
class SegmentMeta(Record):
    thread: Optional[str] = None  # "1/4" marker of a tweet thread
    duplicate_of_paragraph: Optional[int] = None
    original_kind: Optional[str] = None  # the kind a duplicated segment would have had
    translation_failed: Optional[str] = None  # "es-en:<reason>"


class Segment(Record, omit_defaults=False):
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
    lang_reason: Optional[str] = None
    spans: list[LangSpan] = []
    protected: list[Span] = []
    # English side: for an English original, the repaired source; for Spanish, the repaired translation.
    en: Optional[str] = None
    es: Optional[str] = None
    translation: dict[str, Translation] = {}  # by direction: "es-en", "en-es"
    repairs: list[RepairRecord] = []
    flagged: list[FlagRecord] = []  # repairs held back for review
    meta: SegmentMeta = msgspec.field(default_factory=SegmentMeta)

    @property
    def origin(self) -> Optional[str]:
        """Which side is the original: 'es' or 'en' (None when the segment is neither)."""
        if self.lang in ("es", "en"):
            return self.lang
        return None


# --------------------------------------------------------------------------- stage files
class LineMap(Record, omit_defaults=False):
    """Line ``i`` of the ingested text spans text[start:end] and raw bytes[raw_start:raw_end]."""

    start: int
    end: int
    raw_start: int
    raw_end: int
    changed: bool  # False: the line is byte-for-byte the decoded raw line, so in-line offsets are exact


class StageHeader(Record, omit_defaults=False):
    """First line of every per-document stage file: which document and stage, the fingerprint the file was
    written under, counts, and the ingest facts later stages and the export need."""

    doc: str
    stage: str
    fingerprint: str
    counts: dict[str, int] = {}
    path: str = ""
    sha256: str = ""
    size: int = 0
    encoding: Optional[str] = None
    status: str = "ok"  # ok | rejected
    reason: Optional[str] = None
    message: Optional[str] = None
    fixes: list[dict[str, Any]] = []  # what ftfy/normalisation changed, per line
    lines: list[LineMap] = []
    text: str = ""
    _header: bool = msgspec.field(default=True, name="_header")


_ENCODER = msgspec.json.Encoder(order="sorted")
_SEGMENT_DECODER = msgspec.json.Decoder(Segment)
_HEADER_DECODER = msgspec.json.Decoder(StageHeader)


def encode_line(record: Record) -> bytes:
    """One JSON line (keys sorted, UTF-8, no ASCII escaping) for a stage file."""
    return _ENCODER.encode(record) + b"\n"


def decode_segment(line: bytes | str) -> Segment:
    return _SEGMENT_DECODER.decode(line)


def decode_header(line: bytes | str) -> StageHeader:
    return _HEADER_DECODER.decode(line)
