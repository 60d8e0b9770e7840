"""Start-up: the line tools do not import what they do not use (Luigi, the tasks, lingua, engines)."""
from __future__ import annotations

import subprocess
import sys

from pipeline.commands.rerun import TASK_NAMES
from pipeline.service.operations import CORPUS_STEPS, STAGES


def test_rerun_task_names_match_the_stages():
    assert TASK_NAMES == STAGES + CORPUS_STEPS


def test_cli_parser_does_not_import_luigi_or_models():
    code = ("import sys; from pipeline import cli; cli.build_parser(); "
            "print(' '.join(m for m in ('luigi', 'lingua', 'langdetect', 'pipeline.tasks') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
