"""Inputs an operator meets in a real input folder: a 50 MB single line, names with spaces and non-ASCII
characters (empty, binary, undecodable, UTF-16 and third-language files are covered in test_pipeline_e2e);
links, FIFOs, folders and unreadable files; inputs that change while a run reads them; publish guards; a
corrupt translation cache; bad bytes on the line tools.

Changes during a run are made by a hook around the ingest of each document (``hook_ingest``): the point
between scheduling, where fingerprints are taken, and reading the file; runs are in-process with one
worker, so the order is deterministic and no test sleeps.
"""
from __future__ import annotations

import builtins
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import SEEDS, corpus_bytes, env, needs_apertium, pipeline_cmd, write_config
from pipeline.cli import main as cli_main
from pipeline.config import IngestConfig
from pipeline.tasks import document as document_tasks

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


# --- hostile folders and inputs that change during a run ------------------------------------------------------


def three_articles(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, folder / seed.name)
    return folder


def run_cli(config, inputs, output, *extra):
    return cli_main(["--config", config, "run", "--input", str(inputs), "--output", str(output), "--no-progress",
                     *extra])


def jsonl(path):
    return [json.loads(line) for line in path.open(encoding="utf-8")]


@pytest.fixture
def setup(tmp_path):
    inputs = three_articles(tmp_path / "in")
    config = write_config(tmp_path)
    reference = tmp_path / "ref"
    assert run_cli(config, inputs, reference) == 0
    return inputs, config, corpus_bytes(reference)


def hook_ingest(monkeypatch, before=None, after=None):
    """Call ``before(path, calls)``/``after(path, calls)`` around each document's ingest: the point between
    scheduling (fingerprints taken) and reading an input."""
    real = document_tasks.ingest_file
    calls = []

    def hooked(doc, path, config=None):
        calls.append(str(path))
        if before:
            before(str(path), calls)
        try:
            return real(doc, path, config)
        finally:
            if after:
                after(str(path), calls)

    monkeypatch.setattr(document_tasks, "ingest_file", hooked)


def test_input_deleted_mid_run_and_put_back_is_not_published(setup, tmp_path, monkeypatch, capsys):
    inputs, config, expected = setup
    saved = {}

    def before(path, calls):
        if len(calls) == 1:  # the first document read: take away one not read yet
            victim = next(p for p in sorted(inputs.iterdir()) if str(p) != path)
            saved[str(victim)] = victim.read_bytes()
            victim.unlink()

    def after(path, calls):
        if path in saved:  # its read failed: put it back
            (inputs / os.path.basename(path)).write_bytes(saved.pop(path))

    hook_ingest(monkeypatch, before, after)
    output = tmp_path / "out"
    capsys.readouterr()
    assert run_cli(config, inputs, output) == 1
    err = capsys.readouterr().err
    assert "changed after the run was scheduled" in err and not (output / "corpus").exists()
    monkeypatch.undo()
    assert run_cli(config, inputs, output) == 0
    assert corpus_bytes(output) == expected


def test_input_modified_and_reverted_mid_run_is_not_published(setup, tmp_path, monkeypatch, capsys):
    inputs, config, expected = setup
    original = {}

    def before(path, calls):
        if len(calls) == 2:  # edit the file about to be read, revert it once read
            original[path] = open(path, "rb").read()
            with open(path, "ab") as fh:
                fh.write("\nEsta frase no está en ningún archivo de entrada.\n".encode())

    def after(path, calls):
        if path in original:
            with open(path, "wb") as fh:
                fh.write(original.pop(path))

    hook_ingest(monkeypatch, before, after)
    output = tmp_path / "out"
    capsys.readouterr()
    assert run_cli(config, inputs, output) == 1
    assert "changed after the run was scheduled" in capsys.readouterr().err
    assert not (output / "corpus").exists()
    monkeypatch.undo()
    assert run_cli(config, inputs, output) == 0
    assert corpus_bytes(output) == expected
    report = json.loads((output / "corpus" / "report.json").read_text(encoding="utf-8"))
    assert all(d["sha256"] == hashlib.sha256(open(d["path"], "rb").read()).hexdigest() for d in report["inputs"])


def test_input_added_mid_run_is_not_published_under_the_old_id(setup, tmp_path, monkeypatch, capsys):
    inputs, config, expected = setup
    output = tmp_path / "out"
    assert run_cli(config, inputs, output) == 0
    published = os.readlink(output / "corpus")
    first = sorted(inputs.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nOne more line from Caracas.\n", encoding="utf-8")

    def before(path, calls):
        if len(calls) == 1:
            shutil.copy(SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[-1], inputs / "zz-late.txt")

    hook_ingest(monkeypatch, before)
    capsys.readouterr()
    assert run_cli(config, inputs, output) == 1
    err = capsys.readouterr().err
    assert "inputs changed during the run (added" in err and "zz-late.txt" in err
    assert "published corpus is unchanged" in err and os.readlink(output / "corpus") == published
    monkeypatch.undo()
    assert run_cli(config, inputs, output) == 0
    report = json.loads((output / "corpus" / "report.json").read_text(encoding="utf-8"))
    assert "zz-late" in {d["doc"] for d in report["inputs"]}


def test_empty_input_folder_and_a_shrinking_corpus_need_a_flag(setup, tmp_path, capsys):
    inputs, config, expected = setup
    output = tmp_path / "out"
    assert run_cli(config, inputs, output) == 0
    published = os.readlink(output / "corpus")
    empty = tmp_path / "unmounted"
    empty.mkdir()
    capsys.readouterr()
    assert run_cli(config, empty, output) == 4
    assert "no input files" in capsys.readouterr().err and os.readlink(output / "corpus") == published
    few = tmp_path / "few"
    few.mkdir()
    shutil.copy(sorted(inputs.iterdir())[1], few)  # the article with the fewest pairs: over half of them gone
    assert run_cli(config, few, output) == 4
    err = capsys.readouterr().err
    assert "pass --allow-shrink" in err and "published corpus is unchanged" in err
    assert os.readlink(output / "corpus") == published
    assert run_cli(config, few, output, "--allow-shrink") == 0 and os.readlink(output / "corpus") != published
    assert run_cli(config, empty, output, "--allow-empty") == 0
    assert jsonl(output / "corpus" / "es-en.jsonl") == []


FAILING_APERTIUM = """#!{python}
import subprocess, sys
if sys.argv[1:] == ["-l"]:
    sys.exit(subprocess.call(["apertium", "-l"]))
sys.stdin.read()
sys.stderr.write("engine down (simulated)\\n")
sys.exit(1)
"""


def test_engine_failing_on_every_segment_does_not_publish(tmp_path, capsys):
    fake = tmp_path / "apertium"
    fake.write_text(FAILING_APERTIUM.format(python=sys.executable))
    fake.chmod(0o755)
    config = write_config(tmp_path, translation={"apertium": {"command": str(fake), "timeout_s": 5},
                                                 "cache": {"enabled": False, "path": ".cache/t.sqlite3",
                                                           "max_entries": 1000}})
    inputs = three_articles(tmp_path / "in")
    capsys.readouterr()
    assert run_cli(config, inputs, tmp_path / "out") == 4
    err = capsys.readouterr().err
    assert "failed on every segment" in err and not (tmp_path / "out" / "corpus").exists()


def test_links_fifos_and_folders_are_rejected_with_a_reason(tmp_path, capsys):
    inputs = three_articles(tmp_path / "in")
    outside = tmp_path / "secret.txt"
    outside.write_text("The secret password of the minister is swordfish.\n", encoding="utf-8")
    first = sorted(inputs.iterdir())[0]
    (inputs / "outside-link.txt").symlink_to(outside)
    (inputs / "inside-link.txt").symlink_to(first.name)
    (inputs / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (inputs / "loop.txt").symlink_to(inputs / "loop.txt")
    os.mkfifo(inputs / "pipe.txt")
    (inputs / "archive").mkdir()
    output = tmp_path / "out"
    assert run_cli(write_config(tmp_path), inputs, output) == 3
    reasons = {r["path"].rsplit("/", 1)[-1]: r["reason"] for r in jsonl(output / "corpus" / "rejected.jsonl")
               if r["segment"] is None}
    assert reasons == {"outside-link.txt": "document:symlink_outside_input", "dangling.txt": "document:dangling_symlink",
                       "loop.txt": "document:symlink_loop", "pipe.txt": "document:fifo",
                       "archive": "document:directory"}
    pairs = jsonl(output / "corpus" / "es-en.jsonl")
    assert not any("swordfish" in (p["translation"]["en"] + p["translation"]["es"]) for p in pairs)
    report = json.loads((output / "corpus" / "report.json").read_text(encoding="utf-8"))
    assert {d["doc"]: d["status"] for d in report["inputs"]}["inside-link"] == "ok"  # a link inside is read


def test_unreadable_file_is_rejected_and_the_rest_published(tmp_path, monkeypatch, capsys):
    # Tests run as root, which reads any file whatever its mode: simulate EACCES for one path at the
    # level of open(2) (both the builtin and os.open), where a real permission error would come from.
    inputs = three_articles(tmp_path / "in")
    locked = str(sorted(inputs.iterdir())[1])
    real_open, real_os_open = builtins.open, os.open

    def deny(path):
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (deny(f), real_open(f, *a, **k))[1])
    monkeypatch.setattr(os, "open", lambda f, *a, **k: (deny(f), real_os_open(f, *a, **k))[1])
    output = tmp_path / "out"
    assert run_cli(write_config(tmp_path), inputs, output) == 3
    monkeypatch.undo()
    rejects = [r for r in jsonl(output / "corpus" / "rejected.jsonl") if r["segment"] is None]
    assert [(r["path"], r["reason"]) for r in rejects] == [(locked, "document:unreadable")]
    assert "Permission denied" in rejects[0]["message"]
    assert len({p["doc"] for p in jsonl(output / "corpus" / "es-en.jsonl")}) == 2


def test_same_stem_different_names_keep_both_documents(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], inputs / "report.txt")
    shutil.copy(seeds[1], inputs / "report.md")
    output = tmp_path / "out"
    assert run_cli(write_config(tmp_path), inputs, output) == 0
    pairs = jsonl(output / "corpus" / "es-en.jsonl")
    assert len({p["id"] for p in pairs}) == len(pairs)
    assert len({p["doc"] for p in pairs}) == 2 and len(list((output / "corpus" / "documents").iterdir())) == 2


def test_corpus_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        output = tmp_path / "out"
        assert run_cli(write_config(tmp_path), three_articles(tmp_path / "in"), output) == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (output / "corpus").rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {0o644}, modes


@pytest.mark.parametrize("argv,message", [
    (["--output", "gs://bucket/x"], "URLs are not supported"),  # s3:// works: tests/test_s3.py
    (["--input", "https://example.org/in"], "URLs are not supported"),
    (["--workers", "0"], "--workers must be 1 or more"),
    (["--output", "{inputs}/out"], "is inside --input"),
])
def test_bad_paths_and_workers_are_usage_errors(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)  # "gs://bucket/x" taken as a local path would land here
    inputs = three_articles(tmp_path / "in")
    argv = [a.format(inputs=inputs) for a in argv]
    args = {"--input": str(inputs), "--output": str(tmp_path / "out"), **dict(zip(argv[::2], argv[1::2]))}
    rc = cli_main(["--config", write_config(tmp_path), "run", "--no-progress",
                   *[x for kv in args.items() for x in kv]])
    assert rc == 2 and message in capsys.readouterr().err
    assert not (inputs / "out").exists() and not (tmp_path / "gs:").exists()


def test_engine_override_writes_no_derived_config(tmp_path):
    config = write_config(tmp_path)
    text = open(config, encoding="utf-8").read()
    open(config, "w", encoding="utf-8").write(text.replace("engine: apertium", "engine: argos"))
    before = open(config, "rb").read()
    output = tmp_path / "out"
    assert cli_main(["--config", config, "run", "--input", str(three_articles(tmp_path / "in")), "--output",
                     str(output), "--no-progress", "--engine", "apertium"]) == 0
    assert not (output / ".run-config").exists() and open(config, "rb").read() == before
    report = json.loads((output / "corpus" / "report.json").read_text(encoding="utf-8"))
    assert report["config"]["settings"]["translation"]["engine"] == "apertium"
    assert {e["engine"] for e in report["engines"].values()} == {"apertium"}


def test_corrupt_translation_cache_is_moved_aside_and_rebuilt(tmp_path, capsys):
    config = write_config(tmp_path, translation={"cache": {"enabled": True, "path": ".cache/t.sqlite3",
                                                           "max_entries": 1000}})
    output = tmp_path / "out"
    (output / ".cache").mkdir(parents=True)
    (output / ".cache" / "t.sqlite3").write_bytes(b"this is not an sqlite database\n" * 200)
    assert run_cli(config, three_articles(tmp_path / "in"), output) == 0
    assert "translation cache" in capsys.readouterr().err
    assert [p.name for p in (output / ".cache").glob("t.sqlite3.corrupt-*")]
    for leftover in (output / ".cache").glob("t.sqlite3-*"):  # WAL files of the rebuilt cache
        leftover.unlink()
    (output / ".cache" / "t.sqlite3").write_bytes(b"\x00garbage" * 100)
    assert cli_main(["--config", config, "cache", "clear", "--root", str(output)]) == 0
    assert "cleared 0 entries" in capsys.readouterr().out


@pytest.mark.parametrize("tool", [["translate", "--engine", "apertium", "--no-cache"], ["detect"], ["repair"]])
def test_line_tools_keep_every_line_of_bad_bytes(tool):
    data = b"Hola mundo.\nmal \xff\xfe byte\n\xc3\n@Fariacrt ?\nLa casa\r\n\xe2\x80\xa8sep\n"
    done = subprocess.run([sys.executable, "-m", "pipeline", *tool], input=data, capture_output=True,
                          env=env(), timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8").split("\n")
    assert out[-1] == "" and len(out) - 1 == data.count(b"\n")
    assert b"line 2: bytes that are not UTF-8" in done.stderr and b"line 3:" in done.stderr
    if tool[0] == "translate":
        assert out[3] == "@Fariacrt ?"  # nothing to translate: the handle is kept, not an empty line


def test_literal_placeholder_mark_in_an_english_article_is_kept(tmp_path):
    """'⟦0⟧' written by an author is content: the English side keeps it (it used to be stripped as an
    engine artefact by the source repair)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "marks.txt").write_text("The manual says to type ⟦0⟧ into the box before saving the form.\n",
                                      encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli(write_config(tmp_path), inputs, out) == 0
    pairs = [json.loads(x) for x in (out / "corpus" / "es-en.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["translation"]["en"] for p in pairs] == [
        "The manual says to type ⟦0⟧ into the box before saving the form."]
    assert "⟦0⟧" in pairs[0]["translation"]["es"]
    assert "⟦0⟧" in (out / "corpus" / "documents" / "marks.en.txt").read_text(encoding="utf-8")
