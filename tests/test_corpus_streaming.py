"""The corpus writer streams: documents are consumed one at a time, pairs go straight to their files, and
the memory it holds does not grow with the number of pairs (only a digest per pair for deduplication and
a short record per document)."""
from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path

import pytest

from corpus_fixtures import FixedScorer
from pipeline.config import Config
from pipeline.corpus.export import DocumentResult, write_corpus
from pipeline.ingest.reader import ingest_bytes
from pipeline.records import RepairRecord, RepairStep, Segment, StageHeader, Translation

LONG = " ".join(["The delegation discussed energy, agriculture and trade in local currencies."] * 6)
LARGO = " ".join(["La delegación habló de energía, agricultura y comercio en monedas locales."] * 6)


def _tag(i: int, j: int) -> str:
    return "".join(chr(97 + int(c, 16)) for c in hashlib.sha1(f"{i}-{j}".encode()).hexdigest()[:12])


def _doc(i: int) -> DocumentResult:
    """A document of 40 sentences with long texts and long repair records, every pair distinct."""
    tags = [_tag(i, j) for j in range(40)]  # letters only: digits would make every pair a near-duplicate
    lines = [f"Sentence {tag}: {LONG}" for tag in tags]
    text = "\n".join(lines) + "\n"
    ing = ingest_bytes(f"d{i:05d}", f"in/d{i:05d}.txt", text.encode())
    segments, pos = [], 0
    for j, line in enumerate(lines):
        start = ing.text.index(line, pos)
        pos = start + len(line)
        segments.append(Segment(doc=ing.doc, index=j, start=start, end=pos, text=line, kind="sentence",
                                paragraph=j, lang="en", confidence=0.99, en=line,
                                es=f"Frase {tags[j]}: {LARGO}",
                                translation={"en-es": Translation(f"Frase {tags[j]}: {LARGO}", None, "apertium",
                                                                  "test", "en-es")},
                                repairs=[RepairRecord("source", line * 3, [RepairStep("test_rule", [])] * 5)]))
    header = StageHeader(ing.doc, "repair", "fp", status="ok", path=ing.path, sha256=ing.sha256, size=ing.size,
                         encoding=ing.encoding, text=ing.text, lines=list(ing.lines))
    return DocumentResult(ing.doc, header, segments)


def _peak_while_writing(folder: Path, n_docs: int) -> tuple[int, dict]:
    cfg = Config()
    consumed = []

    def docs():
        for i in range(n_docs):
            consumed.append(i)
            yield _doc(i)

    tracemalloc.start()
    try:
        manifest = write_corpus(folder, docs(), cfg, version="v", scorer=FixedScorer())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert consumed == list(range(n_docs))
    return peak, manifest


def test_peak_memory_does_not_grow_with_the_corpus(tmp_path):
    small_peak, small = _peak_while_writing(tmp_path / "small", 10)
    big_peak, big = _peak_while_writing(tmp_path / "big", 100)
    assert small["pairs"] == 400 and big["pairs"] == 4000
    # 3,600 more pairs of ~2.5 kB each (about 9 MB as JSON) held in lists would add tens of MB; a streaming
    # writer adds only per-pair digests and per-document records (well under 1 MB)
    assert big_peak - small_peak < 2_000_000, (small_peak, big_peak)
    size = sum((tmp_path / "big" / name).stat().st_size for name in ("es-en.jsonl", "provenance.jsonl"))
    assert size > 8_000_000  # the pairs really were that big


def test_streamed_files_are_complete_and_in_document_order(tmp_path):
    _, manifest = _peak_while_writing(tmp_path / "c", 5)
    rows = [json.loads(x) for x in (tmp_path / "c" / "es-en.jsonl").open(encoding="utf-8")]
    assert [r["id"] for r in rows] == [f"d{i:05d}:{j}" for i in range(5) for j in range(40)]
    assert manifest["files"]["es-en.tmx"]["lines"] > 0
    for name in ("es-en.es", "es-en.en", "provenance.jsonl"):
        assert manifest["files"][name]["lines"] == 200
    assert manifest["files"]["es-en.tsv"]["lines"] == 201  # a header line
    report = json.loads((tmp_path / "c" / "report.json").read_text(encoding="utf-8"))
    assert report["accounting"]["holds"] and report["per_repair_rule"] == {"test_rule": 1000}
    assert not list((tmp_path / "c").glob(".*.tmp"))


def test_a_failure_mid_corpus_leaves_no_file_under_a_final_name(tmp_path):
    def docs():
        yield _doc(0)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_corpus(tmp_path / "f", docs(), Config(), version="v", scorer=FixedScorer())
    names = {p.name for p in (tmp_path / "f").iterdir()}
    assert not names & {"es-en.jsonl", "es-en.parquet", "es-en.tmx", "rejected.jsonl", "manifest.json", "report.json"}
    assert not [n for n in names if n.endswith(".tmp")]
