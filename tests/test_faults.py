"""Faults: runs killed with SIGKILL, two runs at once, an output folder that cannot be written, a disk that
fills up mid-export, and an engine that hangs or crashes on one segment.

Runs go through ``python -m pipeline run`` in subprocesses where a process has to die or race; a real
interrupted run is the only honest test of "no partial file is ever taken as complete".
"""
from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import corpus_bytes, env, needs_apertium, pipeline_cmd, write_config
from pipeline.service import operations
from pipeline.cli import main as cli_main
from benchmarks import synth

pytestmark = [needs_apertium, pytest.mark.slow]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Eight synthetic articles and the corpus of one uninterrupted run over them."""
    root = tmp_path_factory.mktemp("faults")
    inputs = root / "in"
    synth.generate(inputs, 8, seed=7)
    config = write_config(root)
    started = time.monotonic()
    subprocess.run(pipeline_cmd(config, inputs, root / "ref"), env=env(), check=True, capture_output=True)
    return inputs, config, corpus_bytes(root / "ref"), time.monotonic() - started


def assert_no_partial_final_files(output: Path) -> None:
    """Every stage file under its final name is whole (a header naming its own fingerprint, every line
    JSON); every corpus version under its final name verifies against its manifest."""
    for path in (output / "work").glob("*/*/*.jsonl"):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0])
        assert header["_header"] and header["fingerprint"] == path.stem, path
        for line in lines[1:]:
            json.loads(line)
    versions = output / "corpus-versions"
    for folder in versions.iterdir() if versions.is_dir() else []:
        if not folder.name.startswith("."):
            assert operations.verify_corpus(folder) == [], folder


def test_sigkill_at_random_points_then_rerun_gives_the_same_corpus(reference, tmp_path):
    inputs, config, expected, duration = reference
    rng = random.Random(1234)
    for trial in range(3):
        output = tmp_path / f"run{trial}"
        proc = subprocess.Popen(pipeline_cmd(config, inputs, output), env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, max(0.5, duration * 0.9)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if output.exists():
            assert_no_partial_final_files(output)
        done = subprocess.run(pipeline_cmd(config, inputs, output), env=env(), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert corpus_bytes(output) == expected
        assert_no_partial_final_files(output)


def test_two_runs_at_once_run_every_task_once(reference, tmp_path):
    inputs, config, expected, _ = reference
    output = tmp_path / "out"
    procs = [subprocess.Popen(pipeline_cmd(config, inputs, output), env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert [rc for rc, _ in results] == [0, 0], results
    starts = Counter(r["task_id"] for r in operations.read_task_logs(str(output)))
    assert starts and max(starts.values()) == 1
    families = Counter(tid.split("(")[0].split("_")[0] for tid in starts)
    # the default for one worker: one batch task for the 8 documents
    assert families["ProcessDocuments"] == 1 and families["ExportCorpus"] == 1
    assert corpus_bytes(output) == expected
    assert_no_partial_final_files(output)


def test_output_path_that_is_a_file_is_a_clear_error(reference, tmp_path, capsys):
    inputs, config, _, _ = reference
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    rc = cli_main(["--config", config, "run", "--input", str(inputs), "--output", str(blocker / "out"),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot write to output folder" in err and "Not a directory" in err


def test_disk_full_during_export_leaves_the_published_corpus_untouched(reference, tmp_path, capsys,
                                                                       monkeypatch):
    inputs, config, expected, _ = reference
    output = tmp_path / "out"
    shutil.copytree(inputs, tmp_path / "in")
    assert cli_main(["--config", config, "run", "--input", str(tmp_path / "in"), "--output", str(output),
                     "--no-progress"]) == 0
    published = os.readlink(output / "corpus")
    before = corpus_bytes(output)
    # a changed article forces a new export, which then meets a full disk
    first = sorted((tmp_path / "in").iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nOne more line from Caracas.\n", encoding="utf-8")
    import pipeline.io as writers

    real_replace = os.replace

    def full_disk(src, dst, *a, **kw):
        if "corpus-versions" in str(dst):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(writers.os, "replace", full_disk)
    capsys.readouterr()
    rc = cli_main(["--config", config, "run", "--input", str(tmp_path / "in"), "--output", str(output),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "ExportCorpus" in err and "No space left on device" in err and "published corpus is unchanged" in err
    assert os.readlink(output / "corpus") == published and corpus_bytes(output) == before
    assert not [p for p in (output / "corpus-versions").iterdir() if p.name.startswith(".tmp-")]


FAKE_APERTIUM = """#!{python}
# Delegates to the real apertium, except on two marker words: one hangs, one crashes.
import subprocess, sys, time
args = sys.argv[1:]
if args == ["-l"]:
    sys.exit(subprocess.call(["apertium", "-l"]))
data = sys.stdin.read()
if "Zanzibarhang" in data:
    time.sleep(120)
if "Zanzibarcrash" in data:
    sys.stderr.write("segmentation fault (simulated)\\n")
    sys.exit(139)
sys.exit(subprocess.run(["apertium", *args], input=data.encode()).returncode)
"""

TWEET = ("Nos reunimos con el canciller {name} para seguir afianzando los acuerdos bilaterales entre "
         "Venezuela y Rusia. pic.twitter.com/OQeZWtNQnl — Carlos Faria (@Fariacrt) July 4, 2022")
OTHER_TWEET = ("Hoy firmamos doce convenios de salud y educación con nuestros hermanos de Cuba, para el bien de "
               "ambos pueblos. pic.twitter.com/DyWcvZOoMh — Cancillería Venezuela (@CancilleriaVE) July 5, 2022")


@pytest.mark.parametrize("marker,reason", [("Zanzibarhang", "timeout"), ("Zanzibarcrash", "engine")])
def test_engine_that_hangs_or_crashes_on_one_segment(tmp_path, marker, reason):
    fake = tmp_path / "apertium"
    fake.write_text(FAKE_APERTIUM.format(python=sys.executable))
    fake.chmod(0o755)
    config = write_config(tmp_path, translation={"timeout_s": 3, "apertium": {"command": str(fake), "timeout_s": 3},
                                                 "cache": {"enabled": False, "path": ".cache/t.sqlite3",
                                                           "max_entries": 1000}})
    inputs = tmp_path / "in"
    inputs.mkdir()
    body = ("The foreign ministers met in Moscow on Monday to discuss cooperation in energy.\n\n"
            f"{TWEET.format(name=marker)}\n\n{OTHER_TWEET}\n\n"
            "The talks will continue next month, officials said.\n")
    (inputs / "bad.txt").write_text(body, encoding="utf-8")
    (inputs / "good.txt").write_text(body.replace(marker, "Gil Pinto"), encoding="utf-8")
    output = tmp_path / "out"
    done = subprocess.run(pipeline_cmd(config, inputs, output), env=env(), capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    rejected = [json.loads(line) for line in (output / "corpus" / "rejected.jsonl").open(encoding="utf-8")]
    failed = [r for r in rejected if r["reason"].startswith("translation_failed:es-en")]
    assert [r["doc"] for r in failed] == ["bad"] and marker in failed[0]["text"]
    assert reason in failed[0]["reason"]
    pairs = [json.loads(line) for line in (output / "corpus" / "es-en.jsonl").open(encoding="utf-8")]
    # the rest of the same document and the other document still give pairs
    assert any(p["doc"] == "bad" and "convenios" in p["translation"]["es"] for p in pairs)
    assert any(p["doc"] == "good" and "Gil Pinto" in p["translation"]["es"] for p in pairs)
