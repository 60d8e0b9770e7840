"""The published corpus schema: typed records for pairs, their provenance and rejects, and the same schema
as Arrow (Parquet) types and as Hugging Face ``dataset_info.features`` for the dataset card.

Every field of a pair is always present with one type, and no field of ``es-en.jsonl`` is a list: JSON
has no type for an empty list, so a list that is empty in one corpus would make ``datasets`` infer a
different schema per corpus and refuse to load two together. The variable-length provenance (language
spans, engine notes, repairs, flagged repairs) is in ``provenance.jsonl``, one line per pair in the same
order, joined by ``id``.
"""
from __future__ import annotations

from typing import Any, Optional

import msgspec

from pipeline.records import FlagRecord, LangSpan, Note, RepairStep


class Schema(msgspec.Struct, omit_defaults=False):
    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class Texts(Schema, frozen=True):
    """The two sides, as every translation dataset on the Hugging Face Hub has them."""

    es: str
    en: str


class MachineTranslation(Schema, frozen=True):
    """The engine that made the machine-translated side: ``direction`` is origin -> other side."""

    direction: str
    engine: str
    version: str


class Quality(Schema, frozen=True):
    """Quality score in [0, 1] and its parts (see pipeline/corpus/quality.py)."""

    score: float
    round_trip: Optional[float]
    langid: float
    length: float
    numbers: float
    copy: float


class Source(Schema, frozen=True):
    path: str
    start: int
    end: int
    byte_start: int
    byte_end: int
    exact_bytes: bool
    paragraph: int
    thread: str = ""


class Pair(Schema):
    id: str
    doc: str
    segment: int
    kind: str
    translation: Texts
    origin: str
    lang_confidence: float
    mt: MachineTranslation
    engine: str
    quality: Quality
    source: Source

    @property
    def es(self) -> str:
        return self.translation.es

    @property
    def en(self) -> str:
        return self.translation.en


class EngineRun(Schema):
    direction: str
    engine: str
    version: str
    notes: list[Note] = []


class Repair(Schema):
    target: str
    before: str
    rules: list[str]
    steps: list[RepairStep]


class Provenance(Schema):
    id: str
    lang_spans: list[LangSpan]
    translations: list[EngineRun]
    repairs: list[Repair]
    flagged: list[FlagRecord]


class Reject(Schema):
    """A segment (``segment`` set) or a whole document (``segment`` null) that is not in the corpus."""

    id: str
    doc: str
    segment: Optional[int]
    reason: str
    kind: str = ""
    text: str = ""
    lang: str = ""
    lang_confidence: float = 0.0
    translation: Optional[Texts] = None  # set for pairs dropped by a filter
    quality: Optional[Quality] = None  # set for pairs dropped by filters.min_quality
    message: str = ""
    path: str = ""
    source: Optional[Source] = None


# --------------------------------------------------------------------------- field documentation
PAIR_FIELDS: dict[str, str] = {
    "id": "`<doc>:<segment>`, unique in a corpus",
    "doc": "document id (input file stem + short hash)",
    "segment": "index of the segment in its document",
    "kind": "sentence | heading | tweet",
    "translation.es": "Spanish side",
    "translation.en": "English side",
    "origin": "`es` or `en`: which side is the original text; the other side is machine-translated",
    "lang_confidence": "language-detection confidence of the original side, in [0, 1]",
    "mt.direction": "`es-en` or `en-es`: origin -> machine-translated side",
    "mt.engine": "engine that made the machine-translated side (e.g. `apertium`)",
    "mt.version": "engine / model version",
    "engine": "every engine used on this pair, `direction:engine version; ...`",
    "quality.score": "quality score in [0, 1] (logistic combination of the parts below)",
    "quality.round_trip": "chrF-like agreement of the original with the engine's translation of the "
                          "machine-translated side back (null without an engine)",
    "quality.langid": "P(es side is Spanish) x P(en side is English)",
    "quality.length": "agreement of the length ratio with real es/en pairs",
    "quality.numbers": "overlap of numbers, URLs and handles of both sides",
    "quality.copy": "1 - share of words found untranslated on both sides",
    "source.path": "input file",
    "source.start": "character offset of the original in the ingested text",
    "source.end": "end character offset",
    "source.byte_start": "byte offset in the raw input file",
    "source.byte_end": "end byte offset",
    "source.exact_bytes": "false when ingest changed the line (the byte range is then the whole raw line)",
    "source.paragraph": "paragraph index in the document",
    "source.thread": "tweet thread marker such as `1/4`, else empty",
}


def arrow_schema():
    """The Parquet schema of ``es-en.parquet`` (same columns as ``es-en.jsonl``)."""
    import pyarrow as pa

    f64, i64, s = pa.float64(), pa.int64(), pa.string()
    return pa.schema([
        ("id", s), ("doc", s), ("segment", i64), ("kind", s),
        ("translation", pa.struct([("es", s), ("en", s)])),
        ("origin", s), ("lang_confidence", f64),
        ("mt", pa.struct([("direction", s), ("engine", s), ("version", s)])),
        ("engine", s),
        ("quality", pa.struct([("score", f64), ("round_trip", f64), ("langid", f64), ("length", f64),
                               ("numbers", f64), ("copy", f64)])),
        ("source", pa.struct([("path", s), ("start", i64), ("end", i64), ("byte_start", i64),
                              ("byte_end", i64), ("exact_bytes", pa.bool_()), ("paragraph", i64),
                              ("thread", s)])),
    ])


_DTYPES = {"string": "string", "int64": "int64", "double": "float64", "bool": "bool"}


def hf_features(schema=None) -> list[dict[str, Any]]:
    """``dataset_info.features`` in the Hub's YAML form, from the Arrow schema."""
    import pyarrow as pa

    def one(field) -> dict[str, Any]:
        if pa.types.is_struct(field.type):
            return {"name": field.name, "struct": [one(field.type.field(i)) for i in range(field.type.num_fields)]}
        return {"name": field.name, "dtype": _DTYPES[str(field.type)]}

    return [one(f) for f in (schema or arrow_schema())]
