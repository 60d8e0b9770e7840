"""Writers: every format read back by an independent reader (translate-toolkit and lxml for TMX, pyarrow for
Parquet, pandas and csv for TSV, msgspec for JSONL), and atomic writes."""
from __future__ import annotations

import csv

import msgspec
import pytest
from hypothesis import given, settings, strategies as st

from corpus_fixtures import make_pair
from pipeline.corpus.schema import Pair, arrow_schema
from pipeline.corpus.writers import _XML_BAD, one_line, write_parallel
from pipeline.io import atomic_open

PAIRS = [
    make_pair(1, "Nos reunimos con @Fariacrt 🇻🇪 <hoy> & \"mañana\"", "We met @Fariacrt 🇻🇪 <today> & \"tomorrow\"",
              "es", 0.91),
    make_pair(2, "Línea\tcon tab\ny salto", "Line\twith tab\nand break", "en", 0.12),
    make_pair(3, '"Hola" dijo', "NA", "es", 0.5),
]


def test_formats_round_trip(tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq
    from translate.storage.tmx import tmxfile

    counts = write_parallel(tmp_path, PAIRS)
    assert counts["es-en.es"] == counts["es-en.en"] == 3
    es = (tmp_path / "es-en.es").read_text(encoding="utf-8").split("\n")
    assert es[:-1] == [PAIRS[0].es, "Línea con tab y salto", '"Hola" dijo'] and es[-1] == ""
    # TSV: a header line, CSV quoting of fields with quotes
    tsv = pd.read_csv(tmp_path / "es-en.tsv", sep="\t", keep_default_na=False)
    assert list(tsv.columns) == ["es", "en"]
    assert tsv.to_dict("records") == [{"es": one_line(p.es), "en": one_line(p.en)} for p in PAIRS]
    otsv = pd.read_csv(tmp_path / "es-en.origin.tsv", sep="\t", keep_default_na=False)
    assert list(otsv["origin"]) == ["es", "en", "es"] and list(otsv["quality"]) == [0.91, 0.12, 0.5]
    assert list(otsv["id"]) == ["d:1", "d:2", "d:3"]
    # JSONL: the typed records back
    rows = [msgspec.json.decode(x, type=Pair) for x in (tmp_path / "es-en.jsonl").read_bytes().splitlines()]
    assert rows == PAIRS
    # Parquet: the declared schema and the exact texts
    table = pq.read_table(tmp_path / "es-en.parquet")
    assert table.schema == arrow_schema()
    assert table.to_pylist() == [p.to_dict() for p in PAIRS]
    # TMX: translate-toolkit, told nothing, takes Spanish as the source of every unit
    with open(tmp_path / "es-en.tmx", "rb") as fh:
        tmx = tmxfile(fh)
    assert tmx.getsourcelanguage() == "es"
    units = [u for u in tmx.units if u.istranslatable()]
    assert [(u.source, u.target) for u in units] == [(one_line(p.es), one_line(p.en)) for p in PAIRS]


def test_tmx_header_and_units_agree(tmp_path):
    from lxml import etree

    write_parallel(tmp_path, PAIRS)
    root = etree.parse(str(tmp_path / "es-en.tmx"))
    header = root.find("header")
    for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang", "datatype"):
        assert header.get(attr), attr
    assert header.get("srclang") == "es"
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for tu, pair in zip(root.iter("tu"), PAIRS):
        assert tu.get("srclang") in (None, "es")
        assert [tuv.get(lang) for tuv in tu.findall("tuv")] == ["es", "en"]
        props = {p.get("type"): p.text for p in tu.findall("prop")}
        assert props["x-origin"] == pair.origin and props["x-engine"] == "apertium"
        assert float(props["x-quality"]) == pair.quality.score


texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(texts, texts, st.sampled_from(["es", "en"])), max_size=6))
def test_every_format_round_trips(tmp_path_factory, rows):
    import pyarrow.parquet as pq
    from lxml import etree

    folder = tmp_path_factory.mktemp("w")
    pairs = [make_pair(i, a, b, o) for i, (a, b, o) in enumerate(rows)]
    write_parallel(folder, pairs)
    es = (folder / "es-en.es").read_bytes().split(b"\n")
    en = (folder / "es-en.en").read_bytes().split(b"\n")
    assert len(es) == len(en) == len(pairs) + 1
    with open(folder / "es-en.tsv", newline="", encoding="utf-8") as fh:
        tsv = list(csv.reader(fh, delimiter="\t"))
    assert tsv == [["es", "en"]] + [[one_line(p.es), one_line(p.en)] for p in pairs]
    assert pq.read_table(folder / "es-en.parquet").to_pylist() == [p.to_dict() for p in pairs]
    decoded = [msgspec.json.decode(x, type=Pair) for x in (folder / "es-en.jsonl").read_bytes().splitlines()]
    assert decoded == pairs
    segs = [s.text or "" for s in etree.parse(str(folder / "es-en.tmx")).iter("seg")]
    assert segs == [_XML_BAD.sub("", one_line(t)) for p in pairs for t in (p.es, p.en)]


def test_atomic_open_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("killed")
    assert not target.exists() and not list(tmp_path.iterdir())
