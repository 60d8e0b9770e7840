"""Corpus writers: JSON lines, TSV, Moses line-aligned text, TMX 1.4b, English documents, rejects.

Every writer streams its records to a temporary file in the target folder and renames it into place, so a
killed run never leaves a half-written file under a final name. Output is deterministic: the same pairs
give byte-identical files (no timestamps inside corpus files).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

import regex

import pipeline

# XML 1.0 forbids most C0 controls; TMX readers reject them.
_XML_BAD = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAKS = regex.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` and rename it over ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8",
                       newline=None if "b" in mode else "\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def one_line(text: str) -> str:
    """Text safe for line-aligned formats: no tabs or line breaks inside.

    >>> one_line("a\\tb\\nc  d")
    'a b c  d'
    """
    return _LINE_BREAKS.sub(" ", text).strip()


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    n = 0
    with atomic_open(path) as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def write_parallel(folder: Path, pairs: list[dict[str, Any]], stem: str = "es-en") -> dict[str, int]:
    """``stem``.jsonl, .tsv, .es, .en and .tmx for the kept pairs; returns line counts per file."""
    counts = {f"{stem}.jsonl": write_jsonl(folder / f"{stem}.jsonl", pairs)}
    with atomic_open(folder / f"{stem}.tsv") as tsv, atomic_open(folder / f"{stem}.es") as es, \
            atomic_open(folder / f"{stem}.en") as en:
        for p in pairs:
            s, t = one_line(p["es"]), one_line(p["en"])
            tsv.write(f"{s}\t{t}\n")
            es.write(s + "\n")
            en.write(t + "\n")
    for ext in ("tsv", "es", "en"):
        counts[f"{stem}.{ext}"] = len(pairs)
    write_tmx(folder / f"{stem}.tmx", pairs)
    counts[f"{stem}.tmx"] = len(pairs)
    return counts


def write_tmx(path: Path, pairs: Iterable[dict[str, Any]]) -> None:
    """TMX 1.4b with the required header attributes; one <tu> per pair, its original side as srclang."""
    def clean(t: str) -> str:
        return escape(_XML_BAD.sub("", t))

    with atomic_open(path) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write('<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n')
        fh.write('<tmx version="1.4">\n')
        fh.write(f'  <header creationtool="mt-normalise-pipeline" creationtoolversion={quoteattr(pipeline.__version__)} '
                 'datatype="plaintext" segtype="sentence" adminlang="en" srclang="*all*" o-tmf="jsonl"/>\n')
        fh.write("  <body>\n")
        for p in pairs:
            origin = p.get("origin") or "es"
            fh.write(f'    <tu tuid={quoteattr(str(p["id"]))} srclang="{origin}">\n')
            fh.write(f'      <prop type="x-doc">{clean(str(p.get("doc", "")))}</prop>\n')
            fh.write(f'      <prop type="x-engine">{clean(str(p.get("engine", "")))}</prop>\n')
            for lang in ((origin, "en" if origin == "es" else "es")):
                fh.write(f'      <tuv xml:lang="{lang}"><seg>{clean(one_line(p[lang]))}</seg></tuv>\n')
            fh.write("    </tu>\n")
        fh.write("  </body>\n</tmx>\n")


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
