"""The project as a user installs it: a built wheel, run from an unrelated folder.

The shipped config and glossary are package data, so `translate` applies the glossary and `run` works
without the checkout; a config copied elsewhere with its own glossary works, and editing that glossary
reruns translation and the stages after it, and nothing before.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SEEDS, needs_apertium

pytestmark = [needs_apertium, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    """The wheel installed into its own folder; the environment that imports it from there (the
    dependencies come from this interpreter's site-packages)."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("*.whl"))
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PIPELINE_CONFIG", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    where = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"], env=env,
                           cwd=tmp, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(target)), f"the test must import the wheel, imported {where}"
    return env


def cli(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], input=stdin, env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_translate_applies_the_shipped_glossary_from_any_folder(installed, tmp_path):
    res = cli(installed, tmp_path, "translate", "--from", "es", "--to", "en", "--engine", "apertium",
              "--no-cache", stdin="La OPEP+ y la Cancillería Venezuela\n")
    assert res.returncode == 0, res.stderr
    assert "OPEC+" in res.stdout and "Venezuelan Foreign Ministry" in res.stdout


def test_repair_from_any_folder(installed, tmp_path):
    res = cli(installed, tmp_path, "repair", stdin="in CaracasAfter the meeting\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "In Caracas after the meeting"


def stage_files(out: Path) -> dict[str, set[str]]:
    return {stage.name: {str(p.relative_to(stage)) for p in stage.rglob("*.jsonl")}
            for stage in (out / "work").iterdir()}


def opec_english(out: Path) -> str:
    """The English side of the pairs of the article that quotes the OPEP+."""
    lines = (out / "corpus" / "es-en.jsonl").read_text(encoding="utf-8").splitlines()
    return " ".join(json.loads(x)["translation"]["en"] for x in lines if json.loads(x)["doc"] == "opec")


def test_run_with_a_copied_config_and_glossary_then_edit_the_glossary(installed, tmp_path):
    folder = tmp_path / "my-config"
    folder.mkdir()
    data = yaml.safe_load((ROOT / "configs" / "pipeline.yaml").read_text(encoding="utf-8"))
    data["translation"]["engine"] = "apertium"
    data["translation"]["glossary"] = "terms.yaml"  # relative: to the config file
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (folder / "terms.yaml").write_text('terms:\n  - {es: "OPEP+", en: "OPEC+"}\n', encoding="utf-8")
    inputs = tmp_path / "articles"
    inputs.mkdir()
    for p in SEEDS.iterdir():
        (inputs / p.name).write_bytes(p.read_bytes())
    (inputs / "opec.txt").write_text(
        "Oil ministers met in Vienna on Monday.\n\n"
        "«La OPEP+ mantendrá los recortes de producción hasta marzo», dijo el ministro venezolano.\n",
        encoding="utf-8")
    work = tmp_path / "unrelated"
    work.mkdir()
    args = ("--config", str(folder / "pipeline.yaml"), "run", "--input", str(inputs), "--output", "out",
            "--no-progress")
    first = cli(installed, work, *args)
    assert first.returncode == 0, first.stderr
    before = stage_files(work / "out")
    assert "OPEC+" in opec_english(work / "out")

    (folder / "terms.yaml").write_text('terms:\n  - {es: "OPEP+", en: "OPEC-plus"}\n', encoding="utf-8")
    second = cli(installed, work, *args)
    assert second.returncode == 0, second.stderr
    after = stage_files(work / "out")
    for stage in ("ingest", "segment", "detect", "repair_source"):
        assert after[stage] == before[stage], f"{stage} must not rerun for a glossary edit"
    for stage in ("translate", "repair"):
        assert after[stage] > before[stage], f"{stage} must rerun for a glossary edit"
    english = opec_english(work / "out")
    assert "OPEC-plus" in english and "OPEC+" not in english
