"""The ``pipeline`` command line: version, global options on either side of the command, help on every
command and option, one set of exit codes, and line tools that write nothing outside an output folder."""
from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, env, have_apertium
from pipeline import __version__, cli
from pipeline.service.run import ExitCode, exit_status_help


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(path, parser) of every command and nested action, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,), sub
                yield from _commands(sub, prefix + (name,))


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"pipeline {__version__}"
    out = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True, text=True,
                         env=env(), check=True).stdout
    assert out.split() == ["pipeline", __version__]


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli.build_parser())], ids=" ".join)
def test_global_options_before_or_after_the_command(path):
    parser = cli.build_parser()
    needs = {"cache": ["stats"], "rerun": ["translate"], "models": ["list"], "models install": ["x"],
             "models remove": ["es", "en"], "models list": [], "models available": [], "models update": []}
    rest = needs.get(" ".join(path), [])
    if path == ("models",):
        rest = ["list"]
    before = parser.parse_args(["--config", "a.yaml", *path, *rest])
    after = parser.parse_args([*path, *rest, "--config", "b.yaml"])
    neither = parser.parse_args([*path, *rest])
    both = parser.parse_args(["--config", "a.yaml", *path, *rest, "--config", "b.yaml"])
    assert (before.config, after.config, neither.config, both.config) == ("a.yaml", "b.yaml", None, "b.yaml")


def test_every_command_and_option_has_help_and_every_command_an_example():
    parser = cli.build_parser()
    assert parser.description and "exit status" in parser.epilog
    commands = list(_commands(parser))
    assert {p[0] for p, _ in commands} >= {"run", "rerun", "clean", "cache", "translate", "detect", "repair",
                                        "score", "report", "models"}
    for path, sub in [((), parser), *commands]:
        name = " ".join(path) or "pipeline"
        assert sub.description and sub.description.strip(), f"{name}: no description"
        if path:
            assert re.search(r"example:\n.*\bpipeline " + re.escape(" ".join(path)) + r"\b", sub.epilog or ""), \
                f"{name}: no example in the epilog"
        for action in sub._actions:
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, f"{label}: no help"
        sub.format_help()  # %-formatting in a help string would raise here


def test_exit_codes_come_from_the_one_enum():
    parser = cli.build_parser()
    assert exit_status_help() in parser.epilog
    for path, sub in _commands(parser):
        if len(path) > 1:
            continue  # nested actions share their command's codes
        codes = sub.exit_codes
        assert codes and all(isinstance(c, ExitCode) for c in codes), path
        assert exit_status_help(codes) in sub.epilog, path
        assert ExitCode.OK in codes and ExitCode.USAGE in codes  # every command can be misused
    # the README table lists exactly the enum
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (\w+) \| (.+?) \|$", readme, re.M)
    assert [(int(c), n, m) for c, n, m in rows] == [(int(c), c.name, c.meaning) for c in ExitCode]


def test_commands_return_no_bare_status_numbers():
    """A command's statuses are ExitCode members (or another command's result), never an int literal."""
    for module in sorted((ROOT / "pipeline" / "commands").glob("*.py")) + [ROOT / "pipeline" / "cli.py"]:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant):
                assert not isinstance(node.value.value, int), f"{module.name}:{node.lineno} returns a number"


def _run_in(cwd: Path, args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    # HOME and XDG_CACHE_HOME inside cwd too: a write to either would show up in the folder
    e = {**env(), "HOME": str(cwd), "XDG_CACHE_HOME": str(cwd / "xdg"), "PIPELINE_CONFIG": ""}
    e.pop("PIPELINE_CONFIG")
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=e, timeout=300)


def test_cache_stats_on_a_missing_cache_creates_nothing(tmp_path):
    for args in (["cache", "stats"], ["cache", "clear"], ["cache", "stats", "--cache", "c/x.sqlite3"]):
        done = _run_in(tmp_path, args)
        assert done.returncode == ExitCode.OK, done.stderr
        assert "no translation cache at" in done.stderr
        assert list(tmp_path.iterdir()) == [], args


@pytest.mark.skipif(not have_apertium(), reason="needs apertium-eng-spa")
def test_translate_writes_nothing_in_the_cwd_and_uses_an_explicit_cache(tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = _run_in(cwd, ["translate", "--engine", "apertium", "--from", "es", "--to", "en"], "Hola a todos.\n")
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stdout.strip() and list(cwd.iterdir()) == []
    cache = tmp_path / "cache" / "t.sqlite3"
    done = _run_in(cwd, ["translate", "--engine", "apertium", "--cache", str(cache)], "Hola a todos.\n")
    assert done.returncode == ExitCode.OK and list(cwd.iterdir()) == []
    stats = _run_in(cwd, ["cache", "stats", "--cache", str(cache)])
    assert stats.returncode == ExitCode.OK and re.search(r": [1-9]\d* entries", stats.stdout), stats


def test_clear_cache_without_a_cache_is_a_usage_error(tmp_path):
    done = _run_in(tmp_path, ["translate", "--clear-cache"], "Hola.\n")
    assert done.returncode == ExitCode.USAGE and "--cache PATH" in done.stderr
    assert list(tmp_path.iterdir()) == []
