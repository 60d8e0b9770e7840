"""Corpus writers: JSON lines, Parquet, TSV, Moses line-aligned text, TMX 1.4b, English documents, rejects.

Every writer streams its records to a temporary file in the target folder and renames it into place, so a
killed run never leaves a half-written file under a final name. Output is deterministic: the same pairs
give byte-identical files (no timestamps inside corpus files).
"""
from __future__ import annotations

import contextlib
import io
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

import msgspec
import regex

import pipeline
from pipeline.corpus import schema
from pipeline.io import atomic_open

# XML 1.0 forbids most C0 controls; TMX readers reject them.
_XML_BAD = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAKS = regex.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """Text safe for line-aligned formats: no tabs or line breaks inside.

    >>> one_line("a\\tb\\nc  d")
    'a b c  d'
    """
    if text.isprintable():  # no line break or tab (none of them is printable): nothing to replace
        return text.strip()
    return _LINE_BREAKS.sub(" ", text).strip()


TSV_COLUMNS = ("es", "en")
ORIGIN_TSV_COLUMNS = ("id", "origin", "mt_engine", "quality", "es", "en")
# Parquet row groups are cut at this many characters of text (or rows), so the buffer stays small
ROW_GROUP_CHARS = 1 << 19
ROW_GROUP_ROWS = 10_000
_PAIR_ENCODER = msgspec.json.Encoder()


def tsv_field(text: str) -> str:
    """A TSV field: one line; wrapped in double quotes (inner quotes doubled) when it contains a quote,
    as the csv module and pandas write and read it.

    >>> print(tsv_field('a "b" c'), tsv_field("plain"))
    "a ""b"" c" plain
    """
    text = one_line(text)
    return '"' + text.replace('"', '""') + '"' if '"' in text else text


def tsv_line(fields: Iterable[str]) -> str:
    return "\t".join(tsv_field(f) for f in fields) + "\n"


class ParallelWriter:
    """Streams kept pairs (:class:`Pair`) into ``stem``.jsonl, .parquet, .tsv, .origin.tsv, .es, .en and
    .tmx, and their provenance into provenance.jsonl, one pair at a time.

    Used as a context manager: every file is written under a temporary name and renamed into place only
    when the block ends without an error, so readers never see a half-written file. Parquet rows are
    buffered up to one row group (:data:`ROW_GROUP_CHARS`), so memory does not grow with the corpus. They
    are buffered as their JSON lines and turned into Arrow columns by pyarrow's JSON reader against the
    schema: the same table as ``Table.from_pylist`` of their dicts, without pyarrow's conversion of Python
    objects, which imports pandas (about 50 MiB) to check whether it was handed a DataFrame.
    """

    def __init__(self, folder: Path, stem: str = "es-en") -> None:
        self.folder, self.stem = Path(folder), stem
        self.count = 0
        self._stack = contextlib.ExitStack()
        self._rows: list[bytes] = []  # the pairs of the next row group, as JSON lines
        self._chars = 0

    def __enter__(self) -> "ParallelWriter":
        import pyarrow.parquet as pq

        with contextlib.ExitStack() as stack:
            o = lambda name, mode="w": stack.enter_context(atomic_open(self.folder / name, mode))  # noqa: E731
            self._jsonl, self._tsv, self._otsv, self._es, self._en, self._tmx = (
                o(f"{self.stem}.{x}") for x in ("jsonl", "tsv", "origin.tsv", "es", "en", "tmx"))
            self._prov = o("provenance.jsonl")
            self._schema = schema.arrow_schema()
            self._parquet = stack.enter_context(pq.ParquetWriter(o(f"{self.stem}.parquet", "wb"), self._schema,
                                                                 compression="zstd"))
            self._tsv.write(tsv_line(TSV_COLUMNS))
            self._otsv.write(tsv_line(ORIGIN_TSV_COLUMNS))
            self._tmx.write(_TMX_HEAD)
            self._stack = stack.pop_all()
        return self

    def write(self, p: schema.Pair, provenance: schema.Provenance | None = None) -> None:
        line = _PAIR_ENCODER.encode(p)
        self._jsonl.write(line.decode("utf-8") + "\n")
        if provenance is not None:
            self._prov.write(_PAIR_ENCODER.encode(provenance).decode("utf-8") + "\n")
        s, t = one_line(p.es), one_line(p.en)
        self._tsv.write(tsv_line((s, t)))
        self._otsv.write(tsv_line((p.id, p.origin, p.mt.engine, f"{p.quality.score:.4f}", s, t)))
        self._es.write(s + "\n")
        self._en.write(t + "\n")
        self._tmx.write(_tmx_unit(p))
        self._rows.append(line)
        self._chars += len(p.es) + len(p.en)
        if self._chars >= ROW_GROUP_CHARS or len(self._rows) >= ROW_GROUP_ROWS:
            self._flush()
        self.count += 1

    def _flush(self) -> None:
        import pyarrow.json as pj

        if self._rows:
            data = b"\n".join(self._rows) + b"\n"
            table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=len(data) + 1),
                                 parse_options=pj.ParseOptions(explicit_schema=self._schema,
                                                               unexpected_field_behavior="error"))
            self._parquet.write_table(table)
        self._rows, self._chars = [], 0

    def __exit__(self, *exc: Any) -> bool | None:
        if exc[0] is None:
            self._flush()
            self._tmx.write(_TMX_TAIL)
        return self._stack.__exit__(*exc)

    def counts(self) -> dict[str, int]:
        """Records per file: text files hold one line per pair plus a header line for the TSVs (the TMX
        figure is its number of <tu>, the Parquet figure its rows)."""
        out = {f"{self.stem}.{ext}": self.count for ext in ("jsonl", "parquet", "es", "en", "tmx")}
        out.update({f"{self.stem}.tsv": self.count + 1, f"{self.stem}.origin.tsv": self.count + 1})
        return out


class JsonlWriter:
    """Streams records (msgspec Structs or dicts) to one JSON-lines file, atomically (see :func:`atomic_open`)."""

    def __init__(self, path: Path) -> None:
        self._cm = atomic_open(path)
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        self._fh = self._cm.__enter__()
        return self

    def write(self, rec: Any) -> None:
        if isinstance(rec, dict):
            self._fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        else:
            self._fh.write(_PAIR_ENCODER.encode(rec).decode("utf-8") + "\n")
        self.count += 1

    def __exit__(self, *exc: Any) -> bool | None:
        return self._cm.__exit__(*exc)


def write_parallel(folder: Path, pairs: Iterable[schema.Pair], stem: str = "es-en") -> dict[str, int]:
    """Every pair format for the kept pairs; returns record counts per file."""
    with ParallelWriter(folder, stem) as out:
        for p in pairs:
            out.write(p)
    return out.counts()


# One source language for the whole file (Spanish first whatever the pair's original side), so readers
# such as translate-toolkit take ``source`` = es and ``target`` = en for every unit.
_TMX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
             '<tmx version="1.4">\n'
             f'  <header creationtool="mt-normalise-pipeline" creationtoolversion={quoteattr(pipeline.__version__)} '
             'datatype="plaintext" segtype="sentence" adminlang="en" srclang="es" o-tmf="jsonl"/>\n'
             "  <body>\n")
_TMX_TAIL = "  </body>\n</tmx>\n"


def _xml_text(t: str) -> str:
    return escape(t if t.isprintable() else _XML_BAD.sub("", t))  # the characters it drops are unprintable


def _tmx_unit(p: schema.Pair) -> str:
    """One <tu> per pair, es then en; which side is the original, the engine and the score as <prop>s."""
    props = (("x-origin", p.origin), ("x-engine", p.mt.engine), ("x-engine-version", p.mt.version),
             ("x-quality", f"{p.quality.score:.4f}"), ("x-doc", p.doc))
    parts = [f'    <tu tuid={quoteattr(p.id)} srclang="es">\n']
    parts += [f'      <prop type="{k}">{_xml_text(v)}</prop>\n' for k, v in props]
    parts += [f'      <tuv xml:lang="es"><seg>{_xml_text(one_line(p.es))}</seg></tuv>\n',
              f'      <tuv xml:lang="en"><seg>{_xml_text(one_line(p.en))}</seg></tuv>\n',
              "    </tu>\n"]
    return "".join(parts)


def write_text(path: Path, text: str, fsync: bool = True) -> None:
    with atomic_open(path, fsync=fsync) as fh:
        fh.write(text)


def write_json(path: Path, obj: Any) -> None:
    """``obj`` as indented, key-sorted JSON and a newline, streamed to the file: the same bytes as
    ``json.dumps(...) + "\n"`` without the whole text (and the list of its pieces) in memory; report.json
    and manifest.json have an entry per input document."""
    with atomic_open(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256, line count) of a file."""
    h = hashlib.sha256()
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            lines += chunk.count(b"\n")
    return h.hexdigest(), lines
