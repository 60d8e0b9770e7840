"""Ingest: decoding, ftfy repair, whitespace normalisation and the map back to raw bytes."""
from __future__ import annotations

import codecs

import pytest
from hypothesis import given, strategies as st

from pipeline.config import IngestConfig
from pipeline.ingest.reader import ingest_bytes


def test_utf8_plain(seeds_dir):
    data = (seeds_dir / "003_158391a6dab5c5a3.txt").read_bytes()
    rec = ingest_bytes("003", "x", data)
    assert rec.status == "ok" and rec.encoding == "utf-8"
    assert "Serguéi Lavrov" in rec.text and "🇻🇪🤝🏾🇷🇺" in rec.text
    assert "“did not meet" in rec.text  # typographic quotes are content, kept


@pytest.mark.parametrize("encoding,bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_boms(encoding, bom):
    rec = ingest_bytes("d", "x", bom + "Año nuevo.\r\nSegunda línea".encode(encoding))
    assert rec.status == "ok"
    assert rec.text == "Año nuevo.\nSegunda línea"
    # byte offsets of a word in line 2 point at exactly that word in the raw file
    start = rec.text.index("línea")
    a, b, exact = rec.raw_byte_range(start, start + len("línea"))
    raw = bom + "Año nuevo.\r\nSegunda línea".encode(encoding)
    assert exact and raw[a:b].decode(encoding) == "línea"


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"   \n\t\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"caf\xe9 con leche", "undecodable"),
    (bytes(range(1, 32)) * 20, "binary"),
])
def test_bad_inputs_are_rejected_with_reason(data, reason):
    rec = ingest_bytes("d", "x", data)
    assert rec.status == "rejected" and rec.reason == reason and rec.message


def test_too_large_is_rejected():
    from pipeline.config import IngestConfig

    rec = ingest_bytes("d", "x", b"a" * 100, IngestConfig(max_bytes=10))
    assert rec.reason == "too_large"


def test_mojibake_and_entities_repaired_and_recorded():
    rec = ingest_bytes("d", "x", "The cafÃ© &amp; the  bar\u00a0here.\nSecond.".encode("utf-8"))
    assert rec.text.split("\n")[0] == "The café & the bar here."
    assert rec.fixes and rec.fixes[0]["line"] == 0
    assert rec.lines[0].changed and not rec.lines[1].changed
    # a changed line maps to the whole raw line, flagged inexact
    a, b, exact = rec.raw_byte_range(0, 3)
    assert not exact and (a, b) == (0, rec.lines[0].raw_end)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40), max_size=8))
def test_unchanged_lines_map_exactly(lines):
    raw = "\n".join(lines)
    rec = ingest_bytes("d", "x", raw.encode("utf-8"))
    if rec.status != "ok":
        return
    data = raw.encode("utf-8")
    for ln in rec.lines:
        if not ln.changed and ln.end > ln.start:
            assert data[ln.raw_start:ln.raw_end].decode("utf-8") == rec.text[ln.start:ln.end]


def test_a_line_over_the_byte_limit_rejects_the_document():
    cfg = IngestConfig(max_line_bytes=10)
    ok = ingest_bytes("d", "d.txt", "ñandú 1234\nshort\n".encode(), cfg)  # 10 characters but 12 bytes
    assert ok.status == "rejected" and ok.reason == "line_too_long" and "12 bytes" in ok.message
    assert ingest_bytes("d", "d.txt", b"0123456789\nshort\n", cfg).status == "ok"  # exactly at the limit
    utf16 = ingest_bytes("d", "d.txt", codecs.BOM_UTF16_LE + "abcdef\n".encode("utf-16-le"), cfg)
    assert utf16.reason == "line_too_long" and utf16.encoding  # counted in the file's own encoding


# --- hostile inputs: encodings, NUL bytes, sizes -----------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_with_bom_is_not_taken_for_utf16(encoding):
    text = "Año nuevo 😀 en Caracas.\nSegunda línea"
    data = text.encode(encoding) if encoding == "utf-32" else codecs.BOM_UTF32_BE + text.encode(encoding)
    rec = ingest_bytes("d", "x", data)
    assert rec.status == "ok" and rec.text == text and rec.encoding.startswith("utf-32")
    start = rec.text.index("línea")
    a, b, exact = rec.raw_byte_range(start, start + len("línea"))
    assert exact and data[a:b].decode(rec.encoding) == "línea"


def test_nul_byte_after_the_first_8k_is_not_dropped_silently():
    rec = ingest_bytes("d", "x", b"Hola mundo.\n" * 1000 + b"Una l\x00inea.\n")
    assert rec.status == "rejected" and rec.reason == "binary" and "byte 12005" in rec.message


def test_size_is_checked_before_reading(tmp_path):
    import tracemalloc

    from pipeline.ingest.reader import ingest_file

    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: no disk used
    tracemalloc.start()
    try:
        rec = ingest_file("big", big, IngestConfig(max_bytes=1024 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rec.status == "rejected" and rec.reason == "too_large" and rec.size == 64 * 1024 * 1024
    assert peak < 4 * 1024 * 1024


def test_published_files_get_the_umask_permissions(tmp_path):
    import os

    from pipeline.io import atomic_open

    old = os.umask(0o027)
    try:
        with atomic_open(tmp_path / "f.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o640


def test_doc_ids_differ_for_every_file_name():
    from pipeline.ingest.inputs import doc_id_for

    names = ["report.txt", "report.md", "report", "report.txt.txt", "Report.txt", "año.txt", "ano.txt"]
    assert len({doc_id_for(n) for n in names}) == len(names)
