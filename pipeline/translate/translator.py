"""The translation layer: protected spans, language spans, glossary, names, splitting, cache and engine.

Input: segments (str), a direction, optionally per-segment language spans and a ``NameIndex``.
Output: one ``TranslationResult`` per segment, with the engine, its version and notes on everything done
(name/glossary substitutions, placeholder fallbacks, splits, cache hits), or a reason when untranslatable.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import msgspec
import regex

from pipeline.translate.cache import TranslationCache, normalise, segment_key
from pipeline.translate.engines import EngineError, EngineUnavailable, get_engine
from pipeline.translate.names import Glossary, NameIndex
from pipeline.protect import find_protected
from pipeline.records import LangSpan

__all__ = ["TranslationResult", "Translator", "NameIndex", "split_long", "placeholder"]

_LETTER = regex.compile(r"\p{L}")
_PLACEHOLDER = regex.compile(r"⟦(\d+)⟧")


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


def split_long(text: str, limit: int) -> list[str]:
    """Split at sentence, then clause, then word boundaries into pieces of at most ``limit`` characters.

    Joining the pieces with single spaces gives back the text (up to whitespace runs).

    >>> split_long("One two. Three four, five six.", 12)
    ['One two.', 'Three four,', 'five six.']
    """
    if len(text) <= limit or limit <= 0:
        return [text]
    for pattern in (r"(?<=[.!?;:…])\s+", r"(?<=[,)\]»”])\s+", r"\s+"):
        parts = [p for p in regex.split(pattern, text) if p]
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
    def __init__(self, config, cache_dir: Path | None = None):
        self.config = config
        self._engines: dict[tuple[str, str], object] = {}
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
                    "glossary": self.glossary.terms}
        self._settings_fp = _digest(settings)

    def engine(self, src: str, tgt: str):
        if (src, tgt) not in self._engines:
            self._engines[(src, tgt)] = get_engine(self.config, src, tgt)
        return self._engines[(src, tgt)]

    def engine_info(self, src: str, tgt: str) -> dict:
        eng = self.engine(src, tgt)
        return {"engine": eng.name, "version": eng.version(src, tgt)}

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
            for line in regex.split(r"(\n+)", region):
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

    def _translate_cached(self, eng, version: str, texts: list[str], src: str, tgt: str,
                          hits: set[str]) -> dict[str, str | EngineError]:
        direction = f"{src}-{tgt}"
        unique = list(dict.fromkeys(normalise(t) for t in texts))
        done: dict[str, str | EngineError] = {}
        if self.cache is not None:
            done.update(self.cache.get_many(eng.name, version, direction, unique))
            hits.update(done)
        todo = [t for t in unique if t not in done]
        fresh = dict(zip(todo, self._run(eng, todo, src, tgt)))
        done.update(fresh)
        if self.cache is not None:
            self.cache.put_many(eng.name, version, direction,
                                [(s, o) for s, o in fresh.items() if isinstance(o, str) and o.strip()])
        return done

    def translate(self, texts: Sequence[str], src: str, tgt: str, *,
                  spans: Sequence[Sequence[LangSpan] | None] | None = None,
                  names: NameIndex | None = None) -> list[TranslationResult]:
        eng = self.engine(src, tgt)
        version = eng.version(src, tgt)
        direction = f"{src}-{tgt}"
        names = names if src == "es" and tgt == "en" else None
        results: list[TranslationResult | None] = [None] * len(texts)
        keys: dict[int, str] = {}
        for i, text in enumerate(texts):
            if not text or not text.strip():
                results[i] = TranslationResult(None, "empty", eng.name, version, direction, [])
        if self.cache is not None:
            # Whole segments are looked up first, so a rerun skips masking, planning and engine calls.
            context = f"{self._settings_fp}|{_digest(sorted(names.canonical.items())) if names else ''}"
            for i, text in enumerate(texts):
                if results[i] is None:
                    seg_spans = "" if spans is None or spans[i] is None else _digest(
                        [(s.start, s.end, s.lang) for s in spans[i]])
                    keys[i] = segment_key(eng.name, version, direction, text, f"{context}|{seg_spans}")
            stored = self.cache.get_segments(list(keys.values()))
            for i, key in keys.items():
                if key in stored:
                    hit = stored[key]
                    results[i] = TranslationResult(hit["text"], None, eng.name, version, direction,
                                                   [*hit["notes"], {"type": "cache_hit", "level": "segment"}])
        # Segments with the same key are translated once.
        todo: dict[str | int, list[int]] = {}
        for i in range(len(texts)):
            if results[i] is None:
                todo.setdefault(keys.get(i, i), []).append(i)
        firsts = [group[0] for group in todo.values()]
        fresh = self._translate_fresh(eng, version, [texts[i] for i in firsts], src, tgt,
                                      None if spans is None else [spans[i] for i in firsts], names)
        for group, res in zip(todo.values(), fresh):
            for i in group:
                results[i] = dataclasses.replace(res, notes=list(res.notes))
        if self.cache is not None:
            self.cache.put_segments(
                (keys[group[0]], {"text": res.text, "notes": [n for n in res.notes if n.get("type") != "cache_hit"]})
                for group, res in zip(todo.values(), fresh) if res.text is not None)
        return results  # type: ignore[return-value]

    def _translate_fresh(self, eng, version: str, texts: Sequence[str], src: str, tgt: str,
                         spans: Sequence[Sequence[LangSpan]] | None,
                         names: NameIndex | None) -> list[TranslationResult]:
        direction = f"{src}-{tgt}"
        units: list[_Unit] = []
        plans: list[_Plan | str] = []
        for i, text in enumerate(texts):
            if not text or not text.strip():
                plans.append("empty")
                continue
            plan = self._plan(i, text, spans[i] if spans is not None else None, src, tgt, eng, units)
            plans.append(plan if any(isinstance(p, tuple) for p in plan.parts) else "no_translatable_text")

        hits: set[str] = set()
        outputs = self._translate_cached(eng, version, [u.masked for u in units], src, tgt, hits)
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
                chunks = regex.split(r"(⟦\d+⟧)", u.masked)
                fallback.append((u, chunks, note))
        if fallback:
            pieces = [c for _, chunks, _ in fallback for c in chunks
                      if c and not _PLACEHOLDER.fullmatch(c) and _LETTER.search(c)]
            piece_out = self._translate_cached(eng, version, pieces, src, tgt, hits)
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
        return results

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
                texts.append(text.strip())
            out.append(" ".join(texts))
        return TranslationResult("".join(out), None, engine, version, direction, notes)
