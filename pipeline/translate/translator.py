"""The translation layer: protected spans, language spans, glossary, names, splitting, cache and engine.

Input: segments (str), a direction, optionally per-segment language spans and a ``NameIndex``.
Output: one ``TranslationResult`` per segment, with the engine, its version and notes on everything done
(name/glossary substitutions, placeholder fallbacks, splits, cache hits), or a reason when untranslatable.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import msgspec
import regex

from pipeline.translate.cache import TranslationCache, normalise, segment_key
from pipeline.translate.engines import EngineError, EngineUnavailable, get_engine, start_engine
from pipeline.translate.names import Glossary, NameIndex
from pipeline.protect import find_protected
from pipeline.records import LangSpan
from pipeline.resources.langwords import ES_FUNCTION, MONTHS_EN
from pipeline.resources.lexicon import FUNCTION_WORDS

__all__ = ["TranslationResult", "Translator", "NameIndex", "split_long", "placeholder"]

_LETTER = regex.compile(r"\p{L}")
_PLACEHOLDER = regex.compile(r"⟦(\d+)⟧")
_NEWLINES = regex.compile(r"(\n+)")
_PLACEHOLDER_SPLIT = regex.compile(r"(⟦\d+⟧)")
_SPLITS = tuple(regex.compile(p) for p in (r"(?<=[.!?;:…])\s+", r"(?<=[,)\]»”])\s+", r"\s+"))


def placeholder(i: int) -> str:
    """A token apertium carries through untouched and unmoved (checked by experiment; see tests)."""
    return f"⟦{i}⟧"


@dataclass
class TranslationResult:
    text: str | None
    reason: str | None
    engine: str
    version: str
    direction: str
    notes: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# How pieces are put back together; part of the segment-level cache key (2: continue_case).
ASSEMBLY = 2

# Closed-class words of each target language that are written lower-case inside a sentence (not the months
# and names among them: 'May', 'Will').
_CONTINUING = {"en": FUNCTION_WORDS - MONTHS_EN - {"will"}, "es": ES_FUNCTION}
_SUBJECTS = frozenset("it he she they we you él ella ellos ellas nosotros".split())
_FIRST_WORD = regex.compile(r"\A(\p{Lu}\p{Ll}*)(?![\p{L}'’])")
_SENTENCE_END = regex.compile(r"[.!?…][\"'”’»)\]]*\s*\Z")


def continue_case(output: str, source: str, before: str, tgt: str) -> str:
    """A piece translated after other text of its segment continues that sentence: the engine capitalised
    its first word as if it began one ('Springer, y tampoco' -> 'Springer, And neither'). Lower-cased when
    the source piece starts lower-case, the text before it does not end a sentence, and the word is a
    closed-class word of the target language (never a name, a month or 'I').

    >>> continue_case("And neither I want", "y tampoco quiero", "as it was Springer, ", "en")
    'and neither I want'
    >>> continue_case("I want", "yo quiero", "Springer, ", "en"), continue_case("May is", "mayo es", "x, ", "en")
    ('I want', 'May is')
    >>> continue_case("And then", "y luego", "It ended. ", "en"), continue_case("And then", "y luego", "", "en")
    ('And then', 'And then')
    >>> continue_case("Y el", "and the", "los dos países, ", "es")
    'y el'
    >>> continue_case("They can know", "pueden saber", "users of Facebook ", "en")
    'They can know'
    """
    m = _FIRST_WORD.match(output)
    if m is None or not before.strip() or _SENTENCE_END.search(before) or not source[:1].islower():
        return output
    word = m.group(1).lower()
    if word not in _CONTINUING.get(tgt, ()):
        return output
    if word in _SUBJECTS and before.rstrip()[-1:].isalpha():
        # 'los usuarios de Facebook pueden' -> 'users of Facebook They can': a subject the engine supplied
        # right after its noun, which the repairs remove as a doubled subject (undouble_subject)
        return output
    return output[:1].lower() + output[1:]


def split_long(text: str, limit: int) -> list[str]:
    """Split at sentence, then clause, then word boundaries into pieces of at most ``limit`` characters.

    Joining the pieces with single spaces gives back the text (up to whitespace runs).

    >>> split_long("One two. Three four, five six.", 12)
    ['One two.', 'Three four,', 'five six.']
    """
    if len(text) <= limit or limit <= 0:
        return [text]
    for pattern in _SPLITS:
        parts = [p for p in pattern.split(text) if p]
        if len(parts) > 1:
            break
    else:
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    out: list[str] = []
    for part in parts:
        if out and len(out[-1]) + 1 + len(part) <= limit:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    result: list[str] = []
    for piece in out:
        result.extend(split_long(piece, limit) if len(piece) > limit else [piece])
    return result


@dataclass
class _Unit:
    """One piece sent to the engine: masked text and what each placeholder stands for."""

    seg: int
    masked: str
    table: dict[str, str]  # placeholder -> text to put back (original span, or glossary target)
    kinds: dict[str, str]  # placeholder -> 'protected' | 'glossary'
    output: str | None = None
    error: str | None = None
    hit: bool = False  # served from the piece-level cache
    fallback: dict | None = None  # the placeholder_fallback note, when the engine mangled placeholders


@dataclass
class _Plan:
    """How a segment is rebuilt: literal strings and unit indices, in order."""

    parts: list = field(default_factory=list)  # str | int (index into units) | tuple(int, ...) for splits
    notes: list[dict] = field(default_factory=list)


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


class Translator:
    def __init__(self, config, cache_dir: Path | None = None,
                 engines: dict[tuple[str, str], object] | None = None):
        """``engines``: engines already made for some directions (``get_engine`` for this config), e.g.
        started before this module was imported; the others are made on first use."""
        self.config = config
        self._engines: dict[tuple[str, str], object] = dict(engines or {})
        self.glossary = Glossary.load(config.glossary) if config.glossary and Path(config.glossary).is_file() \
            else Glossary()
        self.cache: TranslationCache | None = None
        if config.cache.enabled:
            p = Path(config.cache.path)
            if not p.is_absolute():
                p = (Path(cache_dir) if cache_dir is not None else Path.cwd()) / p
            self.cache = TranslationCache(p, config.cache.max_entries,
                                          memory_entries=config.cache.memory_entries)
        # Everything in the config that changes a segment's result, for the segment-level cache key.
        settings = {"max_chars": config.max_chars, "argos": msgspec.to_builtins(config.argos),
                    "glossary": self.glossary.terms, "assembly": ASSEMBLY}
        self._settings_fp = _digest(settings)

    def engine(self, src: str, tgt: str):
        if (src, tgt) not in self._engines:
            self._engines[(src, tgt)] = get_engine(self.config, src, tgt)
        return self._engines[(src, tgt)]

    def engine_info(self, src: str, tgt: str) -> dict:
        eng = self.engine(src, tgt)
        return {"engine": eng.name, "version": eng.version(src, tgt)}

    def start(self, src: str, tgt: str) -> None:
        """Start a persistent engine for ``src``->``tgt`` ahead of its first batch, where the engine can
        (apertium's pipeline of processes); a no-op for the others."""
        start_engine(self.engine(src, tgt), src, tgt)

    def close(self) -> None:
        for eng in self._engines.values():
            if callable(getattr(eng, "close", None)):
                eng.close()  # persistent engine processes end with their translator
        self._engines.clear()
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    # -- planning -------------------------------------------------------------------------------------
    def _regions(self, text: str, spans: Sequence[LangSpan] | None, src: str) -> list[tuple[int, int, bool]]:
        """(start, end, translate?) covering the text; only runs in the source language are translated."""
        if spans is None:
            return [(0, len(text), True)]
        marks = [False] * len(text)
        for s in spans:
            if s.lang == src:
                for i in range(max(0, s.start), min(len(text), s.end)):
                    marks[i] = True
        out: list[tuple[int, int, bool]] = []
        for i, m in enumerate(marks):
            if out and out[-1][2] == m:
                out[-1] = (out[-1][0], i + 1, m)
            else:
                out.append((i, i + 1, m))
        return out

    def _mask(self, piece: str, src: str, tgt: str, seg: int, notes: list[dict], protected=None) -> _Unit:
        table: dict[str, str] = {}
        kinds: dict[str, str] = {}
        marks: list[tuple[int, int, str, str]] = []
        for s in (find_protected(piece) if protected is None else protected):
            marks.append((s.start, s.end, s.text, "protected"))
        for a, b, term, target in self.glossary.find(piece, src, tgt):
            if not any(x < b and a < y for x, y, _, _ in marks):
                marks.append((a, b, target, "glossary"))
                notes.append({"type": "glossary", "from": term, "to": target})
        marks.sort()
        out, pos = [], 0
        for a, b, value, kind in marks:
            tok = placeholder(len(table))
            table[tok] = value
            kinds[tok] = kind
            out.append(piece[pos:a])
            out.append(tok)
            pos = b
        out.append(piece[pos:])
        return _Unit(seg, "".join(out), table, kinds)

    def _plan(self, seg: int, text: str, spans, src: str, tgt: str, eng, units: list[_Unit]) -> _Plan:
        plan = _Plan()
        regions = self._regions(text, spans, src)
        if not all(t for _, _, t in regions):
            # A mixed segment: say which character ranges of the source were translated.
            plan.notes.append({"type": "language_spans", "lang": src,
                               "translated": [[a, b] for a, b, t in regions if t]})
        for start, end, translate in regions:
            region = text[start:end]
            if not translate:
                plan.parts.append(region)
                continue
            # Lines are translated apart: engines may move words across a newline.
            for line in (_NEWLINES.split(region) if "\n" in region else (region,)):
                core = line.strip()
                if not core or line.startswith("\n"):
                    plan.parts.append(line)
                    continue
                lead = line[:len(line) - len(line.lstrip())]
                trail = line[len(line.rstrip()):]
                plan.parts.append(lead)
                protected = find_protected(core)
                rest, pos = [], 0
                for s in protected:
                    rest.append(core[pos:s.start])
                    pos = s.end
                rest.append(core[pos:])
                if not _LETTER.search(" ".join(rest)):
                    plan.parts.append(core)  # only protected spans/punctuation: nothing to translate
                else:
                    pieces = split_long(core, self.config.max_chars)
                    fits = getattr(eng, "fits", None)
                    if fits is not None:
                        pieces = [q for p in pieces for q in self._split_to_fit(p, fits, src, tgt)]
                    if len(pieces) > 1:
                        plan.notes.append({"type": "split", "parts": len(pieces)})
                    idx = []
                    for p in pieces:
                        # The spans found above hold for the piece when it is the whole line.
                        units.append(self._mask(p, src, tgt, seg, plan.notes,
                                                protected if len(pieces) == 1 else None))
                        idx.append(len(units) - 1)
                    plan.parts.append(tuple(idx))
                plan.parts.append(trail)
        return plan

    def _split_to_fit(self, piece: str, fits, src: str, tgt: str) -> list[str]:
        if fits(piece, src, tgt):
            return [piece]
        halves = split_long(piece, max(1, len(piece) // 2 + 1))
        if len(halves) < 2:
            return [piece]
        return [q for h in halves for q in self._split_to_fit(h, fits, src, tgt)]

    # -- engine calls ---------------------------------------------------------------------------------
    def _run(self, eng, texts: list[str], src: str, tgt: str) -> list[str | EngineError]:
        """Translate a batch; if the batch fails, retry one by one so one bad segment fails alone."""
        if not texts:
            return []
        try:
            out = eng.translate_batch(texts, src, tgt)
            if len(out) != len(texts):
                raise EngineError(f"engine returned {len(out)} lines for {len(texts)}")
            return list(out)
        except EngineUnavailable:
            raise
        except EngineError as exc:
            if len(texts) == 1:
                return [exc]
        results: list[str | EngineError] = []
        for t in texts:
            try:
                results.append(eng.translate_batch([t], src, tgt)[0])
            except EngineUnavailable:
                raise
            except EngineError as exc:
                results.append(exc)
        return results

    def _run_groups(self, eng, groups: list[list[str]], src: str, tgt: str) -> list[list[str | EngineError]]:
        """Several batches in one engine pass, each translated as by its own ``_run`` (an engine with
        ``translate_groups`` keeps per-batch context, e.g. apertium's tagger); a failed pass falls back to
        one ``_run`` per batch, so one bad segment still fails alone."""
        if sum(1 for g in groups if g) <= 1:
            return [self._run(eng, g, src, tgt) for g in groups]
        try:
            if callable(getattr(eng, "translate_groups", None)):
                outs = eng.translate_groups(groups, src, tgt)
            else:  # stateless engines (argos): one large batch, which they sort by length themselves
                flat = eng.translate_batch([t for g in groups for t in g], src, tgt)
                outs, pos = [], 0
                for g in groups:
                    outs.append(flat[pos:pos + len(g)])
                    pos += len(g)
            if len(outs) == len(groups) and all(len(o) == len(g) for o, g in zip(outs, groups)):
                return [list(o) for o in outs]
        except EngineUnavailable:
            raise
        except EngineError:
            pass
        return [self._run(eng, g, src, tgt) for g in groups]

    def _translate_cached(self, eng, version: str, texts: list[str], src: str, tgt: str,
                          hits: set[str]) -> dict[str, str | EngineError]:
        return self._translate_cached_groups(eng, version, [texts], src, tgt, [hits])[0]

    def _translate_cached_groups(self, eng, version: str, groups: list[list[str]], src: str, tgt: str,
                                 hits: list[set[str]]) -> list[dict[str, str | EngineError]]:
        """Engine outputs by normalised text for each group, as if the groups were translated one after
        the other (a text sent for an earlier group is a cache hit for a later one), in one engine pass."""
        return self._drive(self._cached_groups_steps(eng, version, groups, src, tgt, hits))

    def _drive(self, steps):
        """Run a generator of steps that yields its engine pass (``_run_groups`` arguments) and gets the
        outputs back; returns what it returns."""
        try:
            request = next(steps)
            while True:
                request = steps.send(self._run_groups(*request))
        except StopIteration as stop:
            return stop.value

    def _cached_groups_steps(self, eng, version: str, groups: list[list[str]], src: str, tgt: str,
                             hits: list[set[str]]):
        direction = f"{src}-{tgt}"
        sent: set[str] = set()  # texts an earlier group sends to the engine
        plans = []
        for texts, group_hits in zip(groups, hits):
            unique = list(dict.fromkeys(normalise(t) for t in texts))
            done: dict[str, str | EngineError] = {}
            if self.cache is not None:
                done.update(self.cache.get_many(eng.name, version, direction, [t for t in unique if t not in sent]))
                group_hits.update(done)
            todo = [t for t in unique if t not in done and t not in sent]
            later = [t for t in unique if t not in done and t in sent]
            if self.cache is not None:  # without a cache every group translates all of its own texts
                sent.update(todo)
            plans.append((done, todo, later))
        outs = yield (eng, [todo for _, todo, _ in plans], src, tgt)
        fresh: dict[str, str | EngineError] = {}  # with a cache, each text is sent by one group only
        for (_, todo, _), out in zip(plans, outs):
            fresh.update(zip(todo, out))
        if self.cache is not None:
            self.cache.put_many(eng.name, version, direction,
                                [(s, o) for s, o in fresh.items() if isinstance(o, str) and o.strip()])
        result = []
        for (done, todo, later), group_hits, out in zip(plans, hits, outs):
            done.update(zip(todo, out))
            # sent by an earlier group: a cache hit when that worked, else translated again, as it would be
            cached = [t for t in later if isinstance(fresh[t], str) and fresh[t].strip()]
            done.update((t, fresh[t]) for t in cached)
            if self.cache is not None:
                group_hits.update(cached)
            retry = [t for t in later if t not in done]
            if retry:
                done.update(zip(retry, self._run(eng, retry, src, tgt)))
            result.append(done)
        return result

    def translate(self, texts: Sequence[str], src: str, tgt: str, *,
                  spans: Sequence[Sequence[LangSpan] | None] | None = None,
                  names: NameIndex | None = None) -> list[TranslationResult]:
        return self.translate_many([texts], src, tgt, spans=None if spans is None else [spans],
                                   names=[names])[0]

    def translate_many(self, batches: Sequence[Sequence[str]], src: str, tgt: str, *,
                       spans: Sequence[Sequence[Sequence[LangSpan] | None] | None] | None = None,
                       names: Sequence[NameIndex | None] | None = None) -> list[list[TranslationResult]]:
        """Several documents' segments in one direction, with one engine pass for all of them; each
        batch has its own spans and names. Results equal ``translate`` called batch after batch: a segment
        or piece an earlier batch translates is a cache hit for a later one, and each batch is one engine
        batch (apertium's tagger starts fresh for it)."""
        return self._drive(self._many_steps(batches, src, tgt, spans, names))

    def translate_passes(self, passes: Iterable[Sequence[Sequence[str]]], src: str,
                         tgt: str) -> Iterator[list[list[TranslationResult]]]:
        """``translate_many`` for each pass in turn (a line tool's successive chunks of input), the results
        of each pass yielded in order. Without a cache, a pass's follow-up engine work (the placeholder
        fallbacks, which need its main outputs) shares an engine pass with the next pass's main batches:
        one engine pass fewer per pass, with the same results, since every batch is still its own engine
        group and without a cache nothing one pass translates changes what another sends. With a cache,
        pass after pass (a later pass looks up what an earlier one stored)."""
        if self.cache is not None:
            for batches in passes:
                yield self.translate_many(batches, src, tgt)
            return
        waiting = None  # the previous pass: (its steps, its follow-up request)
        for batches in passes:
            steps = self._many_steps(batches, src, tgt, None, None)
            try:
                request = next(steps)
            except StopIteration as stop:  # nothing for the engine in this pass
                if waiting is not None:
                    yield self._drive_from_request(*waiting)
                    waiting = None
                yield stop.value
                continue
            if waiting is None:
                outs = self._run_groups(*request)
            else:
                (prev, prev_request) = waiting
                eng, prev_groups, _, _ = prev_request
                both = self._run_groups(eng, [*prev_groups, *request[1]], src, tgt)
                yield self._drive_from(prev, both[:len(prev_groups)])
                outs = both[len(prev_groups):]
            try:
                waiting = (steps, steps.send(outs))
            except StopIteration as stop:
                waiting = None
                yield stop.value
        if waiting is not None:
            yield self._drive_from_request(*waiting)

    def _drive_from_request(self, steps, request):
        return self._drive_from(steps, self._run_groups(*request))

    def translate_directions(self, requests: Sequence[dict]) -> list[list[list[TranslationResult]]]:
        """``translate_many`` for several directions (each request: ``batches``, ``src``, ``tgt`` and
        optionally ``spans``, ``names``), their main engine passes side by side: each direction has its
        own engine processes, so one direction's engine works while another's runs. Cache and planning
        stay in this thread; results are those of ``translate_many`` one direction after the other."""
        steps = [self._many_steps(r["batches"], r["src"], r["tgt"], r.get("spans"), r.get("names"))
                 for r in requests]
        results: list = [None] * len(steps)
        pending = []
        for i, st in enumerate(steps):
            try:
                pending.append((i, st, next(st)))
            except StopIteration as stop:
                results[i] = stop.value
        outs: dict[int, tuple[bool, object]] = {}

        def work(i: int, request) -> None:
            try:
                outs[i] = (True, self._run_groups(*request))
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                outs[i] = (False, exc)

        threads = [threading.Thread(target=work, args=(i, req), daemon=True) for i, _, req in pending[:-1]]
        for t in threads:
            t.start()
        if pending:
            work(pending[-1][0], pending[-1][2])
        for t in threads:
            t.join()
        for i, st, _ in pending:
            ok, value = outs[i]
            if not ok:
                raise value  # type: ignore[misc]
            results[i] = self._drive_from(st, value)
        return results

    def _drive_from(self, steps, outputs):
        try:
            request = steps.send(outputs)
            while True:
                request = steps.send(self._run_groups(*request))
        except StopIteration as stop:
            return stop.value

    def _many_steps(self, batches, src, tgt, spans, names):
        eng = self.engine(src, tgt)
        version = eng.version(src, tgt)
        direction = f"{src}-{tgt}"
        names = list(names) if names is not None else [None] * len(batches)
        names = [n if src == "es" and tgt == "en" else None for n in names]
        spans = list(spans) if spans is not None else [None] * len(batches)
        pending: dict[str, tuple[int, int]] = {}  # segment key -> (batch, group) translating it
        states = []
        for b, texts in enumerate(batches):
            results: list[TranslationResult | None] = [None] * len(texts)
            keys: dict[int, str] = {}
            waits: dict[int, tuple[int, int]] = {}
            for i, text in enumerate(texts):
                if not text or not text.strip():
                    results[i] = TranslationResult(None, "empty", eng.name, version, direction, [])
            if self.cache is not None:
                # Whole segments are looked up first, so a rerun skips masking, planning and engine calls.
                context = f"{self._settings_fp}|{_digest(sorted(names[b].canonical.items())) if names[b] else ''}"
                for i, text in enumerate(texts):
                    if results[i] is None:
                        seg_spans = "" if spans[b] is None or spans[b][i] is None else _digest(
                            [(s.start, s.end, s.lang) for s in spans[b][i]])
                        keys[i] = segment_key(eng.name, version, direction, text, f"{context}|{seg_spans}")
                stored = self.cache.get_segments([k for k in keys.values() if k not in pending])
                for i, key in keys.items():
                    if key in stored:
                        hit = stored[key]
                        results[i] = TranslationResult(hit["text"], None, eng.name, version, direction,
                                                       [*hit["notes"], {"type": "cache_hit", "level": "segment"}])
                    elif key in pending:
                        waits[i] = pending[key]
            # Segments with the same key are translated once.
            todo: dict[str | int, list[int]] = {}
            for i in range(len(texts)):
                if results[i] is None and i not in waits:
                    todo.setdefault(keys.get(i, i), []).append(i)
            for g, key in enumerate(todo):
                if isinstance(key, str):
                    pending[key] = (b, g)
            firsts = [group[0] for group in todo.values()]
            units, plans = self._prepare(eng, [texts[i] for i in firsts], src, tgt,
                                         None if spans[b] is None else [spans[b][i] for i in firsts])
            states.append((results, keys, waits, todo, units, plans))
        hits = [set() for _ in states]
        outputs = yield from self._cached_groups_steps(eng, version, [[u.masked for u in st[4]] for st in states],
                                                       src, tgt, hits)
        # Placeholder fallbacks of all batches share one engine pass. A retry below (a segment whose first
        # occurrence in an earlier batch failed) runs after that pass, not between the batches' fallbacks.
        finished = yield from self._finish_steps(
            eng, version, [(st[4], st[5], outputs[b], hits[b], names[b]) for b, st in enumerate(states)], src, tgt)
        fresh_by_batch = []
        for b, (results, keys, waits, todo, units, plans) in enumerate(states):
            fresh = finished[b]
            fresh_by_batch.append(fresh)
            for group, res in zip(todo.values(), fresh):
                for i in group:
                    results[i] = dataclasses.replace(res, notes=list(res.notes))
            retry = []
            for i, (b0, g0) in waits.items():
                first = fresh_by_batch[b0][g0]
                if first.text is None:  # nothing was cached for it: translated again, as it would be
                    retry.append(i)
                else:
                    results[i] = TranslationResult(first.text, None, eng.name, version, direction,
                                                   [*(n for n in first.notes if n.get("type") != "cache_hit"),
                                                    {"type": "cache_hit", "level": "segment"}])
            if retry:
                again = self.translate([batches[b][i] for i in retry], src, tgt,
                                       spans=None if spans[b] is None else [spans[b][i] for i in retry],
                                       names=names[b])
                for i, res in zip(retry, again):
                    results[i] = res
            if self.cache is not None:
                self.cache.put_segments(
                    (keys[group[0]], {"text": res.text,
                                      "notes": [n for n in res.notes if n.get("type") != "cache_hit"]})
                    for group, res in zip(todo.values(), fresh) if res.text is not None)
        return [st[0] for st in states]  # type: ignore[misc]

    def _translate_fresh(self, eng, version: str, texts: Sequence[str], src: str, tgt: str,
                         spans: Sequence[Sequence[LangSpan]] | None,
                         names: NameIndex | None) -> list[TranslationResult]:
        units, plans = self._prepare(eng, texts, src, tgt, spans)
        hits: set[str] = set()
        outputs = self._translate_cached(eng, version, [u.masked for u in units], src, tgt, hits)
        return self._finish(eng, version, units, plans, outputs, hits, src, tgt, names)

    def _prepare(self, eng, texts: Sequence[str], src: str, tgt: str,
                 spans: Sequence[Sequence[LangSpan] | None] | None) -> tuple[list[_Unit], list[_Plan | str]]:
        units: list[_Unit] = []
        plans: list[_Plan | str] = []
        for i, text in enumerate(texts):
            if not text or not text.strip():
                plans.append("empty")
                continue
            plan = self._plan(i, text, spans[i] if spans is not None else None, src, tgt, eng, units)
            plans.append(plan if any(isinstance(p, tuple) for p in plan.parts) else "no_translatable_text")
        return units, plans

    def _finish(self, eng, version: str, units: list[_Unit], plans: list[_Plan | str],
                outputs: dict[str, str | EngineError], hits: set[str], src: str, tgt: str,
                names: NameIndex | None) -> list[TranslationResult]:
        return self._drive(self._finish_steps(eng, version, [(units, plans, outputs, hits, names)], src, tgt))[0]

    def _finish_steps(self, eng, version: str, jobs, src: str, tgt: str):
        """The results of several batches (``(units, plans, outputs, hits, names)`` each) from their engine
        outputs. Units whose placeholders the engine lost are translated again piece by piece: the pieces
        of all batches in one engine pass, one group per batch (as if each batch's pieces were sent on
        their own, one batch after the other)."""
        direction = f"{src}-{tgt}"
        fallbacks = [self._check_placeholders(units, outputs, hits) for units, _, outputs, hits, _ in jobs]
        piece_lists = [[c for _, chunks, _ in fallback for c in chunks
                        if c and not _PLACEHOLDER.fullmatch(c) and _LETTER.search(c)] for fallback in fallbacks]
        piece_outs: list[dict[str, str | EngineError]] = [{} for _ in jobs]
        if any(piece_lists):
            want = [b for b, pieces in enumerate(piece_lists) if pieces]
            outs = yield from self._cached_groups_steps(eng, version, [piece_lists[b] for b in want], src, tgt,
                                                        [jobs[b][3] for b in want])
            for b, out in zip(want, outs):
                piece_outs[b] = out
        results_by_job = []
        for (units, plans, _, _, names), fallback, piece_out in zip(jobs, fallbacks, piece_outs):
            for u, chunks, note in fallback:
                rebuilt = []
                for c in chunks:
                    if not c or _PLACEHOLDER.fullmatch(c) or not _LETTER.search(c):
                        rebuilt.append(c)
                        continue
                    o = piece_out[normalise(c)]
                    if isinstance(o, EngineError):
                        u.error = o.reason
                        break
                    # Keep the spacing around protected spans that the source had.
                    lead = c[:len(c) - len(c.lstrip())]
                    trail = c[len(c.rstrip()):]
                    rebuilt.append(f"{lead}{o.strip()}{trail}")
                else:
                    u.output = "".join(rebuilt)
                    u.fallback = note
            results = []
            for i, plan in enumerate(plans):
                if isinstance(plan, str):
                    results.append(TranslationResult(None, plan, eng.name, version, direction, []))
                    continue
                results.append(self._assemble(plan, units, names, eng.name, version, direction))
            results_by_job.append(results)
        return results_by_job

    def _check_placeholders(self, units: list[_Unit], outputs: dict[str, str | EngineError],
                            hits: set[str]) -> list[tuple[_Unit, list[str], dict]]:
        """Take each unit's engine output when its placeholders came back once each; the units that need
        their pieces translated on their own, with the note saying what the engine did."""
        fallback: list[tuple[_Unit, list[str], dict]] = []
        for u in units:
            out = outputs[normalise(u.masked)]
            if isinstance(out, EngineError):
                u.error = out.reason
                continue
            if not out.strip():
                u.error = "engine_error"
                continue
            if normalise(u.masked) in hits:
                u.hit = True
            counts = {tok: out.count(tok) for tok in u.table}
            extra = [m.group() for m in _PLACEHOLDER.finditer(out) if m.group() not in u.table]
            if all(c == 1 for c in counts.values()) and not extra:
                u.output = out
            else:
                # The engine lost, duplicated or invented a placeholder: translate the text between
                # protected spans on its own and put the spans back between the pieces.
                note = {"type": "placeholder_fallback",
                        "lost": [t for t, c in counts.items() if c == 0],
                        "duplicated": [t for t, c in counts.items() if c > 1], "invented": extra}
                chunks = _PLACEHOLDER_SPLIT.split(u.masked)
                fallback.append((u, chunks, note))
        return fallback

    def _assemble(self, plan: _Plan, units: list[_Unit], names: NameIndex | None, engine: str,
                  version: str, direction: str) -> TranslationResult:
        notes = list(plan.notes)
        out: list[str] = []
        for part in plan.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            texts = []
            for ui in part:
                u = units[ui]
                if u.error:
                    return TranslationResult(None, u.error, engine, version, direction, notes)
                text = u.output or ""
                if u.hit:
                    notes.append({"type": "cache_hit", "level": "piece"})
                if u.fallback:
                    notes.append(u.fallback)
                if names is not None:
                    text, subs = names.apply(text)
                    notes.extend(subs)
                for tok, value in u.table.items():
                    text = text.replace(tok, value, 1)
                before = "".join(out) + " ".join(texts) + (" " if texts else "")
                texts.append(continue_case(text.strip(), u.masked.lstrip(), before, direction.split("-")[1]))
            out.append(" ".join(texts))
        return TranslationResult("".join(out), None, engine, version, direction, notes)
