"""The Luigi internals pipeline/tasks/luigi_internals.py relies on still behave as assumed, and the Luigi
in use is inside the range pyproject.toml supports: an upgrade that breaks an assumption fails here."""
from __future__ import annotations

import tomllib
from importlib.metadata import version

import luigi
import luigi.task_register
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from conftest import ROOT
from pipeline.tasks import luigi_internals
from pipeline.tasks.base import PipelineTask
from pipeline.tasks.document import IngestDocument, RepairTranslations


def _pyproject_luigi() -> SpecifierSet:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    (req,) = [Requirement(d) for d in deps if Requirement(d).name == "luigi"]
    return req.specifier


def test_supported_range_is_pinned_in_pyproject_and_installed():
    spec = _pyproject_luigi()
    assert spec == SpecifierSet(",".join(luigi_internals.SUPPORTED_LUIGI))
    assert any(s.operator in ("<", "<=", "~=", "==") for s in spec), "no upper bound on luigi"
    assert version("luigi") in spec, f"luigi {version('luigi')} is outside the checked range {spec}"


def test_get_params_cache_equals_luigis_own_walk():
    for cls in (IngestDocument, RepairTranslations):
        uncached = luigi.Task.get_params.__func__(cls)  # Luigi's walk over dir(cls)
        assert [n for n, _ in cls.get_params()] == [n for n, _ in uncached]
        assert cls.get_params() is not cls.get_params()  # callers may mutate the list they get
    assert "_luigi_params" in RepairTranslations.__dict__


def test_luigi_still_asks_get_params_when_creating_a_task(monkeypatch):
    calls = []
    original = PipelineTask.get_params.__func__

    def spy(cls):
        calls.append(cls)
        return original(cls)

    monkeypatch.setattr(IngestDocument, "get_params", classmethod(spy))
    IngestDocument(doc_path="x-internals.txt", output_dir="o", config_path="")
    assert IngestDocument in calls  # otherwise the cache no longer speeds anything up


def test_instance_cache_exists_and_clearing_it_forgets_tasks():
    a = IngestDocument(doc_path="x-cache.txt", output_dir="o", config_path="")
    assert IngestDocument(doc_path="x-cache.txt", output_dir="o", config_path="") is a  # Luigi caches
    luigi_internals.forget_task_instances()
    b = IngestDocument(doc_path="x-cache.txt", output_dir="o", config_path="")
    assert b is not a and b == a  # a new object, equal by parameters


def test_value_iterator_is_an_ordered_source_list_ending_in_the_default():
    p = luigi.Parameter(default="d")
    values = [v for v, _ in p._value_iterator("NoSuchTaskInternals", "nothing")]
    assert values[-1] == "d" and all(v is luigi.parameter._no_value for v in values[:-1])
    assert luigi.Parameter()._default is luigi.parameter._no_value


def test_setting_parameter_is_a_fallback_after_task_sources():
    seen = []

    class _T(luigi.Task):
        x = luigi_internals.SettingParameter(settings=lambda: seen.append(1) or "from-settings")

    assert _T().x == "from-settings" and seen  # read when the task is created
    assert _T(x="explicit").x == "explicit"
    cfg = luigi.configuration.get_config()
    cfg.set("_T", "x", "from-section")  # Luigi's own sources come first
    try:
        assert _T().x == "from-section"
    finally:
        cfg.remove_section("_T")
