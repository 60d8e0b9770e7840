"""Writers: formats read back by independent readers (translate-toolkit for TMX), atomic writes."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.corpus.writers import write_parallel
from pipeline.io import atomic_open

PAIRS = [
    {"id": "d:1", "doc": "d", "es": "Nos reunimos con @Fariacrt 🇻🇪 <hoy> & \"mañana\"", "en": "We met @Fariacrt 🇻🇪 <today> & \"tomorrow\"", "origin": "es", "engine": "apertium"},
    {"id": "d:2", "doc": "d", "es": "Línea\tcon tab\ny salto", "en": "Line\twith tab\nand break", "origin": "en", "engine": "apertium"},
]


def test_formats_round_trip(tmp_path):
    from translate.storage.tmx import tmxfile

    counts = write_parallel(tmp_path, PAIRS)
    assert counts["es-en.es"] == counts["es-en.en"] == 2
    es = (tmp_path / "es-en.es").read_text(encoding="utf-8").split("\n")
    en = (tmp_path / "es-en.en").read_text(encoding="utf-8").split("\n")
    assert es[:-1] == ["Nos reunimos con @Fariacrt 🇻🇪 <hoy> & \"mañana\"", "Línea con tab y salto"] and es[-1] == ""
    assert len(en) == len(es)
    tsv = (tmp_path / "es-en.tsv").read_text(encoding="utf-8").splitlines()
    assert all(line.count("\t") == 1 for line in tsv)
    assert [json.loads(x)["id"] for x in (tmp_path / "es-en.jsonl").read_text(encoding="utf-8").splitlines()] == ["d:1", "d:2"]
    with open(tmp_path / "es-en.tmx", "rb") as fh:
        tmx = tmxfile(fh, sourcelanguage="es", targetlanguage="en")
    units = [u for u in tmx.units if u.istranslatable()]
    assert len(units) == 2
    # translate-toolkit picks the sides by xml:lang, whatever the pair's original side (tu srclang)
    assert units[0].source == PAIRS[0]["es"] and units[0].target == PAIRS[0]["en"]
    assert units[1].source == "Línea con tab y salto" and units[1].target == "Line with tab and break"


def test_tmx_header_has_required_attributes(tmp_path):
    from lxml import etree

    write_parallel(tmp_path, PAIRS)
    header = etree.parse(str(tmp_path / "es-en.tmx")).find("header")
    for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang", "datatype"):
        assert header.get(attr), attr


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30)), max_size=5))
def test_moses_files_stay_line_aligned(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("w")
    pairs = [{"id": str(i), "es": a, "en": b, "origin": "es"} for i, (a, b) in enumerate(texts)]
    write_parallel(folder, pairs)
    es = (folder / "es-en.es").read_bytes().split(b"\n")
    en = (folder / "es-en.en").read_bytes().split(b"\n")
    assert len(es) == len(en) == len(pairs) + 1


def test_atomic_open_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("killed")
    assert not target.exists() and not list(tmp_path.iterdir())
