"""End to end through Luigi on the seed articles (and bad inputs), with the real Apertium engine.

Asserts on the outputs: formats read back, accounting identity, offsets back to the raw bytes, rejects
with reasons, incremental reruns that run exactly the affected tasks.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import luigi
import pytest

from conftest import ROOT, SEEDS, needs_apertium
from pipeline.ingest.inputs import doc_id_for

pytestmark = needs_apertium


def _config(tmp: Path) -> Path:
    text = (ROOT / "configs" / "pipeline.yaml").read_text(encoding="utf-8")
    text = text.replace("engine: auto", "engine: apertium")
    text = text.replace("glossary: glossary.yaml", f"glossary: {ROOT / 'configs' / 'glossary.yaml'}")
    p = tmp / "pipeline.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def build(input_dir: Path, output_dir: Path, config: Path) -> Counter:
    """Run BuildCorpus in-process; returns how many tasks of each family actually ran."""
    from pipeline.tasks import BuildCorpus

    ran: Counter = Counter()

    @luigi.Task.event_handler(luigi.Event.SUCCESS)
    def _count(task):
        ran[task.task_family] += 1

    try:
        result = luigi.build([BuildCorpus(input_dir=str(input_dir), output_dir=str(output_dir),
                                          config_path=str(config))],
                             local_scheduler=True, detailed_summary=True, log_level="WARNING", workers=1)
    finally:
        luigi.Task._event_callbacks[luigi.Task][luigi.Event.SUCCESS].discard(_count)
    assert result.scheduling_succeeded and result.status.name.startswith("SUCCESS"), result.summary_text
    return ran


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    inp = tmp / "in"
    shutil.copytree(SEEDS, inp)
    out = tmp / "out"
    cfg = _config(tmp)
    ran = build(inp, out, cfg)
    return inp, out, cfg, ran


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_all_outputs_and_formats(seed_run):
    from translate.storage.tmx import tmxfile

    inp, out, cfg, ran = seed_run
    corpus = out / "corpus"
    assert corpus.is_symlink()
    pairs = _jsonl(corpus / "es-en.jsonl")
    es = (corpus / "es-en.es").read_text(encoding="utf-8").splitlines()
    en = (corpus / "es-en.en").read_text(encoding="utf-8").splitlines()
    tsv = (corpus / "es-en.tsv").read_text(encoding="utf-8").splitlines()
    assert len(pairs) == len(es) == len(en) == len(tsv) - 1 > 20
    assert [p["translation"]["es"] for p in pairs] == es and [p["translation"]["en"] for p in pairs] == en
    with open(corpus / "es-en.tmx", "rb") as fh:
        units = [u for u in tmxfile(fh).units if u.istranslatable()]
    assert [(u.source, u.target) for u in units] == list(zip(es, en))
    import pyarrow.parquet as pq
    assert pq.read_table(corpus / "es-en.parquet").to_pylist() == pairs
    assert (corpus / "README.md").read_text(encoding="utf-8").startswith("---\nlanguage:")
    for p in pairs:
        assert 0 <= p["quality"]["score"] <= 1 and p["quality"]["round_trip"] is not None
        assert p["mt"]["engine"] == "apertium" and p["mt"]["direction"] == f"{p['origin']}-" + (
            "en" if p["origin"] == "es" else "es")
    assert Counter(p["origin"] for p in pairs).keys() == {"es", "en"}
    for p in pairs:
        assert p["engine"].startswith("e") and "apertium" in p["engine"]
        assert 0 <= p["lang_confidence"] <= 1
    docs = sorted(x.name for x in (corpus / "documents").iterdir())
    assert docs == sorted(f"{p.stem}.en.txt" for p in inp.iterdir())
    report = json.loads((corpus / "report.json").read_text(encoding="utf-8"))
    assert report["accounting"]["holds"]
    assert "<svg" in (corpus / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["es-en.es"]["lines"] == len(es)


def test_accounting_identity_from_the_files(seed_run):
    inp, out, cfg, ran = seed_run
    corpus = out / "corpus"
    segments = 0
    for f in (out / "work" / "segment").rglob("*.jsonl"):
        segments += sum(1 for line in f.read_text(encoding="utf-8").splitlines() if '"_header"' not in line)
    pairs = _jsonl(corpus / "es-en.jsonl")
    rejects = [r for r in _jsonl(corpus / "rejected.jsonl") if r["segment"] is not None]
    assert segments == len(pairs) + len(rejects)
    ids = {p["id"] for p in pairs} | {f"{r['doc']}:{r['segment']}" for r in rejects}
    assert len(ids) == segments  # each segment exactly once


def test_rejects_have_reasons(seed_run):
    inp, out, cfg, ran = seed_run
    reasons = Counter(r["reason"] for r in _jsonl(out / "corpus" / "rejected.jsonl"))
    for expected in ("dateline", "timestamp", "duplicate_paragraph", "tweet_attribution", "hashtag_line"):
        assert reasons[expected] >= 1, reasons


def test_spanish_tweets_translated_with_spans_and_names(seed_run):
    inp, out, cfg, ran = seed_run
    pairs = _jsonl(out / "corpus" / "es-en.jsonl")
    tweets = [p for p in pairs if p["kind"] == "tweet"]
    assert len(tweets) == 2 and all(p["origin"] == "es" for p in tweets)
    first = next(p for p in tweets if p["translation"]["es"].startswith("Nos reunimos"))
    assert first["translation"]["en"].endswith("pic.twitter.com/OQeZWtNQnl")  # protected span byte-identical
    assert "Sergey Lavrov" in first["translation"]["en"]  # the article's own spelling of the name
    second = next(p for p in tweets if "Cancilleres" in p["translation"]["es"])
    for span in ("@Fariacrt", "🇻🇪🤝🏾🇷🇺", "pic.twitter.com/DyWcvZOoMh"):
        assert span in second["translation"]["en"]
    assert first["source"]["thread"] == "1/4"


def test_offsets_lead_back_to_raw_bytes(seed_run):
    inp, out, cfg, ran = seed_run
    for p in _jsonl(out / "corpus" / "es-en.jsonl"):
        src = p["source"]
        raw = Path(src["path"]).read_bytes()
        original = p["translation"]["es"] if p["origin"] == "es" else None
        if src["exact_bytes"] and original is not None:
            assert raw[src["byte_start"]:src["byte_end"]].decode("utf-8") == original


def test_english_documents_repaired(seed_run):
    inp, out, cfg, ran = seed_run
    doc004 = (out / "corpus" / "documents" / "004_d978a184de527eee.en.txt").read_text(encoding="utf-8")
    assert "CaracasAfter" not in doc004 and "RussiaIt" not in doc004
    doc003 = (out / "corpus" / "documents" / "003_158391a6dab5c5a3.en.txt").read_text(encoding="utf-8")
    assert "Nos reunimos" not in doc003 and "pic.twitter.com/OQeZWtNQnl" in doc003


def test_noop_rerun_and_incremental_change(seed_run, tmp_path):
    inp, out, cfg, ran = seed_run
    assert ran["IngestDocument"] == 3 and ran["ExportCorpus"] == 1
    # nothing changed: nothing runs
    assert sum(build(inp, out, cfg).values()) == 0
    # change one article: its six stage tasks, the export and the publish run again, nothing else
    work = tmp_path / "in"
    shutil.copytree(inp, work)
    out2 = tmp_path / "out"
    shutil.copytree(out, out2, symlinks=True)
    f = next(work.glob("003_*.txt"))
    f.write_text(f.read_text(encoding="utf-8") + "\nA new closing sentence was added.\n", encoding="utf-8")
    ran2 = build(work, out2, cfg)
    assert ran2 == Counter({"IngestDocument": 1, "SegmentDocument": 1, "DetectLanguages": 1, "RepairSource": 1,
                            "TranslateSegments": 1, "RepairTranslations": 1, "ExportCorpus": 1,
                            "PublishCorpus": 1, "BuildCorpus": 1}), ran2
    en = (out2 / "corpus" / "es-en.en").read_text(encoding="utf-8")
    assert "A new closing sentence was added." in en


def test_bad_inputs_do_not_stop_the_run(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(next(SEEDS.glob("003_*.txt")), inp / "good article.txt")
    (inp / "empty.txt").write_bytes(b"")
    (inp / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (inp / "latin1.txt").write_bytes("Caf\xe9 con leche y m\xe1s.".encode("latin-1"))
    (inp / "utf16.txt").write_bytes("Nos reunimos con el canciller para revisar la agenda de cooperación.".encode("utf-16"))
    (inp / "português.txt").write_text("O ministro das Relações Exteriores disse que o governo não vai aceitar "
                                       "as sanções e que a cooperação com a Rússia continua.", encoding="utf-8")
    (inp / "links.txt").write_text("https://example.com/a 🇻🇪🤝🏾 @someone #tag pic.twitter.com/AbC123", encoding="utf-8")
    out = tmp_path / "out"
    cfg = _config(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(cfg), "run", "--input", str(inp),
                           "--output", str(out), "--no-progress"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 3, proc.stderr  # finished, something rejected
    rejects = _jsonl(out / "corpus" / "rejected.jsonl")
    doc_reasons = {r["doc"]: r["reason"] for r in rejects if r["segment"] is None}
    # a name not ending in .txt gets a hash in its id ("binary.bin" and "binary.txt" are two documents)
    assert doc_reasons == {"empty": "document:empty", doc_id_for("binary.bin"): "document:binary",
                           "latin1": "document:undecodable"}
    by_doc = {}
    for r in rejects:
        by_doc.setdefault(r["doc"], set()).add(r["reason"])
    assert any(x.startswith("third_language:pt") for x in by_doc[next(d for d in by_doc if d.startswith("portugu"))])
    assert all(x.startswith("language_undetermined") for x in by_doc["links"])
    pairs = _jsonl(out / "corpus" / "es-en.jsonl")
    assert any(p["doc"] == "utf16" and p["origin"] == "es" for p in pairs)
    assert any(p["doc"] == "good-article-" + p["doc"].split("-")[-1] for p in pairs)
    report = json.loads((out / "corpus" / "report.json").read_text(encoding="utf-8"))
    assert report["accounting"]["holds"] and report["counts"]["documents_rejected"] == 3
