"""Task parameters take their defaults from Luigi's own configuration when a task is created: the
``[pipeline]`` section of luigi.cfg (LUIGI_CONFIG_PATH), ``--pipeline-<name>`` on the luigi command line,
and a task's own ``--Task-<name>`` / ``[Task] name``, in Luigi's usual order of precedence."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import luigi
import luigi.interface
from luigi.cmdline_parser import CmdlineParser

from conftest import ROOT, SEEDS, needs_apertium, write_config
from pipeline.tasks import BuildCorpus, ExportCorpus, PipelineSettings, PublishCorpus
from pipeline.tasks.document import RepairTranslations, SegmentDocument
from pipeline.tasks.luigi_internals import forget_task_instances


def _from_cmdline(*argv: str) -> BuildCorpus:
    with CmdlineParser.global_instance(list(argv)) as cp:
        return cp.get_task_obj()


def test_settings_class_is_not_named_like_the_package_and_keeps_its_section():
    assert PipelineSettings.__name__ != "pipeline"
    assert PipelineSettings.get_task_family() == "pipeline"
    # the repository's luigi.cfg [pipeline] section is read (max_shrink there, 0.5 default otherwise)
    cfg = luigi.configuration.get_config()
    assert PipelineSettings().max_shrink == cfg.getfloat("pipeline", "max_shrink", 0.5)


def test_command_line_setting_reaches_every_task():
    root = _from_cmdline("BuildCorpus", "--pipeline-output-dir", "/tmp/x-out", "--pipeline-max-shrink", "0.25")
    publish = root.requires()
    export = publish.requires()
    assert (root.output_dir, publish.output_dir, export.output_dir) == ("/tmp/x-out",) * 3
    assert publish.max_shrink == 0.25
    doc = export.clone(RepairTranslations, doc_path=str(SEEDS / "000_750c02cc8be14c39.txt"))
    assert doc.output_dir == "/tmp/x-out"
    assert doc.requires().requires().requires().requires().requires().output_dir == "/tmp/x-out"


def test_task_flag_beats_the_pipeline_setting():
    root = _from_cmdline("BuildCorpus", "--pipeline-output-dir", "/tmp/a", "--output-dir", "/tmp/b")
    assert root.output_dir == "/tmp/b" and root.requires().requires().output_dir == "/tmp/b"
    seg = _from_cmdline("SegmentDocument", "--doc-path", "x.txt", "--pipeline-output-dir", "/tmp/a",
                        "--IngestDocument-output-dir", "/tmp/c")
    assert isinstance(seg, SegmentDocument) and seg.output_dir == "/tmp/a"
    assert seg.requires().output_dir == "/tmp/a"  # clone passes the parent's value explicitly


def test_defaults_are_read_at_instantiation_not_import():
    before = PublishCorpus().input_dir
    with CmdlineParser.global_instance(["ExportCorpus", "--pipeline-input-dir", "/tmp/elsewhere"]):
        assert ExportCorpus().input_dir == "/tmp/elsewhere"
    assert PublishCorpus().input_dir == before


def _one_seed(tmp: Path) -> Path:
    inp = tmp / "in"
    inp.mkdir()
    shutil.copy(SEEDS / "000_750c02cc8be14c39.txt", inp)
    return inp


@needs_apertium
def test_luigi_cfg_section_via_luigi_config_path(tmp_path):
    """The ``luigi`` command with a tmp luigi.cfg: [pipeline] output_dir/input_dir/config are honoured."""
    inp = _one_seed(tmp_path)
    out = tmp_path / "from-cfg"
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text(f"[core]\nautoload_range = false\n[pipeline]\ninput_dir = {inp}\noutput_dir = {out}\n"
                   f"config = {write_config(tmp_path)}\n", encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    luigi_cli = Path(sys.executable).with_name("luigi")
    proc = subprocess.run([str(luigi_cli), "--module", "pipeline.tasks", "BuildCorpus", "--local-scheduler"],
                          cwd=cwd, env={**os.environ, "LUIGI_CONFIG_PATH": str(cfg), "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "corpus" / "manifest.json").is_file()
    assert list(cwd.iterdir()) == []  # nothing under the default outputs/


@needs_apertium
def test_command_line_override_through_luigi_interface(tmp_path, monkeypatch):
    inp = _one_seed(tmp_path)
    out = tmp_path / "from-flag"
    monkeypatch.chdir(tmp_path)
    forget_task_instances()
    result = luigi.interface.run(["--module", "pipeline.tasks", "BuildCorpus", "--pipeline-output-dir", str(out),
                                  "--pipeline-input-dir", str(inp), "--pipeline-config", write_config(tmp_path),
                                  "--log-level", "WARNING"],
                                 local_scheduler=True, detailed_summary=True)
    assert result.scheduling_succeeded and result.status.name.startswith("SUCCESS"), result.summary_text
    assert (out / "corpus" / "manifest.json").is_file()
    assert not (tmp_path / "outputs").exists()  # the luigi.cfg default was not used
