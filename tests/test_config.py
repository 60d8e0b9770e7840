"""Config: the shipped file loads; unknown keys and bad values fail at load time naming file and key."""
from __future__ import annotations

import pytest

from pipeline.config import ConfigError, load_config


def test_shipped_config_loads():
    cfg = load_config()
    assert cfg.langid.languages == ("es", "en") and cfg.translation.engine in ("auto", "argos", "apertium")


@pytest.mark.parametrize("text,fragment", [
    ("translation:\n  engin: argos\n", "translation: unknown key(s) engin"),
    ("translation:\n  engine: google\n", "translation.engine: 'google' is not one of"),
    ("filters:\n  max_length_ratio: -1\n", "filters.max_length_ratio: must not be negative"),
    ("langid:\n  seed: abc\n", "langid.seed: expected an integer"),
    ("nonsense: 1\n", "unknown key(s) nonsense"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("repairs:\n  rules: [no_such_rule]\n", "unknown rule(s) no_such_rule"),
])
def test_bad_configs(tmp_path, text, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert fragment in str(err.value) and str(p) in str(err.value)


def test_fingerprint_changes_only_with_its_section(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("translation:\n  engine: apertium\n", encoding="utf-8")
    b.write_text("translation:\n  engine: argos\n", encoding="utf-8")
    ca, cb = load_config(a), load_config(b)
    assert ca.fingerprint("langid") == cb.fingerprint("langid")
    assert ca.fingerprint("translation") != cb.fingerprint("translation")
