"""Per-document stage logic between the building blocks and the Luigi tasks.

Each function takes the segments of one document (as produced by the previous stage) and returns them with
its own fields filled; nothing here knows about Luigi or files.
"""
from __future__ import annotations

from typing import Any, Sequence

import re

import msgspec

from pipeline.records import FlagRecord, LangSpan, RepairRecord, Segment, Translation
from pipeline.segment.segmentation import NON_PAIR_REASONS, TRANSLATABLE_KINDS

PAIR_LANGS = ("es", "en")


def detect_stage(segments: list[Segment], detector: Any) -> list[Segment]:
    """Language, confidence, reason and language spans for every segment (document context used)."""
    results = detector.detect_document([s.text for s in segments])
    for seg, det in zip(segments, results):
        seg.lang = det.lang
        seg.confidence = round(float(det.confidence), 4)
        seg.lang_reason = det.reason
        seg.spans = [LangSpan(sp.start, sp.end, sp.lang) for sp in det.spans]
    return segments


_LOWER_WORD = re.compile(r"(?<![\w@#])[^\W\d_]*[a-zß-öø-ÿ][^\W\d_]*")


def _languages(seg: Segment) -> set[str]:
    """The pair languages a segment has words in. A span of another language than the segment's counts
    only when it holds two or more lower-case words: a run of capitalised words is a name or an acronym
    ('Nicolas Maduro', 'UN'), which takes the language of its context and must not be translated ('Maduro'
    is also Spanish for 'ripe'), and a lone word shared by both languages ('era', 'embargo') is no switch."""
    langs = {sp.lang for sp in seg.spans if sp.lang in PAIR_LANGS
             and (sp.lang == seg.lang or _has_common_word(seg.text[sp.start:sp.end]))}
    if not langs and seg.lang in PAIR_LANGS:
        langs = {seg.lang}
    return langs


def _has_common_word(text: str) -> bool:
    """True when ``text`` holds two words starting lower-case (not names, handles or hashtags).

    >>> _has_common_word("Nicolas Maduro "), _has_common_word("vamos al "), _has_common_word("embargo ")
    (False, True, False)
    """
    return sum(m.group()[0].islower() for m in _LOWER_WORD.finditer(text)) >= 2


def is_translation_unit(seg: Segment) -> bool:
    return seg.kind in TRANSLATABLE_KINDS and seg.lang in PAIR_LANGS


def repair_source_stage(segments: list[Segment], repairer: Any, context: Any) -> list[Segment]:
    """Repair English originals before they are translated to Spanish (so the Spanish side is not built
    from artefacts); pure-English translation units only, mixed ones are repaired after translation."""
    for seg in segments:
        if is_translation_unit(seg) and _languages(seg) == {"en"}:
            result = repairer.repair(seg.text, context, original=True)
            seg.en = result.text
            _record_repair(seg, "source", result)
    return segments


def _record_repair(seg: Segment, target: str, result: Any) -> None:
    if result.steps:
        seg.repairs.append(msgspec.convert({"target": target, "before": result.before, "steps": result.steps},
                                           RepairRecord))
    if result.flagged:
        seg.flagged.append(msgspec.convert({"target": target, "before": result.before, "items": result.flagged},
                                           FlagRecord))


def translate_stage(segments: list[Segment], translator: Any, names: Any = None) -> list[Segment]:
    """Fill both sides of every translation unit: Spanish content -> English, English content -> Spanish.

    A mixed segment is translated in each direction for the parts in the source language only; the other
    parts pass through untouched, so each side ends up in one language.
    """
    return translate_documents([(segments, names)], translator)[0]


def translate_documents(documents: Sequence[tuple[list[Segment], Any]], translator: Any) -> list[list[Segment]]:
    """``translate_stage`` for several documents ((segments, names) each) with one engine pass per
    direction for all of them; each document's result is the one ``translate_stage`` gives it when the
    documents are translated one after the other."""
    jobs = [_translation_jobs(segments) for segments, _ in documents]
    found: list[dict[int, dict[str, Translation]]] = [{} for _ in documents]
    requests = []
    for src, tgt in (("es", "en"), ("en", "es")):
        todo = [doc_jobs[(src, tgt)] for doc_jobs in jobs]
        if any(batch for batch, _, _ in todo):
            requests.append({"src": src, "tgt": tgt, "todo": todo, "batches": [texts for _, texts, _ in todo],
                             "spans": [spans for _, _, spans in todo],
                             "names": [names if tgt == "en" else None for _, names in documents]})
    if hasattr(translator, "translate_directions"):  # both directions' engines at work at once
        answers = translator.translate_directions(requests)
    else:
        answers = [translator.translate_many(r["batches"], r["src"], r["tgt"], spans=r["spans"], names=r["names"])
                   for r in requests]
    for request, results in zip(requests, answers):
        src, tgt, todo = request["src"], request["tgt"], request["todo"]
        for d, ((segs, texts, _), res_list) in enumerate(zip(todo, results)):
            for seg, source, res in zip(segs, texts, res_list):
                info = msgspec.convert({**res.to_dict(), "source": source}, Translation, from_attributes=True)
                found[d].setdefault(seg.index, {})[f"{src}-{tgt}"] = info
                if res.text is None:
                    seg.meta.translation_failed = f"{src}-{tgt}:{res.reason}"
                elif tgt == "en":
                    seg.en = res.text
                else:
                    seg.es = res.text
    for (segments, _), seg_translations in zip(documents, found):
        for seg in segments:
            if seg.index in seg_translations:
                seg.translation = seg_translations[seg.index]
    return [segments for segments, _ in documents]


def _translation_jobs(segments: list[Segment]) -> dict[tuple[str, str], tuple[list[Segment], list[str], list]]:
    """Per direction: the segments to translate, the text given to the engine and its language spans."""
    jobs: dict[tuple[str, str], tuple[list[Segment], list[str], list]] = {("es", "en"): ([], [], []),
                                                                          ("en", "es"): ([], [], [])}
    for seg in segments:
        if not is_translation_unit(seg):
            continue
        langs = _languages(seg)
        if "es" in langs:
            jobs[("es", "en")][0].append(seg)
        else:
            seg.en = seg.en if seg.en is not None else seg.text
        if "en" in langs:
            jobs[("en", "es")][0].append(seg)
        else:
            seg.es = seg.text
    for (src, _), (todo, texts, spans) in jobs.items():
        for s in todo:
            if src == "en" and s.en is not None and _languages(s) == {"en"}:
                texts.append(s.en)  # an English original is translated from its repaired form
                spans.append(None)  # None: the whole text is in the source language
            else:
                texts.append(s.text)
                spans.append(s.spans or None)
    return jobs


def repair_translation_stage(segments: list[Segment], repairer: Any, context: Any) -> list[Segment]:
    """Repair the English produced by the engine (Spanish-origin and mixed translation units)."""
    for seg in segments:
        tr = seg.translation.get("es-en")
        if tr is not None and tr.text is not None and seg.en is not None:
            result = repairer.repair(seg.en, context)
            seg.en = result.text
            _record_repair(seg, "translation", result)
    return segments


def reject_reason(seg: Segment) -> str | None:
    """Why a segment cannot be a corpus pair (None when it can)."""
    if seg.kind in NON_PAIR_REASONS:
        return NON_PAIR_REASONS[seg.kind]
    if seg.kind not in TRANSLATABLE_KINDS:
        return f"kind:{seg.kind}"
    if seg.lang == "und":
        return f"language_undetermined:{seg.lang_reason or 'weak_evidence'}"
    if seg.lang not in PAIR_LANGS:
        return f"third_language:{seg.lang}"
    if seg.meta.translation_failed:
        return f"translation_failed:{seg.meta.translation_failed}"
    if not seg.en or not seg.es:
        return "empty_side"
    return None


def english_document(segments: Sequence[Segment], document_text: str) -> str:
    """The article as clean English: paragraphs in order, Spanish parts translated, repairs applied,
    duplicated paragraphs left out. Inter-segment spacing inside a paragraph is the original's."""
    paragraphs: dict[int, list[str]] = {}
    last_end: dict[int, int] = {}
    for seg in segments:
        if seg.kind == "duplicate":
            continue
        text = seg.en if seg.en else seg.text
        parts = paragraphs.setdefault(seg.paragraph, [])
        if parts:
            gap = document_text[last_end[seg.paragraph]:seg.start]
            parts.append(gap if gap.strip() == "" and gap else " ")
        parts.append(text)
        last_end[seg.paragraph] = seg.end
    return "\n\n".join("".join(parts) for _, parts in sorted(paragraphs.items())) + "\n"
