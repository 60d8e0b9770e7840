"""Engines: apertium alignment and marks; argos install/list/batching on a tiny random-weight package.

The argos package is built at test time (tests/argos_fixture.py); its output is nonsense by design, so
these tests check counts, order, determinism, placeholders and error paths, never translation quality.
"""
from __future__ import annotations

import io
import shutil
import sys
import zipfile

import pytest

from argos_fixture import build_package  # tests/argos_fixture.py, next to this file (like conftest)

from pipeline import cli
from pipeline.translate import models as argos_models
from pipeline.config import ArgosConfig, CacheConfig, TranslationConfig
from pipeline.translate.engines import argos as argos_engine
from pipeline.translate.engines import ApertiumEngine, ArgosEngine, EngineTimeout, get_engine
from pipeline.protect import find_protected
from pipeline.translate.translator import Translator

HAS_APERTIUM = shutil.which("apertium") is not None
needs_apertium = pytest.mark.skipif(not HAS_APERTIUM, reason="apertium-eng-spa not installed")


@pytest.fixture(scope="module")
def argos_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("argos")
    pkg = build_package(work, "es", "en")
    pkgdir = work / "packages"
    info = argos_models.install(pkg, pkgdir)
    assert (info.from_code, info.to_code) == ("es", "en")
    return pkgdir


def argos_config(pkgdir, **kw) -> TranslationConfig:
    return TranslationConfig(engine="auto", argos=ArgosConfig(packages_dir=str(pkgdir), beam_size=1, **kw),
                             cache=CacheConfig(enabled=False))


def test_argos_install_list_and_auto_choice(argos_dir):
    (pkg,) = argos_models.list_packages(argos_dir)
    assert pkg.version == "0.0.1-test"
    eng = get_engine(argos_config(argos_dir), "es", "en")
    assert eng.name == "argos" and "0.0.1-test" in eng.version("es", "en")


def test_argos_install_unpacked_folder(argos_dir, tmp_path):
    (pkg,) = argos_models.list_packages(argos_dir)
    info = argos_models.install(pkg.path, tmp_path / "other")
    assert argos_models.find_package("es", "en", tmp_path / "other").path == info.path


@pytest.mark.parametrize("content, message", [
    (None, "not a zip archive"),
    ({"x/README.md": "hi"}, "no metadata.json"),
    ({"x/metadata.json": "{}"}, "missing from_code"),
    ({"../evil/metadata.json": "{}"}, "unsafe path"),
])
def test_argos_install_rejects_bad_packages(tmp_path, content, message):
    bad = tmp_path / "bad.argosmodel"
    if content is None:
        bad.write_text("not a zip")
    else:
        with zipfile.ZipFile(bad, "w") as zf:
            for name, data in content.items():
                zf.writestr(name, data)
    with pytest.raises(argos_models.InstallError, match=message):
        argos_models.install(bad, tmp_path / "pk")
    assert not any((tmp_path / "pk").glob("x"))


def test_argos_batch_alignment_and_determinism(argos_dir):
    eng = ArgosEngine(ArgosConfig(packages_dir=str(argos_dir), beam_size=1, max_batch_size=4))
    texts = [f"el presidente dijo {'hoy ' * (i % 7)}que {i}" for i in range(23)]
    batched = eng.translate_batch(texts, "es", "en")
    assert len(batched) == len(texts)
    # Each item equals its own single-segment translation: sorting/batching keeps order.
    for i in (0, 5, 22):
        assert eng.translate_batch([texts[i]], "es", "en")[0] == batched[i]


def test_argos_output_independent_of_batch_mates(argos_dir):
    # One batch holding short and long inputs decodes up to the longest one's bound; each output is cut
    # to its own bound, so it equals the segment translated alone.
    eng = ArgosEngine(ArgosConfig(packages_dir=str(argos_dir), beam_size=1, max_batch_size=64))
    texts = ["hola", "el presidente dijo hoy que el mercado y el petróleo " * 3, "dijo que sí"]
    batched = eng.translate_batch(texts, "es", "en")
    assert batched == [eng.translate_batch([t], "es", "en")[0] for t in texts]


def test_argos_batches_sorted_and_bounded(argos_dir, monkeypatch):
    eng = ArgosEngine(ArgosConfig(packages_dir=str(argos_dir), beam_size=1, max_batch_size=3,
                                  max_decoding_ratio=1.5, max_decoding_extra=4))
    pkg, real = eng._load("es", "en")
    calls = []

    class Recorder:
        def translate_batch(self, batch, **kw):
            calls.append(([len(b) for b in batch], kw["max_decoding_length"]))
            return real.translate_batch(batch, **kw)

    key = next(k for k, v in argos_engine._LOADED.items() if v[1] is real)
    monkeypatch.setitem(argos_engine._LOADED, key, (pkg, Recorder()))
    texts = [f"el presidente {'dijo hoy ' * (i % 5)}que {i}" for i in range(8)]
    assert len(eng.translate_batch(texts, "es", "en")) == 8
    assert [len(lens) for lens, _ in calls] == [3, 3, 2]
    flat = [n for lens, _ in calls for n in lens]
    assert flat == sorted(flat)  # length-sorted across batches
    assert all(bound == int(1.5 * max(lens)) + 4 for lens, bound in calls)


def test_argos_through_translator_restores_spans(argos_dir):
    tr = Translator(argos_config(argos_dir))
    texts = ["Hola @Fariacrt en #Moscú 🇻🇪 https://t.co/AbC el 4/7/2022", "", "precio 3,5 %"]
    res = tr.translate(texts, "es", "en")
    assert len(res) == 3 and res[1].reason == "empty"
    for t, r in zip(texts, res):
        if t:
            assert r.engine == "argos"
            for s in find_protected(t):
                assert s.text in r.text


def test_argos_long_segment_split_to_model_limit(argos_dir):
    tr = Translator(argos_config(argos_dir, max_input_tokens=12))
    (r,) = tr.translate(["el presidente dijo hoy que el mercado y el petróleo, " * 4], "es", "en")
    assert any(n["type"] == "split" for n in r.notes)


def test_argos_chosen_but_missing(tmp_path):
    cfg = TranslationConfig(engine="argos", argos=ArgosConfig(packages_dir=str(tmp_path)))
    with pytest.raises(Exception, match="pipeline models install"):
        get_engine(cfg, "es", "en")


def test_models_cli_install_and_list(argos_dir, tmp_path, capsys):
    pkg = build_package(tmp_path, "en", "es", seed=1)
    assert cli.main(["models", "--packages-dir", str(tmp_path / "p"), "install", str(pkg)]) == 0
    assert cli.main(["models", "--packages-dir", str(tmp_path / "p"), "list"]) == 0
    assert "en->es" in capsys.readouterr().out
    assert cli.main(["models", "install"]) == 2


@needs_apertium
def test_apertium_alignment_many_segments():
    eng = ApertiumEngine()
    texts = []
    for i in range(60):
        texts.append(["El presidente\nrojo habló.", "Dijo: «sí» \"no\" 'quizá'", "", "casa & <b>perro</b>",
                      "Un texto ⟦0⟧ con ⟦1⟧ marcas ⟦2⟧."][i % 5] + f" número {i}")
    out = eng.translate_batch(texts, "es", "en")
    assert len(out) == len(texts)
    for i, o in enumerate(out):
        assert str(i) in o  # each line kept its own number: nothing moved across segments
    assert "<b>" not in "".join(out) or "&lt;" not in "".join(out)
    assert out[4].count("⟦") == 3


@needs_apertium
def test_apertium_available_from_the_mode_file_without_the_wrapper(monkeypatch):
    """The persistent engine finds an installed pair by its mode file; `apertium -l` (a wrapper process,
    ~10 ms) is asked only for a custom command or without the mode file."""
    from pipeline.translate.engines import apertium

    def no_wrapper(command):
        raise AssertionError("apertium -l was run")

    monkeypatch.setattr(apertium, "_modes", no_wrapper)
    assert ApertiumEngine().available("es", "en") and ApertiumEngine().available("en", "es")
    monkeypatch.setattr(apertium, "_modes", lambda command: frozenset())
    assert not ApertiumEngine(persistent=False).available("es", "en")  # per-batch path: the wrapper's list
    assert not ApertiumEngine().available("es", "fr")


@needs_apertium
def test_apertium_unknown_marks_do_not_leak():
    eng = ApertiumEngine()
    (o,) = eng.translate_batch(["El qwzxv dijo hola a zzkrt"], "es", "en")
    assert "*" not in o and "#" not in o and "@" not in o


def test_apertium_timeout_kills_and_reports(tmp_path):
    fake = tmp_path / "apertium"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = -l ]; then echo spa-eng; exit 0; fi\nsleep 30\n")
    fake.chmod(0o755)
    eng = ApertiumEngine(str(fake), timeout_s=0.5)
    with pytest.raises(EngineTimeout):
        eng.translate_batch(["hola"], "es", "en")


@needs_apertium
def test_translate_cli_line_in_line_out(tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"translation:\n  engine: apertium\n  cache:\n    path: {tmp_path / 'c.db'}\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hola amigo\n\n🇻🇪\nLa casa\n"))
    assert cli.main(["--config", str(cfg), "translate", "--from", "es", "--to", "en"]) == 0
    out, err = capsys.readouterr()
    lines = out.split("\n")[:-1]
    assert len(lines) == 4 and lines[1] == "" and lines[2] == "🇻🇪"  # nothing to translate: kept as it is
    assert "line 2: empty" in err and "line 3: no_translatable_text" in err
    assert "engine: apertium" in err
