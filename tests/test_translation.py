"""Translation layer: masking and restoration, fallbacks, language spans, names, glossary, cache, splits.

Most tests use small deterministic engines defined here (test doubles with known behaviour); the
apertium tests run the real engine when Debian's apertium-eng-spa is installed.
"""
from __future__ import annotations

import msgspec
import json
import shutil
import sqlite3
from multiprocessing import get_context
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.translate import engines
from pipeline.translate.cache import TranslationCache
from pipeline.config import CacheConfig, TranslationConfig
from pipeline.translate.engines import EngineError, EngineTimeout, EngineUnavailable
from pipeline.translate.names import NameIndex
from pipeline.protect import find_protected
from pipeline.records import LangSpan
from pipeline.translate.translator import Translator, split_long

DATA = Path(__file__).parent / "data"
HAS_APERTIUM = shutil.which("apertium") is not None


class UpperEngine:
    """Upper-cases letters outside placeholders; counts calls and segments."""

    name = "upper"

    def __init__(self):
        self.calls: list[list[str]] = []

    def version(self, src, tgt):
        return "1"

    def translate_batch(self, texts, src, tgt):
        self.calls.append(list(texts))
        return [t.upper() for t in texts]


class LossyEngine(UpperEngine):
    """Drops the first placeholder and duplicates the last one, as a neural model might."""

    name = "lossy"

    def translate_batch(self, texts, src, tgt):
        self.calls.append(list(texts))
        out = []
        for t in texts:
            t = t.upper().replace("⟦0⟧", "", 1)
            import regex
            toks = regex.findall(r"⟦\d+⟧", t)
            if toks:
                t = t + " " + toks[-1]
            out.append(t)
        return out


class FailingEngine(UpperEngine):
    """Fails any batch containing 'BOOM'; times out on 'HANG'."""

    name = "failing"

    def translate_batch(self, texts, src, tgt):
        self.calls.append(list(texts))
        if any("hang" in t for t in texts):
            raise EngineTimeout("hung")
        if any("boom" in t for t in texts):
            raise EngineError("crashed")
        return [t.upper() for t in texts]


def make(tmp_path, engine, monkeypatch, **kw) -> Translator:
    cfg = TranslationConfig(glossary=str(Path(__file__).parent.parent / "configs" / "glossary.yaml"),
                            cache=CacheConfig(path=str(tmp_path / "c.sqlite3")), **kw)
    monkeypatch.setattr("pipeline.translate.translator.get_engine", lambda c, s, t: engine)
    return Translator(cfg)


def test_protected_spans_restored_and_alignment(tmp_path, monkeypatch):
    eng = UpperEngine()
    tr = make(tmp_path, eng, monkeypatch)
    texts = ["hola @Fariacrt 🇻🇪 https://t.co/AbC", "", "otra #Moscú 3,5%", "sin nada"]
    res = tr.translate(texts, "es", "en")
    assert [r.text for r in res] == ["HOLA @Fariacrt 🇻🇪 https://t.co/AbC", None, "OTRA #Moscú 3,5%", "SIN NADA"]
    assert res[1].reason == "empty"
    assert len(eng.calls) == 1  # one engine call for the whole batch


def test_placeholder_loss_falls_back_and_is_recorded(tmp_path, monkeypatch):
    eng = LossyEngine()
    tr = make(tmp_path, eng, monkeypatch)
    text = "dijo @uno que #dos es 🤝🏾 bueno"
    (r,) = tr.translate([text], "es", "en")
    assert r.text == "DIJO @uno QUE #dos ES 🤝🏾 BUENO"
    assert any(n["type"] == "placeholder_fallback" and n["lost"] for n in r.notes)


def test_only_source_language_spans_translated(tmp_path, monkeypatch):
    tr = make(tmp_path, UpperEngine(), monkeypatch)
    text = "He said: hola amigo, then left"
    spans = [[LangSpan(0, 9, "en"), LangSpan(9, 20, "es"), LangSpan(20, len(text), "en")]]
    (r,) = tr.translate([text], "es", "en", spans=spans)
    assert r.text == "He said: HOLA AMIGO, then left"
    (r,) = tr.translate(["only english"], "es", "en", spans=[[LangSpan(0, 12, "en")]])
    assert r.text is None and r.reason == "no_translatable_text"


def test_newlines_kept_and_lines_translated_apart(tmp_path, monkeypatch):
    eng = UpperEngine()
    tr = make(tmp_path, eng, monkeypatch)
    (r,) = tr.translate(["uno dos\n\ntres"], "es", "en")
    assert r.text == "UNO DOS\n\nTRES"
    assert all("\n" not in t for t in eng.calls[0])


def test_glossary_both_directions(tmp_path, monkeypatch):
    tr = make(tmp_path, UpperEngine(), monkeypatch)
    (r,) = tr.translate(["la OPEP+ y la Cancillería Venezuela"], "es", "en")
    assert r.text == "LA OPEC+ Y LA Venezuelan Foreign Ministry"
    assert {n["to"] for n in r.notes if n["type"] == "glossary"} == {"OPEC+", "Venezuelan Foreign Ministry"}
    (r,) = tr.translate(["the OPEC+ said"], "en", "es")
    assert r.text == "THE OPEP+ SAID"


def test_long_segments_split_and_rejoined(tmp_path, monkeypatch):
    eng = UpperEngine()
    tr = make(tmp_path, eng, monkeypatch, max_chars=20)
    (r,) = tr.translate(["uno dos tres. cuatro cinco seis, siete ocho."], "es", "en")
    assert r.text == "UNO DOS TRES. CUATRO CINCO SEIS, SIETE OCHO."
    assert any(n["type"] == "split" for n in r.notes)
    assert all(len(t) <= 20 for t in eng.calls[0])


def test_engine_error_isolated_to_bad_segment(tmp_path, monkeypatch):
    tr = make(tmp_path, FailingEngine(), monkeypatch)
    res = tr.translate(["bien", "boom", "hang", "también"], "es", "en")
    assert [r.text for r in res] == ["BIEN", None, None, "TAMBIÉN"]
    assert [r.reason for r in res] == [None, "engine_error", "timeout", None]


def test_cache_serves_repeats_and_reruns(tmp_path, monkeypatch):
    eng = UpperEngine()
    tr = make(tmp_path, eng, monkeypatch)
    tr.translate(["hola", "hola", "adiós  amigo"], "es", "en")
    assert eng.calls == [["hola", "adiós amigo"]]  # repeated segment translated once
    res = tr.translate(["hola", "adiós amigo"], "es", "en")
    assert len(eng.calls) == 1
    assert all(any(n["type"] == "cache_hit" for n in r.notes) for r in res)
    tr.cache.clear()
    tr.translate(["hola"], "es", "en")
    assert len(eng.calls) == 2
    tr.close()


def test_segment_cache_serves_rerun_without_planning_or_engine(tmp_path, monkeypatch):
    texts = ["hola @Fariacrt\nel  #Moscú", "dijo que sí", "dijo que sí", ""]
    eng = UpperEngine()
    first = make(tmp_path, eng, monkeypatch).translate(texts, "es", "en")
    assert len(eng.calls) == 1
    # A new Translator on the same file, as a rerun in a new process: no masking, no engine call.
    tr = make(tmp_path, eng, monkeypatch)
    monkeypatch.setattr(Translator, "_plan", lambda *a, **k: pytest.fail("planned a cached segment"))
    again = tr.translate(texts, "es", "en")
    assert len(eng.calls) == 1
    assert [r.text for r in again] == [r.text for r in first]
    assert again[3].reason == "empty"
    for r0, r1 in zip(first[:3], again[:3]):
        assert r1.notes == [*r0.notes, {"type": "cache_hit", "level": "segment"}]
    assert tr.cache.segment_count() == 2  # the repeated segment is stored (and translated) once


def test_segment_cache_key_covers_spans_names_and_glossary(tmp_path, monkeypatch):
    class Same(UpperEngine):
        def translate_batch(self, texts, src, tgt):
            self.calls.append(list(texts))
            return list(texts)

    eng = Same()
    tr = make(tmp_path, eng, monkeypatch)
    text = "con Serguéi Lavrov hoy"
    assert tr.translate([text], "es", "en")[0].text == text
    # Other language spans, another name index: a different result, so not served from the cache.
    (r,) = tr.translate([text], "es", "en", spans=[[LangSpan(0, 3, "es"), LangSpan(3, len(text), "en")]])
    assert not any(n["type"] == "cache_hit" and n.get("level") == "segment" for n in r.notes)
    (r,) = tr.translate([text], "es", "en", names=NameIndex.from_texts(["Sergey Lavrov came."]))
    assert r.text == "con Sergey Lavrov hoy"
    assert not any(n.get("level") == "segment" for n in r.notes)
    (r,) = tr.translate([text], "es", "en", names=NameIndex.from_texts(["Sergey Lavrov came."]))
    assert r.text == "con Sergey Lavrov hoy" and {"type": "cache_hit", "level": "segment"} in r.notes
    # A changed glossary changes the key too.
    gl = tmp_path / "g.yaml"
    gl.write_text("terms:\n  - {es: hoy, en: today}\n")
    cfg = msgspec.structs.replace(tr.config, glossary=str(gl))
    (r,) = Translator(cfg).translate([text], "es", "en")
    assert r.text == "con Serguéi Lavrov today"


def test_segment_cache_never_stores_failures(tmp_path, monkeypatch):
    eng = FailingEngine()
    make(tmp_path, eng, monkeypatch).translate(["bien", "boom"], "es", "en")
    n = len(eng.calls)
    res = make(tmp_path, eng, monkeypatch).translate(["bien", "boom"], "es", "en")
    assert [r.reason for r in res] == [None, "engine_error"]
    assert len(eng.calls) > n and all("bien" not in c for c in eng.calls[n:])


def test_segment_cache_bounded_and_cleared(tmp_path):
    c = TranslationCache(tmp_path / "c.sqlite3", max_entries=5, memory_entries=2)
    for i in range(12):
        c.put_segments([(f"k{i}", {"text": f"t{i}", "notes": []})])
    c.trim()
    assert c.segment_count() <= 5
    assert c.get_segments(["k11", "k0"]) == {"k11": {"text": "t11", "notes": []}}
    assert len(c._memory) <= 2
    c2 = TranslationCache(tmp_path / "c.sqlite3")  # another process's view: reads sqlite, not the LRU
    assert c2.get_segments(["k10"]) == {"k10": {"text": "t10", "notes": []}}
    assert c.clear() >= 1 and c.segment_count() == 0 and c.get_segments(["k11"]) == {}
    assert c2.get_segments(["k10"]) == {"k10": {"text": "t10", "notes": []}}  # its LRU still holds it
    c2.close()
    c.close()


def test_segment_lookup_batches_many_keys(tmp_path):
    c = TranslationCache(tmp_path / "c.sqlite3", memory_entries=0)
    c.put_segments([(f"k{i}", {"text": str(i), "notes": []}) for i in range(1203)])
    statements = []
    c._conn.set_trace_callback(statements.append)
    got = c.get_segments([f"k{i}" for i in range(1203)] + ["missing"])
    assert len(got) == 1203 and got["k1202"]["text"] == "1202"
    assert sum(s.startswith("SELECT") for s in statements) == 3  # chunks of 500 keys, not one per key


def test_cache_bounded(tmp_path):
    c = TranslationCache(tmp_path / "c.sqlite3", max_entries=5)
    for i in range(12):
        c.put_many("e", "1", "es-en", [(f"s{i}", f"o{i}")])
    assert len(c) <= 5
    assert c.get("e", "1", "es-en", "s11") == "o11"  # most recent kept
    assert c.get("e", "2", "es-en", "s11") is None  # version is part of the key
    assert sqlite3.connect(tmp_path / "c.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _worker(args):
    path, n = args
    c = TranslationCache(path, max_entries=10_000)
    for i in range(50):
        c.put_many("e", "1", "es-en", [(f"w{n}-{i}", "x"), ("shared", "y")])
        c.get("e", "1", "es-en", "shared")
        c.put_segments([(f"s{n}-{i}", {"text": "x", "notes": []}), ("shared", {"text": "y", "notes": []})])
        assert c.get_segments(["shared"])["shared"]["text"] == "y"
    c.close()
    return n


def test_cache_concurrent_workers(tmp_path):
    path = tmp_path / "c.sqlite3"
    TranslationCache(path).close()
    with get_context("spawn").Pool(3) as pool:
        assert sorted(pool.map(_worker, [(path, n) for n in range(3)])) == [0, 1, 2]
    assert len(TranslationCache(path)) == 151
    assert TranslationCache(path).segment_count() == 151


@pytest.mark.parametrize("case", [json.loads(l) for l in (DATA / "translation_names.jsonl").open()],
                         ids=lambda c: c["label"])
def test_names(case):
    idx = NameIndex.from_texts(case["input"]["doc"])
    assert idx.apply(case["input"]["text"])[0] == case["expected"]


def test_names_applied_in_es_en_only(tmp_path, monkeypatch):
    class Same(UpperEngine):
        def translate_batch(self, texts, src, tgt):
            return list(texts)

    tr = make(tmp_path, Same(), monkeypatch)
    idx = NameIndex.from_texts(["Sergey Lavrov arrived."])
    (r,) = tr.translate(["con Serguéi Lavrov"], "es", "en", names=idx)
    assert r.text == "con Sergey Lavrov"
    assert {"type": "name", "from": "Serguéi Lavrov", "to": "Sergey Lavrov"} in r.notes
    (r,) = tr.translate(["with Serguéi Lavrov"], "en", "es", names=idx)
    assert r.text == "with Serguéi Lavrov"


_TEXT = st.lists(st.sampled_from(["hola", "el", "presidente", "@Fariacrt", "#Moscú", "🇻🇪", "🤝🏾", "3,5",
                                  "https://t.co/x1", "4/7/2022", "OPEP+", ",", "dijo"]), min_size=1,
                 max_size=12).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_TEXT, min_size=1, max_size=5))
def test_property_protected_spans_survive(texts):
    for eng in (UpperEngine(), LossyEngine()):
        tr = Translator(TranslationConfig(cache=CacheConfig(enabled=False)))
        tr._engines[("es", "en")] = eng
        res = tr.translate(texts, "es", "en")
        assert len(res) == len(texts)
        for t, r in zip(texts, res):
            if r.text is None:
                assert r.reason == "no_translatable_text"
                continue
            for s in find_protected(t):
                assert r.text.count(s.text) >= t.count(s.text)


def test_split_long_law():
    text = "Uno dos tres. Cuatro, cinco seis; siete ocho nueve diez once doce trece catorce."
    for limit in (5, 10, 20, 40, 200):
        parts = split_long(text, limit)
        assert "".join(parts).replace(" ", "") == text.replace(" ", "")
        assert all(len(p) <= limit for p in parts)


def test_no_engine_message(monkeypatch):
    cfg = TranslationConfig(engine="auto", apertium=msgspec.structs.replace(TranslationConfig().apertium,
                                                                        command="no-such-apertium"))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", "/nonexistent-dir")
    with pytest.raises(EngineUnavailable) as exc:
        engines.get_engine(cfg, "es", "en")
    assert "apt-get install apertium-eng-spa" in str(exc.value)
    assert "pipeline models install" in str(exc.value)


@pytest.mark.apertium
@pytest.mark.skipif(not HAS_APERTIUM, reason="apertium not installed")
def test_apertium_pipeline_keeps_every_protected_span(tmp_path):
    tr = Translator(TranslationConfig(engine="apertium", cache=CacheConfig(path=str(tmp_path / "c.db"))))
    texts = [
        "Hola @Fariacrt, el canciller habló en #Moscú 🇻🇪🤝🏾🇷🇺 pic.twitter.com/DyWcvZOoMh",
        "El 4/7/2022 a las 10:30 se vendieron 300.000 barriles (3,5 %) según www.pdvsa.com/info.",
        "Escriba a prensa@mppre.gob.ve o a @CancilleriaVE #VenezuelaRusia 👍🏽",
    ]
    res = tr.translate(texts, "es", "en")
    for t, r in zip(texts, res):
        for s in find_protected(t):
            assert s.text in r.text, (s.text, r.text)
    assert all(r.engine == "apertium" and r.version.startswith("apertium-eng-spa") for r in res)


def test_engines_made_before_the_translator_are_used(monkeypatch):
    # `pipeline translate` makes and starts its engine before importing the translator module: the
    # translator takes it as it is for that direction and makes the others itself
    given, other = UpperEngine(), UpperEngine()
    monkeypatch.setattr("pipeline.translate.translator.get_engine", lambda c, s, t: other)
    tr = Translator(TranslationConfig(cache=CacheConfig(enabled=False)), engines={("es", "en"): given})
    assert tr.engine("es", "en") is given and tr.engine("en", "es") is other
    assert tr.translate(["hola"], "es", "en")[0].text == "HOLA" and given.calls == [["hola"]]


class BlockStartEngine(UpperEngine):
    """Translates a few Spanish pieces as apertium does, capitalising the first word of every block."""

    name = "blocks"
    WORDS = {"dijo que": "He said that", "y tampoco quiero": "And neither I want",
             "pueden saber": "They can know", "los usuarios de": "The users of"}

    def translate_batch(self, texts, src, tgt):
        self.calls.append(list(texts))
        return [self.WORDS.get(t, t) for t in texts]


@pytest.mark.parametrize("text, english, expected", [
    # the English span in the middle is kept; the Spanish piece after it continues the sentence
    ("dijo que Springer, y tampoco quiero", "Springer,", "He said that Springer, and neither I want"),
    # a subject the engine supplied right after a name keeps its capital for the repairs (undouble_subject)
    ("los usuarios de Facebook pueden saber", "Facebook", "The users of Facebook They can know"),
])
def test_a_piece_that_continues_its_sentence_is_not_capitalised(monkeypatch, text, english, expected):
    eng = BlockStartEngine()
    monkeypatch.setattr("pipeline.translate.translator.get_engine", lambda c, s, t: eng)
    tr = Translator(TranslationConfig(cache=CacheConfig(enabled=False)))
    a = text.index(english)
    b = a + len(english)
    spans = [LangSpan(0, a, "es"), LangSpan(a, b, "en"), LangSpan(b, len(text), "es")]
    (res,) = tr.translate([text], "es", "en", spans=[spans])
    assert res.text == expected and len(eng.calls[0]) == 2
