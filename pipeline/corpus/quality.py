"""A quality score in [0, 1] for an es/en pair, offline, with its parts kept (like Bicleaner's score).

Parts, each in [0, 1] with 1 = looks like a good pair:

- ``round_trip``: character n-gram F1 (chrF-like, n = 1..4, case- and space-insensitive) between one side
  and the project's own engine's translation of the other side. For a corpus pair whose ``origin`` is known,
  only the machine-translated side is translated back into the original's language (the other direction
  would compare the engine with itself); with no origin (``pipeline score``), both directions, the lower
  kept. ``None`` when no engine is available;
- ``langid``: P(the es side is Spanish) x P(the en side is English), from the project's language detector;
- ``length``: agreement of the character-length ratio with the ratio of real es/en news pairs
  (a Gaussian on log(len_en / len_es), centre and width fitted with the model);
- ``numbers``: overlap (Jaccard) of the numbers, URLs and handles of both sides (1 when neither has any);
- ``copy``: 1 - the share of lower-case words of 3+ letters found on both sides (untranslated words:
  a copied side, or "cumplió con su counterpart").

They are combined by a logistic model, ``score = sigmoid(b + sum(w_i * part_i))``, fitted by
``benchmarks/quality_bench.py --fit`` on real news pairs against synthetic noise (misaligned pairs, copies,
truncations) and shipped as ``pipeline/corpus/quality_model.json`` (one set of weights with ``round_trip``,
one without).
"""
from __future__ import annotations

import msgspec
import json
import math
import threading
from collections import Counter, deque
from pathlib import Path
from typing import Any, Optional, Sequence

import regex

from pipeline.corpus.filters import _links, _numbers
from pipeline.corpus.schema import Quality

MODEL_PATH = Path(__file__).with_name("quality_model.json")
PARTS = ("round_trip", "langid", "length", "numbers", "copy")
_WORD = regex.compile(r"(?<![\p{L}\p{N}])\p{Ll}{3,}(?![\p{L}\p{N}])")
_SPACE = regex.compile(r"\s+")
_LETTER = regex.compile(r"\p{L}")


def _without_space(text: str) -> str:
    """``_SPACE.sub("", text)``: str.split() drops the same characters, except U+001C..U+001F, which
    ``regex``'s \\s does not match (and split is several times cheaper)."""
    if "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text:
        return _SPACE.sub("", text)
    return "".join(text.split())


def chrf(hyp: str, ref: str, max_n: int = 4) -> float:
    """Character n-gram F1 averaged over n = 1..max_n, ignoring case and whitespace.

    >>> chrf("The house", "the house"), round(chrf("abc", "xyz"), 2)
    (1.0, 0.0)
    """
    a, b = _without_space(hyp.casefold()), _without_space(ref.casefold())
    if not a or not b:
        return 0.0
    total, used = 0.0, 0
    for n in range(1, max_n + 1):
        la, lb = len(a) - n + 1, len(b) - n + 1  # the n-gram counts of each side
        if la <= 0 or lb <= 0:
            continue
        ga = Counter(a) if n == 1 else Counter([a[i:i + n] for i in range(la)])
        gb = Counter(b) if n == 1 else Counter([b[i:i + n] for i in range(lb)])
        small, big = (gb, ga) if len(ga) > len(gb) else (ga, gb)
        hit = 0  # sum((ga & gb).values()) without building the intersection
        for gram, c in small.items():
            d = big.get(gram)
            if d:
                hit += c if c < d else d
        p, r = hit / la, hit / lb
        total += 0.0 if hit == 0 else 2 * p * r / (p + r)
        used += 1
    return total / used if used else 0.0


def length_log_ratio(es: str, en: str) -> float:
    return math.log((len(en.strip()) + 1) / (len(es.strip()) + 1))


def numbers_agreement(es: str, en: str) -> float:
    """Jaccard overlap of numbers, URLs and handles.

    >>> numbers_agreement("Pagó 1.500 euros", "He paid 1,500 euros"), numbers_agreement("a 3", "b 4")
    (1.0, 0.0)
    """
    a = _numbers(es) + _links(es)
    b = _numbers(en) + _links(en)
    union = sum((a | b).values())
    return 1.0 if union == 0 else sum((a & b).values()) / union


def copy_agreement(es: str, en: str) -> float:
    """1 - share of lower-case words (3+ letters) present on both sides.

    >>> round(copy_agreement("cumplió con su counterpart", "he met his counterpart"), 3)
    0.667
    >>> copy_agreement("Nos reunimos hoy", "We met today")
    1.0
    """
    a, b = set(_WORD.findall(es)), set(_WORD.findall(en))
    if not a or not b:
        return 1.0
    return 1.0 - len(a & b) / min(len(a), len(b))


def lang_probability(detection: Any, expected: str) -> float:
    """P(text is ``expected``) from a detection: its confidence when it says so, 1 - confidence when it says
    the other pair language, 0.5 when undetermined, 0 for a third language."""
    lang, conf = getattr(detection, "lang", "und"), float(getattr(detection, "confidence", 0.0))
    if lang == expected:
        return conf
    if lang in ("es", "en"):
        return 1.0 - conf
    return 0.5 if lang == "und" else 0.0


def load_model(path: Path = MODEL_PATH) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def combine(parts: dict[str, Optional[float]], model: dict[str, Any]) -> float:
    """The logistic combination of the parts (the weights without ``round_trip`` when it is None)."""
    key = "with_round_trip" if parts.get("round_trip") is not None else "without_round_trip"
    m = model[key]
    z = m["intercept"] + sum(w * float(parts[name]) for name, w in m["weights"].items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def length_agreement(log_ratio: float, model: dict[str, Any]) -> float:
    mu, sigma = model["length"]["mu"], model["length"]["sigma"]
    return math.exp(-0.5 * ((log_ratio - mu) / sigma) ** 2)


def _without_cache(tcfg: Any) -> Any:
    """The translation config with the cache off (a scorer must not write a cache into the cwd)."""
    return msgspec.structs.replace(tcfg, cache=msgspec.structs.replace(tcfg.cache, enabled=False))


class SharedRoundTrips:
    """Round trips translated ahead, in this process, for a later ``QualityScorer`` of the same config:
    the batch task starts them for each chunk of documents as soon as the chunk's last stage is written,
    so the engine works on them while later chunks are processed, and the export finds them done.

    Each document's round trips are one engine batch per direction, exactly as the scorer's own prefetch
    makes them, and a scorer uses them only for exactly these pairs, so scores are unchanged. At most
    ``max_documents`` documents are translated ahead (no more are started once it is reached, so nothing
    is translated and then dropped); an entry is dropped when a scorer takes it."""

    def __init__(self, translator: Any, max_documents: int = 400) -> None:
        self.translator = translator
        self.engine_lock = threading.Lock()  # one engine user at a time (this worker, then the scorer)
        self.max_documents = max_documents
        self.started = 0
        self._done: dict[tuple[str, str, tuple[str, ...]], list[Optional[str]]] = {}
        self._lock = threading.Lock()
        self._pool: Any = None
        self.warmed = 0  # texts whose language was asked ahead (``warm_langid``)
        self._chrf: dict[tuple[str, str], float] = {}  # chrF of round trips translated ahead

    def start(self, documents: Sequence[tuple[Sequence[tuple[str, str]], Sequence[Optional[str]]]]) -> None:
        """Translate these documents' round trips in the background (after those started before)."""
        documents = list(documents)[:max(0, self.max_documents - self.started)]
        if not documents:
            return
        self.started += len(documents)
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="round-trips")
        self._pool.submit(self._run, documents)

    def warm_langid(self, detector: Any, documents) -> None:
        """Ask ``detector`` now, in the caller's thread, about both sides of these documents' pairs, as the
        score will (``detect``, without context): ``LanguageDetector.detect`` remembers its last answers,
        so the export finds them instead of working them out after the last document, while the engine
        sits idle. The answers are the same wherever they are worked out. At most half the detector's
        memory is filled this way, so that what a long run warms early is not all pushed out again
        before its export."""
        budget = getattr(detector, "REMEMBERED", 0) // 2
        for pairs, _origins in documents:
            for es, en in pairs:
                if self.warmed >= budget:
                    return
                detector.detect(es)
                detector.detect(en)
                self.warmed += 2

    def _run(self, documents) -> None:
        with self.engine_lock:
            done = translate_round_trips(self.translator, documents)
        scores = {}  # chrF of each round trip against the other side, as the score will ask for it
        for pairs, origins in documents:
            for (src, tgt, side, skip), key in zip(_DIRECTIONS, _round_trip_keys_all(pairs, origins)):
                outputs = done.get(key) if key else None
                if outputs is None:
                    continue
                refs = [p[1 - side] for p, o in zip(pairs, origins) if o != skip]
                for hyp, ref in zip(_standing_for_themselves(key[2], outputs), refs):
                    if hyp is not None:
                        scores[(hyp, ref)] = chrf(hyp, ref)
        with self._lock:
            self._done.update(done)
            self._chrf.update(scores)

    def wait(self) -> None:
        """Until every round trip started is in."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def close(self) -> None:
        self.wait()
        self.translator.close()

    def has(self, key) -> bool:
        with self._lock:
            return key in self._done

    def take_chrf(self, hyp: str, ref: str) -> Optional[float]:
        """``chrf(hyp, ref)`` if worked out with the round trips (and dropped then), else None."""
        with self._lock:
            return self._chrf.pop((hyp, ref), None)

    def take(self, key) -> Optional[list[Optional[str]]]:
        with self._lock:
            return self._done.pop(key, None)


# src, tgt, side translated, origin skipped: a pair's side is translated back only when it is (or may be)
# the machine-translated one, i.e. not when it is the original ('es' side of a Spanish original)
_DIRECTIONS = (("es", "en", 0, "es"), ("en", "es", 1, "en"))


def _round_trip_keys_all(pairs, origins) -> list[Optional[tuple[str, str, tuple[str, ...]]]]:
    """The key of each direction of ``_DIRECTIONS`` for one document's round trips (None: nothing to translate)."""
    keys: list[Optional[tuple[str, str, tuple[str, ...]]]] = []
    for src, tgt, side, skip in _DIRECTIONS:
        texts = tuple(p[side] for p, o in zip(pairs, origins) if o != skip)
        keys.append((src, tgt, texts) if texts else None)
    return keys


def _round_trip_keys(pairs, origins) -> list[tuple[str, str, tuple[str, ...]]]:
    """The keys ``translate_round_trips`` files one document's round trips under."""
    return [k for k in _round_trip_keys_all(pairs, origins) if k is not None]


def _standing_for_themselves(texts, outputs) -> list[Optional[str]]:
    """A text with no letters ("1.", a URL) has nothing to translate: it stands for itself."""
    return [t if o is None and not _LETTER.search(t) else o for t, o in zip(texts, outputs)]


def translate_round_trips(translator: Any, documents) -> dict[tuple[str, str, tuple[str, ...]], list[Optional[str]]]:
    """{(src, tgt, texts): outputs} for the round trips of several documents' pairs (as ``score`` is given
    them, one document per batch) in one engine pass per direction; empty when the engine fails (the
    scorer then translates them itself and records the error)."""
    requests = []
    for src, tgt, side, skip in _DIRECTIONS:
        batches = list(dict.fromkeys(tuple(p[side] for p, o in zip(pairs, origins) if o != skip)
                                     for pairs, origins in documents))
        batches = [b for b in batches if b]
        if batches:
            requests.append({"src": src, "tgt": tgt, "batches": batches})
    try:
        if hasattr(translator, "translate_directions"):  # both directions' engines at once
            answers = translator.translate_directions([{**r, "batches": [list(b) for b in r["batches"]]}
                                                       for r in requests])
        else:
            answers = [translator.translate_many([list(b) for b in r["batches"]], r["src"], r["tgt"])
                       for r in requests]
    except Exception:  # noqa: BLE001 - score() translates these itself and records the error
        answers = []
    done = {}
    for r, results in zip(requests, answers):
        for b, res in zip(r["batches"], results):
            done[(r["src"], r["tgt"], b)] = [x.text for x in res]
    return done


# Set by ``pipeline run`` when every task runs in this process (local scheduler, one worker): then the
# batch task translates the quality score's round trips ahead for the export, which runs here too.
HANDOFF = {"enabled": False}
_SHARED: dict[Any, SharedRoundTrips] = {}


def shared_round_trips(cfg: Any) -> SharedRoundTrips:
    """This process's round-trip translator for ``cfg`` (no cache, as the score needs) and what it
    translated ahead."""
    shared = _SHARED.get(cfg)
    if shared is None:
        from pipeline.translate.translator import Translator

        shared = _SHARED[cfg] = SharedRoundTrips(Translator(_without_cache(cfg.translation)))
    return shared


def close_shared_round_trips() -> None:
    """End the round-trip translators' engines (after a run: the next one starts afresh)."""
    for shared in _SHARED.values():
        shared.close()
    _SHARED.clear()


def round_trip_handoff(cfg: Any) -> Optional[SharedRoundTrips]:
    """``shared_round_trips(cfg)`` when the export will run in this process, else None (a forked worker
    or another host would translate round trips that nobody reads)."""
    import multiprocessing

    if HANDOFF["enabled"] and cfg.filters.round_trip and multiprocessing.current_process().name == "MainProcess":
        return shared_round_trips(cfg)
    return None


class QualityScorer:
    """Scores pairs in batches (one engine call per direction per batch).

    ``translator``/``detector`` default to the project's own, built from ``cfg``; pass
    ``round_trip=False`` to score without an engine.
    """

    def __init__(self, cfg: Any, *, translator: Any = None, detector: Any = None, round_trip: bool = True,
                 model: dict[str, Any] | None = None, shared: SharedRoundTrips | None = None) -> None:
        self.model = model or load_model()
        # round trips the batch task translated ahead (used and dropped), and its translator and engines
        self._shared = shared if round_trip and translator is None else None
        self.engine_error: str | None = None
        # round trips translated ahead (the last two prefetches); one engine user at a time
        self._prefetched: deque[dict[tuple[str, str, tuple[str, ...]], list[Optional[str]]]] = deque(maxlen=2)
        self._engine_lock = self._shared.engine_lock if self._shared is not None else threading.Lock()
        self._memo_lock = threading.Lock()
        self._background: Optional[threading.Thread] = None
        self.translator = translator
        self._own_translator = False
        if self._shared is not None:
            self._shared.wait()
            self.translator = self._shared.translator
        elif round_trip and translator is None:
            from pipeline.translate.translator import Translator
            self.translator = Translator(_without_cache(cfg.translation))
            self._own_translator = True
        if not round_trip:
            self.translator = None
        if detector is None:  # the process's own: it remembers what the detect stage saw
            from pipeline import runtime
            detector = runtime.detector(cfg)
        self.detector = detector

    def close(self) -> None:
        self.wait()
        if self._own_translator and self.translator is not None:
            self.translator.close()

    def _translate(self, texts: list[str], src: str, tgt: str) -> list[Optional[str]]:
        if not texts:
            return []
        if self.translator is None or self.engine_error:
            return [None] * len(texts)
        try:
            key = (src, tgt, tuple(texts))
            out = self._shared.take(key) if self._shared is not None else None
            if out is None:
                with self._memo_lock:
                    out = next((done[key] for done in self._prefetched if key in done), None)
            if out is None:
                with self._engine_lock:
                    out = [r.text for r in self.translator.translate(texts, src, tgt)]
            return _standing_for_themselves(texts, out)
        except Exception as exc:  # engine missing or broken: score without round trip, say why once
            self.engine_error = f"{type(exc).__name__}: {exc}"
            return [None] * len(texts)

    def prefetch(self, documents: Sequence[tuple[Sequence[tuple[str, str]], Sequence[Optional[str]]]],
                 background: bool = False) -> None:
        """Round trips for several documents' pairs (as ``score`` will be given them, one document per
        call) in one engine pass per direction. ``score`` uses them when it gets exactly these pairs, so
        the result is the same as without; what it is not given is translated then, as before.
        ``background``: in a thread (the engine runs in its own processes meanwhile), while the caller
        scores documents prefetched before; ``wait`` for it before relying on it."""
        self.wait()
        if self.translator is None or self.engine_error or not hasattr(self.translator, "translate_many"):
            return
        documents = [(list(pairs), list(origins)) for pairs, origins in documents]
        if background:
            self._background = threading.Thread(target=self._prefetch, args=(documents,), daemon=True)
            self._background.start()
        else:
            self._prefetch(documents)

    def wait(self) -> None:
        """Until the background prefetch (if any) is done."""
        if self._background is not None:
            self._background.join()
            self._background = None

    def _prefetch(self, documents) -> None:
        if self._shared is not None:  # what the batch task translated ahead is not translated again
            documents = [(pairs, origins) for pairs, origins in documents
                         if not all(self._shared.has(k) for k in _round_trip_keys(pairs, origins))]
        with self._engine_lock:
            done = translate_round_trips(self.translator, documents)
        with self._memo_lock:
            self._prefetched.append(done)

    def _chrf(self, hyp: str, ref: str) -> float:
        ahead = self._shared.take_chrf(hyp, ref) if self._shared is not None else None
        return chrf(hyp, ref) if ahead is None else ahead

    def round_trips(self, pairs: Sequence[tuple[str, str]],
                    origins: Sequence[Optional[str]]) -> list[Optional[float]]:
        # the machine-translated side goes back into the original's language and is compared with the
        # original: the es side of an English original, the en side of a Spanish one; both without origin
        need_en = [i for i, o in enumerate(origins) if o != "es"]  # es side translated, compared with en
        need_es = [i for i, o in enumerate(origins) if o != "en"]
        out_en = dict(zip(need_en, self._translate([pairs[i][0] for i in need_en], "es", "en")))
        out_es = dict(zip(need_es, self._translate([pairs[i][1] for i in need_es], "en", "es")))
        scores: list[Optional[float]] = []
        for i, (es, en) in enumerate(pairs):
            vals = []
            if i in out_en:
                vals.append(None if out_en[i] is None else self._chrf(out_en[i], en))
            if i in out_es:
                vals.append(None if out_es[i] is None else self._chrf(out_es[i], es))
            scores.append(None if not vals or any(v is None for v in vals) else min(vals))
        return scores

    def raw_parts(self, pairs: Sequence[tuple[str, str]],
                  origins: Sequence[Optional[str]] | None = None) -> list[dict[str, Optional[float]]]:
        """The parts before the model: ``length`` is still the log length ratio here."""
        origins = list(origins) if origins is not None else [None] * len(pairs)
        rts = self.round_trips(pairs, origins) if self.translator is not None else [None] * len(pairs)
        out = []
        for (es, en), rt in zip(pairs, rts):
            out.append({
                "round_trip": rt,
                "langid": lang_probability(self.detector.detect(es), "es")
                * lang_probability(self.detector.detect(en), "en"),
                "length": length_log_ratio(es, en),
                "numbers": numbers_agreement(es, en),
                "copy": copy_agreement(es, en),
            })
        return out

    def finish(self, raw: dict[str, Optional[float]]) -> Quality:
        parts = dict(raw, length=length_agreement(float(raw["length"]), self.model))
        parts = {k: (None if v is None else round(float(v), 4)) for k, v in parts.items()}
        return Quality(score=round(combine(parts, self.model), 4), **parts)

    def score(self, pairs: Sequence[tuple[str, str]],
              origins: Sequence[Optional[str]] | None = None) -> list[Quality]:
        return [self.finish(r) for r in self.raw_parts(pairs, origins)]
