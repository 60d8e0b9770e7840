"""``pipeline run --progress``: the bar counts documents of the total, then the export and the publish,
whether the stages run in this process or in forked workers."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import SEEDS, needs_apertium, write_config
from pipeline.cli import main

pytestmark = needs_apertium


def _states(err: str) -> list[str]:
    return re.findall(r"pipeline: (\d+/\d+ documents(?:, exported)?(?:, published)?) +(\d+)%", err.replace("\r", "\n"))


@pytest.mark.parametrize("extra", [[], ["--workers", "2", "--batch-size", "1"]], ids=["in-process", "workers"])
def test_progress_names_documents_of_the_total(tmp_path, capsys, extra):
    inp = tmp_path / "in"
    inp.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(p, inp)
    args = ["--config", write_config(tmp_path), "run", "--input", str(inp), "--output", str(tmp_path / "out"),
            "--progress", *extra]
    assert main(args) == 0
    states = _states(capsys.readouterr().err)
    assert states[0] == ("0/2 documents", "0")
    assert states[-1] == ("2/2 documents, exported, published", "100")
    done = [int(s.split("/")[0]) for s, _ in states]
    assert done == sorted(done)  # never counts backwards
    # a second run with nothing to do starts (and ends) complete
    assert main(args) == 0
    assert set(_states(capsys.readouterr().err)) == {("2/2 documents, exported, published", "100")}


def test_no_progress_bar_unless_asked_off_a_terminal(tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], inp)
    assert main(["--config", write_config(tmp_path), "run", "--input", str(inp), "--output",
                 str(tmp_path / "out")]) == 0
    assert _states(capsys.readouterr().err) == []
