"""Ingest: raw article bytes -> decoded, ftfy-repaired, whitespace-normalised text with a line map.

Input is a file path; output is an ``Ingested`` record. Decoding accepts UTF-8, UTF-8 with BOM and UTF-16
or UTF-32 with BOM; anything else (binary, undecodable, empty, too large, unreadable) is a reject with a
machine-readable reason, never a crash. The size is checked with stat before reading, and the read itself is
bounded, so a huge file never reaches memory. Each line of the text keeps the byte range of the raw line it came from, so any segment can be traced
back to the exact place in the original file.
"""
from __future__ import annotations

import codecs
import dataclasses
import hashlib
import os
import re
import stat
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
    if encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return encoding
    return "utf-16-le" if encoding == "utf-16" else "utf-8"


# UTF-32 first: its little-endian BOM starts with the UTF-16 one
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode(data: bytes) -> tuple[str, str, int]:
    """Decode raw bytes; returns (text, encoding, bom_length). Raises IngestError for anything else.

    >>> decode("Hola".encode("utf-8-sig"))
    ('Hola', 'utf-8', 3)
    >>> decode("Año".encode("utf-16"))[0]
    'Año'
    >>> decode("Año 😀".encode("utf-32"))[:2]
    ('Año 😀', 'utf-32-le')
    >>> decode(b"\\xff\\x00\\x01binary\\x00").__class__
    Traceback (most recent call last):
    pipeline.ingest.reader.IngestError: ...
    """
    if not data.strip():
        raise IngestError("empty", "the file is empty or only whitespace")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc, len(bom)
            except UnicodeDecodeError as exc:
                raise IngestError("undecodable", f"has a {enc} byte-order mark but is not valid {enc}: {exc}")
    nul = data.find(b"\x00")
    if nul >= 0:  # anywhere, not only near the start: a NUL would otherwise vanish in ftfy's clean-up
        raise IngestError("binary", f"contains a NUL byte (first at byte {nul}) and no UTF-16/UTF-32 "
                                    "byte-order mark: not a text file")
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


def read_input(path: str | Path, limit: int) -> bytes:
    """The bytes of an input file, reading at most ``limit + 1`` of them (one more than allowed, so a file
    that grew past the limit after it was checked is still seen as too large). ``O_NONBLOCK``: a FIFO
    that replaced the file must not hang the run."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb", closefd=True) as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        return fh.read(limit + 1)


def ingest_file(doc: str, path: str | Path, config: IngestConfig | None = None) -> Ingested:
    config = config or IngestConfig()
    from pipeline import storage

    if storage.is_remote(path):  # an s3:// object: size from HEAD before the (bounded) GET
        return _ingest_object(doc, str(path), config)
    p = Path(path)
    try:
        size = os.stat(p).st_size
        if size > config.max_bytes:  # before reading: a 1 GB file must not be loaded to be rejected
            return Ingested(doc=doc, path=str(p), sha256="", size=size, status="rejected", reason="too_large",
                            message=f"{size} bytes is over ingest.max_bytes={config.max_bytes}")
        data = read_input(p, config.max_bytes)
    except OSError as exc:
        return Ingested(doc=doc, path=str(p), sha256="", size=0, status="rejected",
                        reason="unreadable", message=str(exc))
    return ingest_bytes(doc, str(p), data, config)


def _ingest_object(doc: str, url: str, config: IngestConfig) -> Ingested:
    from pipeline import storage

    try:
        info = storage.head(url)
        if info is None:
            raise FileNotFoundError(f"no object {url}")
        size = int(info.get("ContentLength", 0))
        if size > config.max_bytes:
            return Ingested(doc=doc, path=url, sha256="", size=size, status="rejected", reason="too_large",
                            message=f"{size} bytes is over ingest.max_bytes={config.max_bytes}")
        data = storage.read_bytes(url)
    except Exception as exc:  # missing, access denied, endpoint down: a rejected document, not a crash
        return Ingested(doc=doc, path=url, sha256="", size=0, status="rejected", reason="unreadable",
                        message=str(exc))
    return ingest_bytes(doc, url, data, config)
