"""Inputs an operator meets in a real input folder: a 50 MB single line, names with spaces and non-ASCII
characters (empty, binary, undecodable, UTF-16 and third-language files are covered in test_pipeline_e2e)."""
from __future__ import annotations

import json
import shutil
import subprocess

from conftest import SEEDS, env, needs_apertium, pipeline_cmd, write_config
from pipeline.config import IngestConfig

pytestmark = needs_apertium


def test_50mb_single_line_is_rejected_with_a_reason_and_the_rest_goes_on(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    words = b"the minister said that cooperation between both countries will continue "
    (inputs / "dump one line.txt").write_bytes((words * (50_000_000 // len(words) + 1))[:50_000_000])
    shutil.copy(next(SEEDS.glob("003_*.txt")), inputs / "Año nuevo, Caracas.txt")
    output = tmp_path / "out"
    done = subprocess.run(pipeline_cmd(write_config(tmp_path), inputs, output), env=env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 3, done.stderr  # finished, one document rejected
    assert "line_too_long" in done.stderr
    rejects = [json.loads(x) for x in (output / "corpus" / "rejected.jsonl").open(encoding="utf-8")]
    doc_rejects = [r for r in rejects if r["segment"] is None]
    assert [r["reason"] for r in doc_rejects] == ["document:line_too_long"]
    assert f"ingest.max_line_bytes={IngestConfig().max_line_bytes}" in doc_rejects[0]["message"]
    pairs = [json.loads(x) for x in (output / "corpus" / "es-en.jsonl").open(encoding="utf-8")]
    assert pairs and all(p["source"]["path"].endswith("Año nuevo, Caracas.txt") for p in pairs)
    assert {p["doc"] for p in pairs} == {"ano-nuevo-caracas-" + pairs[0]["doc"].rsplit("-", 1)[-1]}
