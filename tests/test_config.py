"""Config: the shipped file loads from the package; unknown keys, bad values, non-finite numbers, cross-field
contradictions and missing files fail at load time naming file and key; relative paths resolve against the
config file; fingerprints follow the contents of the files a config names."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.config import ConfigError, default_config_path, load_config


def test_shipped_config_is_package_data_and_loads():
    cfg = load_config()
    assert Path(cfg.source) == default_config_path().resolve()
    assert cfg.langid.languages == ("es", "en") and cfg.translation.engine in ("auto", "argos", "apertium")
    assert Path(cfg.translation.glossary).is_file() and Path(cfg.translation.glossary).is_absolute()


def test_repository_configs_folder_points_at_the_package_copies():
    root = Path(__file__).parent.parent
    for name in ("pipeline.yaml", "glossary.yaml"):
        assert (root / "configs" / name).resolve() == (root / "pipeline" / "resources" / name).resolve()


@pytest.mark.parametrize("text,fragment", [
    ("translation:\n  engin: argos\n", "translation: unknown key(s) engin"),
    ("translation:\n  engine: google\n", "translation.engine: Invalid enum value 'google'; choose one of auto"),
    ("filters:\n  max_length_ratio: -1\n", "filters.max_length_ratio: Expected `float` >= 1"),
    ("langid:\n  seed: abc\n", "langid.seed: Expected `int`, got `str`"),
    ("nonsense: 1\n", "unknown key(s) nonsense"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("repairs:\n  rules: [no_such_rule]\n", "unknown rule(s) no_such_rule"),
    ("repairs:\n  rules: [fix_spacing, fix_spacing]\n", "rules: a rule is listed twice"),
    ("translation:\n  timeout_s: .inf\n", "translation.timeout_s: must be a finite number"),
    ("langid:\n  min_confidence: .nan\n", "langid.min_confidence: must be a finite number"),
    ("filters:\n  min_chars: 50\n  max_chars: 10\n", "min_chars (50) is greater than max_chars (10)"),
    ("langid:\n  languages: [es, xx]\n", "langid.languages: unknown language code(s) xx"),
    ("langid:\n  languages: []\n", "name at least one language"),
    ("translation:\n  glossary: no/such/glossary.yaml\n", "translation.glossary: file not found"),
    ("repairs:\n  dictionary: missing.dic\n", "repairs.dictionary: file not found"),
    ("translation:\n  apertium:\n    timeout_s: 0\n", "translation.apertium.timeout_s: Expected `float` > 0"),
    ("translation:\n  argos:\n    device: tpu\n", "translation.argos.device: Invalid enum value 'tpu'"),
    ("source: x\n", "unknown key(s) source"),
])
def test_bad_configs(tmp_path, text, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert fragment in str(err.value) and str(p) in str(err.value)


def test_non_utf8_config_is_a_config_error(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes("translation:\n  engine: apertium  # año\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(p)


def test_relative_paths_resolve_against_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(default_config_path().parent / "glossary.yaml", folder / "my-glossary.yaml")
    (folder / "cfg.yaml").write_text("translation:\n  glossary: my-glossary.yaml\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the config's folder
    cfg = load_config("elsewhere/cfg.yaml")
    assert cfg.translation.glossary == str(folder / "my-glossary.yaml")


def test_engine_override_needs_no_file(tmp_path):
    cfg = load_config(None, engine="apertium")
    assert cfg.translation.engine == "apertium"
    assert cfg.fingerprint("translation") != load_config(None, engine="argos").fingerprint("translation")
    with pytest.raises(ConfigError):
        load_config(None, engine="google")


def test_fingerprint_changes_only_with_its_section(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("translation:\n  engine: apertium\n", encoding="utf-8")
    b.write_text("translation:\n  engine: argos\n", encoding="utf-8")
    ca, cb = load_config(a), load_config(b)
    assert ca.fingerprint("langid") == cb.fingerprint("langid")
    assert ca.fingerprint("translation") != cb.fingerprint("translation")


def test_editing_the_glossary_changes_the_translation_fingerprint_only(tmp_path):
    gl = tmp_path / "glossary.yaml"
    gl.write_text('terms:\n  - {es: "OPEP+", en: "OPEC+"}\n', encoding="utf-8")
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text("translation:\n  glossary: glossary.yaml\n", encoding="utf-8")
    before = load_config(cfg_path)
    fps = {s: before.fingerprint(s) for s in ("ingest", "langid", "repairs", "translation")}
    gl.write_text('terms:\n  - {es: "OPEP+", en: "OPEC plus"}\n', encoding="utf-8")
    st = gl.stat()
    os.utime(gl, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a same-second edit still counts
    after = load_config(cfg_path)
    assert after.fingerprint("translation") != fps["translation"]
    assert {s: after.fingerprint(s) for s in ("ingest", "langid", "repairs")} == {
        s: fps[s] for s in ("ingest", "langid", "repairs")}
