"""Tests import their helpers as modules (conftest.py, the fixtures next to them, ``benchmarks`` as a
package on pytest's ``pythonpath``), never by editing ``sys.path``."""
from __future__ import annotations

import ast

from conftest import ROOT


def test_no_test_edits_sys_path():
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
                    and node.value.id == "sys"):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_benchmark_generator_is_importable_as_a_package():
    from benchmarks import synth

    assert synth.__name__ == "benchmarks.synth" and callable(synth.generate)
