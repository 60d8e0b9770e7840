"""Several hosts, one scheduler: luigid on loopback, two `pipeline run` worker processes against it on 200
synthetic articles and one output folder. Every task must run exactly once and the corpus must equal a
one-worker local-scheduler run byte for byte."""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections import Counter

import pytest

from conftest import corpus_bytes, env, needs_apertium, pipeline_cmd, write_config  # luigid: a conftest fixture
from pipeline.service import operations
from benchmarks import synth

pytestmark = [needs_apertium, pytest.mark.slow]
ARTICLES = 200


def test_two_workers_on_one_luigid_run_every_task_once(luigid, tmp_path):
    inputs = tmp_path / "in"
    synth.generate(inputs, ARTICLES, seed=11)
    config = write_config(tmp_path)
    shared, single = tmp_path / "shared", tmp_path / "single"
    # one task per stage and document (--batch-size 0), so that both workers get some of them
    workers = [subprocess.Popen(pipeline_cmd(config, inputs, shared, "--scheduler-url", luigid, "--workers", "1",
                                             "--batch-size", "0"),
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    # the reference run overlaps the shared one: the test stays within a few minutes on two cores
    ref = subprocess.run(pipeline_cmd(config, inputs, single, "--workers", "1"), env=env(), capture_output=True,
                         text=True)
    outs = [(w.wait(timeout=600), w.stderr.read()) for w in workers]
    assert ref.returncode == 0, ref.stderr[-2000:]
    assert [rc for rc, _ in outs] == [0, 0], [err[-2000:] for _, err in outs]

    records = operations.read_task_logs(str(shared))
    starts = Counter(r["task_id"] for r in records)
    assert max(starts.values()) == 1, [t for t, n in starts.items() if n > 1][:5]
    families = Counter(r["family"] for r in records)
    assert families == {"IngestDocument": ARTICLES, "SegmentDocument": ARTICLES, "DetectLanguages": ARTICLES,
                        "RepairSource": ARTICLES, "TranslateSegments": ARTICLES, "RepairTranslations": ARTICLES,
                        "ExportCorpus": 1, "PublishCorpus": 1, "BuildCorpus": 1}
    assert len({r["pid"] for r in records}) == 2  # both workers did part of the work
    # one stage file per stage and document: nothing was written twice under another name
    assert len(list((shared / "work").glob("*/*/*.jsonl"))) == 6 * ARTICLES
    # the scheduler saw every task done
    done = json.load(urllib.request.urlopen(f"{luigid}/api/task_list?data=" + urllib.request.quote(
        json.dumps({"status": "DONE"})), timeout=10))["response"]
    assert sum(1 for t in done.values() if t["name"] == "TranslateSegments") == ARTICLES
    # progress and status messages reached the scheduler (what luigid's web page shows per task)
    translate = [t for t in done.values() if t["name"] == "TranslateSegments"]
    assert {(t["status_message"], t["progress_percentage"]) for t in translate} == {("translate: done", 100)}
    export = [t for t in done.values() if t["name"] == "ExportCorpus"]
    assert export[0]["progress_percentage"] == 100 and "documents" in export[0]["status_message"]

    assert corpus_bytes(shared) == corpus_bytes(single)
    assert os.readlink(shared / "corpus") == os.readlink(single / "corpus")
    assert not operations.verify_corpus(shared / "corpus")
