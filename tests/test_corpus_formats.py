"""The corpus as consumers read it: two corpora from different inputs load together with Hugging Face
``datasets`` (JSONL and Parquet), Parquet reads in pandas, polars and DuckDB without options, the dataset card
describes the files, every pair has a score, and the accounting identity is checked on the written files."""
from __future__ import annotations

import msgspec
import json
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, needs_apertium
from corpus_fixtures import light_scorer, make_document
from pipeline.config import Config
from pipeline.corpus import export
from pipeline.corpus.export import write_corpus
from pipeline.corpus.schema import hf_features
from pipeline.corpus.writers import ParallelWriter

A = [("Nos reunimos con el canciller en Moscú.", "Nos reunimos con el canciller en Moscú.",
      "We met the chancellor in Moscow."),
     ("The talks covered energy and trade.", "Las conversaciones cubrieron energía y comercio.",
      "The talks covered energy and trade.")]
B = [("El presidente llegó a Caracas el martes.", "El presidente llegó a Caracas el martes.",
      "The president arrived in Caracas on Tuesday."),
     ("La reunión terminó sin acuerdo.", "La reunión terminó sin acuerdo.", "The meeting ended without agreement.")]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Corpus ``plain`` has no notes, repairs, flags or threads; ``rich`` has all of them."""
    root = tmp_path_factory.mktemp("corpora")
    write_corpus(root / "plain", [make_document("plain", B)], Config(), "v1", scorer=light_scorer())
    write_corpus(root / "rich", [make_document("rich", A, rich=True)], Config(), "v2", scorer=light_scorer())
    return root / "plain", root / "rich"


@pytest.fixture
def hf_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_two_corpora_load_together_with_datasets(corpora, hf_offline, fmt):
    from datasets import load_dataset

    plain, rich = corpora
    ext = "jsonl" if fmt == "json" else "parquet"
    for first, second in ((plain, rich), (rich, plain)):  # the first file decides inferred types
        ds = load_dataset(fmt, data_files=[str(first / f"es-en.{ext}"), str(second / f"es-en.{ext}")],
                          split="train")
        assert len(ds) == 4
        assert ds.features["translation"]["es"].dtype == "string"
        assert ds.features["quality"]["score"].dtype == "float64"
        assert {r["translation"]["en"] for r in ds} == {x[2] for x in A + B}
        assert all(0 <= r["quality"]["score"] <= 1 for r in ds)
        assert sorted(r["source"]["thread"] for r in ds) == ["", "", "1/2", "1/2"]


def test_the_dataset_card_loads_the_folder(corpora, hf_offline):
    from datasets import load_dataset

    plain, rich = corpora
    card = (rich / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["language"] == ["es", "en"] and meta["task_categories"] == ["translation"]
    assert meta["license"] and meta["size_categories"] == ["n<1K"]
    assert meta["dataset_info"]["features"] == hf_features()
    assert meta["dataset_info"]["splits"][0]["num_examples"] == 2
    assert "machine-translated English" in card and "| apertium | 0.8 |" in card
    ds = load_dataset(str(rich), split="train")  # configs/data_files and features from the card
    assert len(ds) == 2 and ds[0]["origin"] in ("es", "en")


def test_parquet_reads_in_pandas_polars_and_duckdb(corpora):
    import duckdb
    import pandas as pd
    import polars as pl

    plain, rich = corpora
    rows = [json.loads(x) for x in (rich / "es-en.jsonl").read_text(encoding="utf-8").splitlines()]
    path = str(rich / "es-en.parquet")
    assert pd.read_parquet(path)["id"].tolist() == [r["id"] for r in rows]
    assert pl.read_parquet(path)["translation"].struct.field("es").to_list() == [r["translation"]["es"] for r in rows]
    got = duckdb.sql(f"select translation.en, quality.score from read_parquet('{path}') order by segment").fetchall()
    assert got == [(r["translation"]["en"], r["quality"]["score"]) for r in rows]


def test_every_pair_has_a_score_and_provenance(corpora):
    plain, rich = corpora
    pairs = [json.loads(x) for x in (rich / "es-en.jsonl").read_text(encoding="utf-8").splitlines()]
    prov = [json.loads(x) for x in (rich / "provenance.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in pairs] == [p["id"] for p in prov]
    for p in pairs:
        assert set(p["quality"]) == {"score", "round_trip", "langid", "length", "numbers", "copy"}
        assert all(0 <= v <= 1 for v in p["quality"].values())
    assert prov[0]["repairs"][0]["rules"] == ["test_rule"] and prov[0]["translations"][0]["notes"]
    report = json.loads((rich / "report.json").read_text(encoding="utf-8"))
    assert report["accounting"]["holds"] and report["accounting"]["segments"] == 2


def test_min_quality_rejects_with_the_score(tmp_path):
    cfg = Config()
    cfg = msgspec.structs.replace(cfg, filters=msgspec.structs.replace(cfg.filters, min_quality=1.0))
    write_corpus(tmp_path, [make_document("d", B)], cfg, "v", scorer=light_scorer())
    rejects = [json.loads(x) for x in (tmp_path / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["reason"] for r in rejects] == ["filter:min_quality"] * 2
    assert all(r["quality"]["score"] < 1.0 for r in rejects)
    assert (tmp_path / "es-en.jsonl").read_text(encoding="utf-8") == ""
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["accounting"]["holds"]


def test_accounting_fails_when_a_writer_loses_a_line(tmp_path, monkeypatch):
    class LosingWriter(ParallelWriter):
        def write(self, p, provenance=None):
            if p.segment == 1:  # the line is counted but never reaches es-en.jsonl
                self.count += 1
                return
            super().write(p, provenance)

    monkeypatch.setattr(export, "ParallelWriter", LosingWriter)
    manifest = write_corpus(tmp_path, [make_document("d", B)], Config(), "v", scorer=light_scorer())
    acc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["accounting"]
    assert acc["written"]["pairs"] == 1 and acc["segments"] == 2
    assert not acc["holds"] and not manifest["accounting_holds"]


def _score(lines: bytes, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "score", *extra], input=lines, capture_output=True,
                          cwd=ROOT, timeout=120)


@needs_apertium
def test_score_command_keeps_every_line():
    lines = ("El gobierno aprobó la ley ayer.\tThe government approved the law yesterday.\n"
             "sin tabulador\n"
             "\xff\xfe roto\tbroken\n"
             "El gobierno aprobó la ley ayer.\tEl gobierno aprobó la ley ayer.\n"
             "La reunión terminó sin acuerdo.\tThe meeting ended without agreement.").encode("utf-8", "surrogateescape")
    lines = lines.replace("\xff\xfe".encode(), b"\xff\xfe")
    done = _score(lines)
    assert done.returncode == 0, done.stderr
    scores = [float(x) for x in done.stdout.decode().splitlines()]
    assert len(scores) == 5 and scores[1] == scores[2] == 0.0
    assert b"line 2" in done.stderr and b"line 3" in done.stderr
    assert min(scores[0], scores[4]) > 0.5 > scores[3]
