"""Batches of documents: one engine pass per direction for a whole batch gives each document exactly what
translating the documents one after the other gives it; batch tasks have short names in the scheduler.

The engine here keeps context within a batch, as apertium's tagger does (a segment's output depends on the
other segments of its call), so a batched call that merged the documents' batches would be caught.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import luigi
import pytest

from conftest import needs_apertium
from pipeline.config import CacheConfig, TranslationConfig
from pipeline.records import LangSpan
from pipeline.translate.engines import EngineError
from pipeline.translate.translator import NameIndex, Translator

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
NEWS = ROOT.parent / "shared" / "data" / "news"


class ContextEngine:
    """Output depends on the batch: each text gets its batch's size and its position in it. Fails any batch
    holding 'boom'. Records every call."""

    name = "context"

    def __init__(self, groups: bool = True):
        self.calls: list[list[list[str]]] = []
        self.groups = groups
        if not groups:  # a stateless engine (argos): no groups, output independent of the batch
            self.translate_groups = None

    def version(self, src, tgt):
        return "1"

    def _one(self, texts):
        if any("boom" in t for t in texts):
            raise EngineError("crashed")
        if not self.groups:
            return [t.upper() for t in texts]
        return [f"{t.upper()} <{len(texts)}:{i}>" for i, t in enumerate(texts)]

    def translate_batch(self, texts, src, tgt):
        self.calls.append([list(texts)])
        return self._one(texts)

    def translate_groups(self, groups, src, tgt):
        self.calls.append([list(g) for g in groups])
        return [self._one(g) if g else [] for g in groups]


DOCS = [
    ["El presidente dijo hola.", "Nos reunimos en Caracas @Fariacrt.", "El presidente dijo hola."],
    ["Otra frase sin nada.", "Nos reunimos en Caracas @Fariacrt.", "Una cosa nueva, y otra mas larga."],
    ["", "Otra frase sin nada.", "Y al final, la boom explota."],
    ["Una cosa nueva, y otra mas larga.", "Dijo que vamos al cine https://t.co/x1 hoy."],
]


def translator(tmp_path: Path, name: str, engine, cache: bool) -> Translator:
    cfg = TranslationConfig(cache=CacheConfig(enabled=cache, path=str(tmp_path / f"{name}.sqlite3")))
    tr = Translator(cfg)
    tr._engines[("es", "en")] = engine
    return tr


def results(batches):
    return [[(r.text, r.reason, r.notes) for r in batch] for batch in batches]


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("groups", [True, False])
def test_translate_many_equals_one_document_after_the_other(tmp_path, cache, groups):
    names = [NameIndex.from_texts(["Caracas is far"]), None, None, NameIndex.from_texts(["the cine"])]
    spans = [None, None, None, [None, [LangSpan(0, 20, "es"), LangSpan(20, 43, "en")]]]
    one = translator(tmp_path, "one", ContextEngine(groups), cache)
    expected = [one.translate(texts, "es", "en", spans=sp, names=n) for texts, sp, n in zip(DOCS, spans, names)]
    eng = ContextEngine(groups)
    many = translator(tmp_path, "many", eng, cache)
    got = many.translate_many(DOCS, "es", "en", spans=spans, names=names)
    assert results(got) == results(expected)
    # one engine pass for the documents (the failing batch is then retried on its own, as before)
    assert len(eng.calls[0]) == (4 if groups else 1)
    assert any(r.text is None and r.reason == "engine_error" for r in got[2])
    if cache:  # the second document's repeated sentence came from the first one's translation
        assert got[1][1].text.endswith("<2:1>") if groups else True
        assert any(n["type"] == "cache_hit" for n in got[1][1].notes)


def test_translate_many_is_one_pass_per_direction_in_the_translate_stage(tmp_path):
    from pipeline import stages
    from pipeline.records import Segment

    def doc(d, texts):
        return [Segment(doc=d, index=i, start=0, end=len(t), text=t, kind="sentence", lang="es",
                        spans=[LangSpan(0, len(t), "es")]) for i, t in enumerate(texts)]

    docs_one = [doc(f"d{i}", texts) for i, texts in enumerate(DOCS)]
    docs_many = [doc(f"d{i}", texts) for i, texts in enumerate(DOCS)]
    one = translator(tmp_path, "one", ContextEngine(), True)
    for segs in docs_one:
        stages.translate_stage(segs, one, None)
    eng = ContextEngine()
    stages.translate_documents([(segs, None) for segs in docs_many], translator(tmp_path, "many", eng, True))
    assert [[s.to_dict() for s in segs] for segs in docs_many] == [[s.to_dict() for s in segs] for segs in docs_one]
    assert len([c for c in eng.calls if len(c) > 1]) == 1


@needs_apertium
def test_apertium_batched_documents_match_one_by_one(tmp_path):
    """Real engine, real news sentences: the tagger starts fresh per document in one pass."""
    lines = []
    for path in sorted(NEWS.glob("*.spa"))[:1]:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()][:60]
    if not lines:
        lines = [ln.strip() for p in sorted(SEEDS.glob("*.txt")) for ln in p.read_text().splitlines() if ln.strip()]
    docs = [lines[i:i + 12] for i in range(0, len(lines), 12)]
    docs.append(docs[0][:3] + docs[1][:3])  # repeated sentences: cache hits from earlier documents
    cfg = TranslationConfig(engine="apertium", cache=CacheConfig(path=str(tmp_path / "one.sqlite3")))
    one = Translator(cfg)
    expected = [one.translate(d, "es", "en") for d in docs]
    many = Translator(TranslationConfig(engine="apertium", cache=CacheConfig(path=str(tmp_path / "many.sqlite3"))))
    got = many.translate_many(docs, "es", "en")
    one.close()
    many.close()
    assert results(got) == results(expected)


def test_batch_names_are_short_and_tell_the_batch_apart():
    from pipeline.tasks.corpus import ProcessDocuments, batch_name

    paths = [f"/data/in/{i:05d}_news.txt" for i in range(200)]
    name = batch_name(paths)
    assert name.startswith("00000_news.txt+199-") and len(name) < 40
    assert batch_name(paths[:199]) != name and batch_name(paths[1:] + paths[:1]) != name
    a = ProcessDocuments(doc_paths=paths, output_dir="out", config_path="")
    assert a.batch == name and "00199" not in a.task_id
    b = ProcessDocuments(doc_paths=paths[:100], output_dir="out", config_path="")
    assert a.task_id != b.task_id


def test_scheduler_shows_the_batch_name_not_the_document_list(tmp_path):
    """What luigid's page lists (its task_list API): the short batch name; the document list is hidden
    from it and written to <output>/batches/<name>.json when the task runs."""
    from pipeline.tasks.corpus import ProcessDocuments

    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    paths = [str(p) for p in sorted(inputs.iterdir())]
    task = ProcessDocuments(doc_paths=paths, output_dir=str(tmp_path / "out"), config_path="")
    sch = luigi.scheduler.Scheduler()
    with luigi.worker.Worker(scheduler=sch, no_install_shutdown_handler=True) as w:
        w.add(task)
        listed = sch.task_list("", "")
        assert list(listed) == [task.task_id]
        shown = listed[task.task_id]
        assert shown["params"]["batch"] == task.batch
        assert "doc_paths" not in shown["params"] and paths[1] not in shown["display_name"]
        assert task.batch in shown["display_name"]
    written = json.loads(Path(task.write_batch_list()).read_text())
    assert written == {"batch": task.batch, "doc_paths": paths}


@pytest.mark.parametrize("background", [False, True])
def test_quality_round_trips_prefetched_for_several_documents_score_the_same(tmp_path, background):
    """The export asks the scorer to translate the round trips of the next documents in one pass; the
    scores are those of one call per document (the engine keeps context within a call), and a document
    whose pairs differ from what was prefetched is translated on its own."""
    from corpus_fixtures import FixedDetector
    from pipeline.config import Config
    from pipeline.corpus.quality import QualityScorer

    docs = [([(es, es.lower()) for es in texts if es], ["es", "en", None][: len([t for t in texts if t])])
            for texts in DOCS]
    docs = [(pairs, (origins + ["es"] * len(pairs))[:len(pairs)]) for pairs, origins in docs]

    def scorer(name):
        eng = ContextEngine()
        tr = translator(tmp_path, name, eng, False)
        tr._engines[("en", "es")] = eng
        return QualityScorer(Config(), translator=tr, detector=FixedDetector()), eng

    plain, _ = scorer("plain")
    expected = [plain.score(pairs, origins) for pairs, origins in docs]
    fetched, eng = scorer("fetched")
    fetched.prefetch(docs[:3], background=background)
    fetched.wait()
    calls = len(eng.calls)
    got = [fetched.score(pairs, origins) for pairs, origins in docs]
    assert got == expected
    # one pass per direction for the three documents (the batch with 'boom' is then retried on its own)
    assert sum(1 for c in eng.calls[:calls] if len(c) == 3) == 2
    assert len(eng.calls) > calls  # the fourth document, not prefetched, translated on its own


def test_translate_directions_side_by_side_equal_one_after_the_other(tmp_path):
    to_en, to_es = ContextEngine(), ContextEngine()
    one = translator(tmp_path, "one", to_en, True)
    one._engines[("en", "es")] = to_es
    english = [[t.replace("El", "The") for t in doc] for doc in DOCS]
    expected = [one.translate_many(DOCS, "es", "en"), one.translate_many(english, "en", "es")]
    both = translator(tmp_path, "both", ContextEngine(), True)
    both._engines[("en", "es")] = ContextEngine()
    got = both.translate_directions([{"batches": DOCS, "src": "es", "tgt": "en"},
                                     {"batches": english, "src": "en", "tgt": "es"}])
    assert [results(r) for r in got] == [results(r) for r in expected]


def _build(inp: Path, out: Path) -> bool:
    from pipeline.tasks import BuildCorpus

    result = luigi.build([BuildCorpus(input_dir=str(inp), output_dir=str(out))], local_scheduler=True,
                         detailed_summary=True, log_level="CRITICAL", workers=1)
    return result.status.name.startswith("SUCCESS")


def _stage_records(out: Path) -> dict[str, list[str]]:
    """Every stage file's segment lines (the header names the output folder's fingerprint), by stage/doc."""
    return {f"{p.parent.parent.name}/{p.parent.name}": p.read_text(encoding="utf-8").splitlines()[1:]
            for p in sorted((out / "work").glob("*/*/*.jsonl"))}


@needs_apertium
def test_batch_chunks_translated_while_the_next_are_prepared_change_nothing(tmp_path, monkeypatch):
    """ProcessDocuments runs the stages before translation for the next chunk of documents in a helper
    thread while the current chunk is translated: with one document per chunk the stage files and the
    corpus are those of one chunk for the whole batch."""
    from pipeline.tasks.corpus import ProcessDocuments

    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    runs = {}
    for chunk in (1000, 1):
        monkeypatch.setattr(ProcessDocuments, "CHUNK", chunk)
        out = tmp_path / f"out-{chunk}"
        assert _build(inp, out)
        runs[chunk] = out
    assert _stage_records(runs[1]) == _stage_records(runs[1000])
    for name in ("es-en.jsonl", "rejected.jsonl", "review.jsonl", "provenance.jsonl"):
        assert (runs[1] / "corpus" / name).read_bytes() == (runs[1000] / "corpus" / name).read_bytes()


@needs_apertium
def test_a_stage_failing_in_the_helper_thread_fails_the_batch_and_a_rerun_completes(tmp_path, monkeypatch):
    from pipeline.tasks.corpus import ProcessDocuments
    from pipeline.tasks.document import RepairSource

    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    monkeypatch.setattr(ProcessDocuments, "CHUNK", 1)
    real = RepairSource.transform
    broken = sorted(p.stem for p in inp.glob("*.txt"))[1]

    def transform(self, header, segments):
        if self.doc_id == broken:
            raise RuntimeError("repair failed")
        return real(self, header, segments)

    monkeypatch.setattr(RepairSource, "transform", transform)
    out = tmp_path / "out"
    assert not _build(inp, out)
    assert not (out / "corpus").exists()
    monkeypatch.setattr(RepairSource, "transform", real)
    assert _build(inp, out)
    assert (out / "corpus" / "es-en.jsonl").stat().st_size > 0


@needs_apertium
def test_round_trips_translated_ahead_by_the_batch_task_leave_the_corpus_unchanged(tmp_path, monkeypatch):
    """`pipeline run` with one worker: the batch task translates the quality score's round trips while later
    chunks are processed, and the export takes them instead of translating them; the corpus (scores
    included) is the same as when the export translates them itself."""
    from pipeline.cli import main
    from pipeline.corpus import quality
    from pipeline.tasks.corpus import ProcessDocuments

    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    monkeypatch.setattr(ProcessDocuments, "CHUNK", 1)
    taken: list[bool] = []
    real_take = quality.SharedRoundTrips.take

    def take(self, key):
        out = real_take(self, key)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(quality.SharedRoundTrips, "take", take)
    warmed: list[int] = []
    real_warm = quality.SharedRoundTrips.warm_langid

    def warm_langid(self, detector, documents):
        documents = list(documents)
        real_warm(self, detector, documents)
        warmed.append(sum(len(pairs) for pairs, _ in documents))

    monkeypatch.setattr(quality.SharedRoundTrips, "warm_langid", warm_langid)
    chrf_ahead: list[bool] = []
    real_take_chrf = quality.SharedRoundTrips.take_chrf

    def take_chrf(self, hyp, ref):
        out = real_take_chrf(self, hyp, ref)
        chrf_ahead.append(out is not None)
        return out

    monkeypatch.setattr(quality.SharedRoundTrips, "take_chrf", take_chrf)
    assert main(["run", "--input", str(inp), "--output", str(tmp_path / "ahead"), "--no-progress"]) == 0
    assert taken and all(taken)  # every document's round trips were translated ahead
    assert sum(warmed) > 0  # and the languages of their pairs' sides worked out ahead
    assert chrf_ahead and all(chrf_ahead)  # and the round trips' chrF
    assert not quality.HANDOFF["enabled"]  # switched off again after the run
    taken.clear()
    monkeypatch.setattr(quality, "round_trip_handoff", lambda cfg: None)
    assert main(["run", "--input", str(inp), "--output", str(tmp_path / "export"), "--no-progress"]) == 0
    assert not any(taken)
    for name in ("es-en.jsonl", "rejected.jsonl", "review.jsonl", "provenance.jsonl"):
        assert (tmp_path / "ahead" / "corpus" / name).read_bytes() == \
            (tmp_path / "export" / "corpus" / name).read_bytes()


@needs_apertium
class LosingEngine(ContextEngine):
    """ContextEngine that loses the first placeholder of a text saying 'pierde' (a placeholder fallback)."""

    def _one(self, texts):
        return [o.replace("⟦0⟧", "", 1) if "PIERDE" in o else o for o in super()._one(texts)]


@pytest.mark.parametrize("cache", [True, False])
def test_translate_passes_equal_translate_many_pass_after_pass(tmp_path, cache):
    """The line tool's passes: a pass's placeholder fallbacks share the next pass's engine call (without a
    cache), and every result is what translate_many gives pass after pass."""
    passes = [[DOCS[0], ["pierde @alguien aquí", "Otra frase sin nada."]], [DOCS[1]],
              [["", "   "]], [["Y pierde https://t.co/x1 también.", "Una cosa nueva, y otra mas larga."], DOCS[3]]]
    one = translator(tmp_path, "one", LosingEngine(), cache)
    expected = [one.translate_many(p, "es", "en") for p in passes]
    assert any(n["type"] == "placeholder_fallback" for b in expected[0] for r in b for n in r.notes)
    eng = LosingEngine()
    many = translator(tmp_path, "many", eng, cache)
    got = list(many.translate_passes(iter(passes), "es", "en"))
    assert [results(g) for g in got] == [results(e) for e in expected]
    # pass after pass: 5 engine calls (main and fallback of the first and last passes, main of the second).
    # Without a cache the first pass's fallback rides in the second pass's call: 4.
    sequential = len(one._engines[("es", "en")].calls)
    assert sequential == 5 and len(eng.calls) == (sequential if cache else sequential - 1)


def test_line_tool_passes_of_several_batches_translate_as_one_call_per_batch(capsys, monkeypatch):
    """`pipeline translate` sends up to four --batch batches through the engine in one pass; each is still
    its own engine batch (a fresh tagger), so the lines out are those of one engine call per batch."""
    import io

    from pipeline.cli import main
    from pipeline.commands import translate as line_tool

    lines = [ln.strip() for p in sorted(SEEDS.glob("*.txt")) for ln in p.read_text().splitlines() if ln.strip()][:14]
    outs = []
    for passes in (4, 1):
        monkeypatch.setattr(line_tool, "PASS", passes)
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(("\n".join(lines) + "\n").encode())))
        assert main(["translate", "--from", "es", "--to", "en", "--no-cache", "--batch", "3"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == len(lines)


@needs_apertium
def test_without_round_trip_no_second_engine_pass_and_the_same_pairs(tmp_path, monkeypatch):
    """filters.round_trip: false scores pairs without translating them back (quality.round_trip null, the
    model's weights for that case): no round trip is translated, by the batch task or the export, and the
    pairs are those of a run with it (min_quality 0 keeps every pair either way)."""
    import yaml

    from pipeline.cli import main
    from pipeline.config import default_config_path
    from pipeline.corpus import quality

    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    assert main(["run", "--input", str(inp), "--output", str(tmp_path / "with"), "--no-progress"]) == 0
    shipped = Path(default_config_path()).resolve()
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["filters"]["round_trip"] = False
    for section, key in (("translation", "glossary"), ("repairs", "dictionary")):  # relative to the config
        if data.get(section, {}).get(key) and not Path(data[section][key]).is_absolute():
            data[section][key] = str(shipped.parent / data[section][key])
    cfg = tmp_path / "no_round_trip.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")

    def refuse(*args, **kwargs):
        raise AssertionError("a round trip was translated")

    monkeypatch.setattr(quality, "translate_round_trips", refuse)
    monkeypatch.setattr(quality, "shared_round_trips", refuse)
    assert main(["--config", str(cfg), "run", "--input", str(inp), "--output", str(tmp_path / "without"),
                 "--no-progress"]) == 0
    read = lambda run: [json.loads(l) for l in (tmp_path / run / "corpus" / "es-en.jsonl").open(encoding="utf-8")]  # noqa: E731
    with_rt, without = read("with"), read("without")
    assert [p["translation"] for p in without] == [p["translation"] for p in with_rt] and without
    assert all(p["quality"]["round_trip"] is None and 0 <= p["quality"]["score"] <= 1 for p in without)
    assert all(p["quality"]["round_trip"] is not None for p in with_rt)


def test_warming_the_language_of_pairs_asks_the_detector_within_half_its_memory():
    """``SharedRoundTrips.warm_langid`` asks the detector about both sides of each pair, in order, and stops
    at half the detector's memory, so a long run does not push out what it warmed before its export."""
    from pipeline.corpus.quality import SharedRoundTrips

    class Detector:
        REMEMBERED = 8

        def __init__(self):
            self.asked = []

        def detect(self, text):
            self.asked.append(text)

    det = Detector()
    shared = SharedRoundTrips(translator=None)
    docs = [([("uno", "one"), ("dos", "two")], ["es", "en"]), ([("tres", "three"), ("cuatro", "four")], [None, "en"])]
    shared.warm_langid(det, docs)
    assert det.asked == ["uno", "one", "dos", "two"]  # 4 texts: half of the detector's memory
    shared.warm_langid(det, docs)  # the budget is spent: nothing more
    assert det.asked == ["uno", "one", "dos", "two"]


def test_chunk_sizes_cover_the_batch_in_order_with_short_ends():
    from pipeline.tasks.corpus import chunk_sizes

    for n in range(0, 400):
        sizes = chunk_sizes(n, 25, 4)
        assert sum(sizes) == n and all(0 < s <= 25 for s in sizes)
        if n >= 60:  # room for both ends' ramps: short first and last passes
            assert sizes[0] == 4 and sizes[-1] == 4
    assert chunk_sizes(7, 1, 4) == [1] * 7  # one document per chunk, as the tests of the overlap use
    assert chunk_sizes(3, 1000, 4) == [3]


@pytest.mark.parametrize("prefetch", [False, True])
def test_the_round_trip_translates_the_machine_translated_side_back(prefetch):
    """A pair's round trip compares the original with the engine's translation of the other side back into
    the original's language: for an English original the Spanish (machine-translated) side goes es -> en,
    for a Spanish original the English side goes en -> es; without an origin both, the lower kept.
    Translating the original again would compare the engine with itself (chrF 1.0 for every pair)."""
    from types import SimpleNamespace

    from corpus_fixtures import FixedDetector
    from pipeline.config import Config
    from pipeline.corpus.quality import QualityScorer

    class Recording:
        def __init__(self):
            self.asked = []

        def translate(self, texts, src, tgt, **kw):
            self.asked += [(src, tgt, t) for t in texts]
            return [SimpleNamespace(text=f"{tgt}:{t}") for t in texts]

        def translate_many(self, batches, src, tgt):
            return [self.translate(b, src, tgt) for b in batches]

    pairs = [("la casa roja", "the red house"), ("el perro", "the dog"), ("un gato", "a cat")]
    origins = ["en", "es", None]
    tr = Recording()
    scorer = QualityScorer(Config(), translator=tr, detector=FixedDetector())
    if prefetch:
        scorer.prefetch([(pairs, origins)])
    scorer.score(pairs, origins)
    assert sorted(tr.asked) == sorted([("es", "en", "la casa roja"),  # English original: its es side back
                                       ("en", "es", "the dog"),  # Spanish original: its en side back
                                       ("es", "en", "un gato"), ("en", "es", "a cat")])  # no origin: both
