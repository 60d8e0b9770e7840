"""Ingest: raw article bytes -> decoded, ftfy-repaired, whitespace-normalised text with a line map.

Input is a file path; output is an ``Ingested`` record. Decoding accepts UTF-8, UTF-8 with BOM and UTF-16
with BOM; anything else (binary, undecodable, empty) is a reject with a machine-readable reason, never a
crash. Each line of the text keeps the byte range of the raw line it came from, so any segment can be traced
back to the exact place in the original file.
"""
from __future__ import annotations

import codecs
import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ftfy

from pipeline.config import IngestConfig
from pipeline.records import LineMap

# Typographic quotes and dashes are content in news text: keep them (ftfy would straighten quotes).
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=True)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff]")


class IngestError(ValueError):
    """The file cannot be ingested; ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Ingested:
    doc: str
    path: str
    sha256: str
    size: int
    encoding: str | None = None
    text: str = ""
    lines: list[LineMap] = field(default_factory=list)
    fixes: list[dict[str, Any]] = field(default_factory=list)  # what ftfy/normalisation changed, per line
    status: str = "ok"  # ok | rejected
    reason: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)} | {
            "lines": [ln.to_dict() for ln in self.lines]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Ingested":
        d = dict(d)
        d["lines"] = [LineMap(**x) for x in d.get("lines", [])]
        return cls(**d)

    def raw_byte_range(self, start: int, end: int) -> tuple[int, int, bool]:
        """Byte range in the raw file of text[start:end] (a range inside one line); exact=False when the
        line was changed by ingest, in which case the range is the whole raw line."""
        for ln in self.lines:
            if ln.start <= start <= ln.end:
                if ln.changed:
                    return ln.raw_start, ln.raw_end, False
                enc = _char_codec(self.encoding)
                a = ln.raw_start + len(self.text[ln.start:start].encode(enc))
                b = a + len(self.text[start:end].encode(enc))
                return a, b, True
        return 0, 0, False


def _char_codec(encoding: str | None) -> str:
    return "utf-16-le" if encoding in ("utf-16-le", "utf-16") else "utf-16-be" if encoding == "utf-16-be" else "utf-8"


def decode(data: bytes) -> tuple[str, str, int]:
    """Decode raw bytes; returns (text, encoding, bom_length). Raises IngestError for anything else.

    >>> decode("Hola".encode("utf-8-sig"))
    ('Hola', 'utf-8', 3)
    >>> decode("Año".encode("utf-16"))[0]
    'Año'
    >>> decode(b"\\xff\\x00\\x01binary\\x00").__class__
    Traceback (most recent call last):
    pipeline.ingest.reader.IngestError: ...
    """
    if not data.strip():
        raise IngestError("empty", "the file is empty or only whitespace")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc, len(bom)
            except UnicodeDecodeError as exc:
                raise IngestError("undecodable", f"has a {enc} byte-order mark but is not valid {enc}: {exc}")
    if b"\x00" in data[:8192]:
        raise IngestError("binary", "contains NUL bytes and no UTF-16 byte-order mark: not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError("undecodable",
                          f"not valid UTF-8 (byte {exc.start}); re-save it as UTF-8 or UTF-16 with a BOM")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise IngestError("binary", f"{controls} control characters: not a text file")
    return text, "utf-8", 0


def normalise_line(line: str, fix_encoding: bool) -> tuple[str, list[Any]]:
    """ftfy + whitespace normalisation of one line; returns the text and what changed.

    >>> normalise_line("Caf\\u00c3\\u00a9  &amp; bar ", True)[0]
    'Café & bar'
    """
    steps: list[Any] = []
    if fix_encoding:
        fixed, explanation = ftfy.fix_and_explain(line, config=_FTFY)
        if fixed != line:
            steps.extend([list(s) for s in (explanation or [])] or [["ftfy", "fix_text"]])
        line = fixed
    cleaned = _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()
    if cleaned != line:
        steps.append(["normalise", "whitespace"])
    return cleaned, steps


def ingest_bytes(doc: str, path: str, data: bytes, config: IngestConfig | None = None) -> Ingested:
    config = config or IngestConfig()
    rec = Ingested(doc=doc, path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        if len(data) > config.max_bytes:
            raise IngestError("too_large", f"{len(data)} bytes is over ingest.max_bytes={config.max_bytes}")
        text, enc, bom = decode(data)
    except IngestError as exc:
        rec.status, rec.reason, rec.message = "rejected", exc.reason, str(exc)
        return rec
    rec.encoding = enc
    codec = _char_codec(enc)
    out_lines: list[str] = []
    raw_pos = bom
    text_pos = 0
    # keepends so byte offsets stay exact whatever the line ending (\n, \r\n, \r)
    for raw_line in text.splitlines(keepends=True):
        body = raw_line.rstrip("\r\n")
        raw_len = len(raw_line.encode(codec))
        body_len = len(body.encode(codec))
        if body_len > config.max_line_bytes:
            return Ingested(doc=doc, path=path, sha256=rec.sha256, size=rec.size, encoding=enc, status="rejected",
                            reason="line_too_long", message=f"a line of {body_len} bytes is over "
                                                            f"ingest.max_line_bytes={config.max_line_bytes}")
        new, steps = normalise_line(body, config.fix_encoding)
        if steps:
            rec.fixes.append({"line": len(out_lines), "steps": steps})
        rec.lines.append(LineMap(text_pos, text_pos + len(new), raw_pos, raw_pos + body_len, new != body))
        out_lines.append(new)
        text_pos += len(new) + 1
        raw_pos += raw_len
    rec.text = "\n".join(out_lines)
    if not rec.text.strip():
        rec.status, rec.reason, rec.message = "rejected", "empty", "no text after decoding"
    return rec


def ingest_file(doc: str, path: str | Path, config: IngestConfig | None = None) -> Ingested:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        rec = Ingested(doc=doc, path=str(p), sha256="", size=0, status="rejected",
                       reason="unreadable", message=str(exc))
        return rec
    return ingest_bytes(doc, str(p), data, config)
