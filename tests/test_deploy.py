"""The scheduling examples shipped in README.md and deploy/ work: the README shows the files as they are,
the systemd units pass `systemd-analyze verify`, the cron schedules are valid, and the cron command itself,
pointed at a temporary folder, publishes a corpus; a second scheduled run finds nothing to do."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, needs_apertium

DEPLOY = ROOT / "deploy"
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
               ("day of week", 0, 7))


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.S | re.M)


@pytest.mark.parametrize("name", ["crontab.example", "pipeline-corpus.service", "pipeline-corpus.timer",
                                  "luigid.service"])
def test_readme_shows_the_shipped_file_verbatim(name):
    assert (DEPLOY / name).read_text(encoding="utf-8") in readme_blocks()


def cron_entries() -> list[tuple[list[str], str]]:
    out = []
    for line in (DEPLOY / "crontab.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            fields = line.split(None, 5)
            out.append((fields[:5], fields[5]))
    return out


def valid_cron_field(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        values = [int(v) for v in m.group(2, 3) if v is not None]
        if any(not low <= v <= high for v in values) or (len(values) == 2 and values[0] > values[1]):
            return False
        if m.group(4) is not None and int(m.group(4)) == 0:
            return False
    return True


def test_cron_schedules_are_valid():
    entries = cron_entries()
    assert len(entries) == 2
    for fields, _ in entries:
        for value, (name, low, high) in zip(fields, CRON_FIELDS):
            assert valid_cron_field(value, low, high), f"bad cron {name}: {value!r}"
    assert not valid_cron_field("61", 0, 59) and not valid_cron_field("5-2", 0, 59)  # the checker can fail


def _localised(command: str, tmp: Path) -> str:
    """The example command with its installation paths pointed at this checkout and a temporary folder."""
    return (command.replace(".venv/bin/pipeline", f"{sys.executable} -m pipeline")
            .replace("/srv/pipeline", str(ROOT)).replace("/data/articles", str(tmp / "articles"))
            .replace("/data/corpus-out", str(tmp / "corpus-out"))
            .replace("/tmp/pipeline-cron.lock", str(tmp / "cron.lock")))


@needs_apertium
@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock not installed")
def test_cron_command_publishes_and_a_second_run_does_nothing(tmp_path):
    (tmp_path / "articles").mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, tmp_path / "articles")
    (tmp_path / "corpus-out").mkdir()  # cron appends its log there, as on a prepared host
    build, clean = (_localised(cmd, tmp_path) for _, cmd in cron_entries())
    for _ in range(2):
        done = subprocess.run(["bash", "-c", build], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (tmp_path / "corpus-out" / "cron.log").read_text(encoding="utf-8")
    out = tmp_path / "corpus-out"
    manifest = json.loads((out / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pairs"] > 0 and manifest["accounting_holds"]
    log = (out / "cron.log").read_text(encoding="utf-8")
    assert log.count("published") == 2
    starts = [json.loads(x) for f in (out / "logs").glob("tasks-*.jsonl") for x in f.open(encoding="utf-8")]
    assert len({s["task_id"] for s in starts}) == len(starts)  # the second run started no task again
    done = subprocess.run(["bash", "-c", clean], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and (out / "corpus" / "manifest.json").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    for name in ("pipeline-corpus.service", "pipeline-corpus.timer", "luigid.service"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        # verify checks that ExecStart's program exists: point it at this checkout's interpreter
        text = (text.replace("/srv/pipeline/.venv/bin/pipeline", sys.executable)
                .replace("/srv/pipeline/.venv/bin/luigid", str(Path(sys.executable).parent / "luigid"))
                .replace("/srv/pipeline", str(ROOT)))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "pipeline-corpus.service"),
                           str(tmp_path / "pipeline-corpus.timer"), str(tmp_path / "luigid.service")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calendar = re.search(r"^OnCalendar=(.+)$", (DEPLOY / "pipeline-corpus.timer").read_text(), flags=re.M)
    done = subprocess.run(["systemd-analyze", "calendar", calendar.group(1)], capture_output=True, text=True)
    assert done.returncode == 0 and "02:15:00" in done.stdout, done.stdout + done.stderr


def test_luigid_unit_binds_one_interface_and_the_docs_say_why():
    unit = (DEPLOY / "luigid.service").read_text(encoding="utf-8")
    address = re.search(r"^Environment=LUIGID_ADDRESS=(\S+)$", unit, flags=re.M)
    exec_start = re.search(r"^ExecStart=(.+)$", unit, flags=re.M).group(1)
    assert address and address.group(1) not in ("0.0.0.0", "::", "")
    assert "--address ${LUIGID_ADDRESS}" in exec_start
    ops = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "## Access to luigid" in ops and "no authentication" in ops and "LUIGID_ADDRESS" in ops


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_verify_catches_a_broken_unit(tmp_path):
    (tmp_path / "broken.service").write_text("[Service]\nExecStart=relative/program\n", encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "broken.service")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
