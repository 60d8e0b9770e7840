"""Corpus writers: JSON lines, TSV, Moses line-aligned text, TMX 1.4b, English documents, rejects.

Every writer streams its records to a temporary file in the target folder and renames it into place, so a
killed run never leaves a half-written file under a final name. Output is deterministic: the same pairs
give byte-identical files (no timestamps inside corpus files).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

import regex

import pipeline
from pipeline.io import atomic_open

# XML 1.0 forbids most C0 controls; TMX readers reject them.
_XML_BAD = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAKS = regex.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """Text safe for line-aligned formats: no tabs or line breaks inside.

    >>> one_line("a\\tb\\nc  d")
    'a b c  d'
    """
    return _LINE_BREAKS.sub(" ", text).strip()


class ParallelWriter:
    """Streams kept pairs into ``stem``.jsonl, .tsv, .es, .en and .tmx at once, one pair at a time.

    Used as a context manager: every file is written under a temporary name and renamed into place only
    when the block ends without an error, so readers never see a half-written file.
    """

    def __init__(self, folder: Path, stem: str = "es-en") -> None:
        self.folder, self.stem = Path(folder), stem
        self.count = 0
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "ParallelWriter":
        with contextlib.ExitStack() as stack:
            o = lambda ext: stack.enter_context(atomic_open(self.folder / f"{self.stem}.{ext}"))  # noqa: E731
            self._jsonl, self._tsv, self._es, self._en, self._tmx = (o(x) for x in ("jsonl", "tsv", "es", "en",
                                                                                     "tmx"))
            self._tmx.write(_TMX_HEAD)
            self._stack = stack.pop_all()
        return self

    def write(self, p: dict[str, Any]) -> None:
        self._jsonl.write(json.dumps(p, ensure_ascii=False, sort_keys=True) + "\n")
        s, t = one_line(p["es"]), one_line(p["en"])
        self._tsv.write(f"{s}\t{t}\n")
        self._es.write(s + "\n")
        self._en.write(t + "\n")
        self._tmx.write(_tmx_unit(p))
        self.count += 1

    def __exit__(self, *exc: Any) -> bool | None:
        if exc[0] is None:
            self._tmx.write(_TMX_TAIL)
        return self._stack.__exit__(*exc)

    def counts(self) -> dict[str, int]:
        """Line-aligned files hold one line per pair (the TMX figure is its number of <tu>)."""
        return {f"{self.stem}.{ext}": self.count for ext in ("jsonl", "tsv", "es", "en", "tmx")}


class JsonlWriter:
    """Streams records to one JSON-lines file, atomically (see :func:`atomic_open`)."""

    def __init__(self, path: Path) -> None:
        self._cm = atomic_open(path)
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        self._fh = self._cm.__enter__()
        return self

    def write(self, rec: dict[str, Any]) -> None:
        self._fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        self.count += 1

    def __exit__(self, *exc: Any) -> bool | None:
        return self._cm.__exit__(*exc)


def write_parallel(folder: Path, pairs: Iterable[dict[str, Any]], stem: str = "es-en") -> dict[str, int]:
    """``stem``.jsonl, .tsv, .es, .en and .tmx for the kept pairs; returns line counts per file."""
    with ParallelWriter(folder, stem) as out:
        for p in pairs:
            out.write(p)
    return out.counts()


_TMX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
             '<tmx version="1.4">\n'
             f'  <header creationtool="mt-normalise-pipeline" creationtoolversion={quoteattr(pipeline.__version__)} '
             'datatype="plaintext" segtype="sentence" adminlang="en" srclang="*all*" o-tmf="jsonl"/>\n'
             "  <body>\n")
_TMX_TAIL = "  </body>\n</tmx>\n"


def _xml_text(t: str) -> str:
    return escape(_XML_BAD.sub("", t))


def _tmx_unit(p: dict[str, Any]) -> str:
    """One <tu> per pair, its original side as srclang."""
    origin = p.get("origin") or "es"
    parts = [f'    <tu tuid={quoteattr(str(p["id"]))} srclang="{origin}">\n',
             f'      <prop type="x-doc">{_xml_text(str(p.get("doc", "")))}</prop>\n',
             f'      <prop type="x-engine">{_xml_text(str(p.get("engine", "")))}</prop>\n']
    for lang in ((origin, "en" if origin == "es" else "es")):
        parts.append(f'      <tuv xml:lang="{lang}"><seg>{_xml_text(one_line(p[lang]))}</seg></tuv>\n')
    parts.append("    </tu>\n")
    return "".join(parts)


def write_text(path: Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256, line count) of a file."""
    h = hashlib.sha256()
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            lines += chunk.count(b"\n")
    return h.hexdigest(), lines
