"""Shared test helpers and fixtures: repository paths, configs for test runs, the CLI as a subprocess."""
from __future__ import annotations

import os
import shutil
import urllib.request
import time
import subprocess
import socket
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def have_apertium() -> bool:
    return shutil.which("apertium") is not None and Path("/usr/share/apertium/modes/spa-eng.mode").exists()


needs_apertium = pytest.mark.skipif(not have_apertium(), reason="Debian's apertium-eng-spa is not installed "
                                    "(scripts/setup.sh installs it)")


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


def write_config(folder: Path, **sections) -> str:
    """The shipped config with the apertium engine and the given section overrides, written to ``folder``
    (its glossary named by absolute path, since relative paths resolve against the config's folder)."""
    from pipeline.config import default_config_path

    shipped = default_config_path()
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["translation"]["engine"] = "apertium"
    if data["translation"].get("glossary"):
        data["translation"]["glossary"] = str(shipped.parent / data["translation"]["glossary"])
    for section, values in sections.items():
        data[section].update(values)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"config-{abs(hash(repr(sorted(sections.items())))) % 10**8}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def corpus_bytes(output: Path) -> dict[str, bytes]:
    """Every file of the published corpus, by relative path."""
    folder = output / "corpus"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def pipeline_cmd(config: str, inputs: Path, output: Path, *extra: str) -> list[str]:
    """``pipeline run`` as a subprocess command line."""
    return [sys.executable, "-m", "pipeline", "--config", config, "run", "--input", str(inputs),
            "--output", str(output), "--no-progress", *extra]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def matches_expected(result, expected: str) -> bool:
    """Scoring of repair cases: ``expected`` is the repaired text, or ``"FLAGGED"`` when the right outcome
    is a review flag (the text itself then must not have been rewritten)."""
    if expected == "FLAGGED":
        return bool(result.flagged) and result.text == result.before
    return result.text == expected


def stage_file_states(output_dir) -> dict[str, tuple[int, int]]:
    """{relative path: (inode, mtime_ns)} of every stage file; a rewrite changes the inode (atomic rename)."""
    root = Path(output_dir)
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted((root / "work").glob("*/*/*.jsonl"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def luigid(tmp_path):
    # luigid is installed with luigi, next to this interpreter (the virtualenv's bin/ need not be on PATH)
    exe = Path(sys.executable).parent / "luigid"
    luigid_cmd = [str(exe)] if exe.exists() else ([shutil.which("luigid")] if shutil.which("luigid") else None)
    assert luigid_cmd, f"luigid not found next to {sys.executable} nor on PATH (it is installed with luigi)"
    port = free_port()
    state = tmp_path / "luigid"
    state.mkdir()
    proc = subprocess.Popen([*luigid_cmd, "--port", str(port), "--address", "127.0.0.1",
                             "--state-path", str(state / "state.pickle"), "--logdir", str(state)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=state)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/api/task_list?data={{}}", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("luigid did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
