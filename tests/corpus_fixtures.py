"""Helpers for corpus tests: pairs, documents and a quality scorer that needs no engine or detector."""
from __future__ import annotations

from types import SimpleNamespace

from pipeline.corpus.quality import QualityScorer
from pipeline.corpus.schema import MachineTranslation, Pair, Quality, Source, Texts
from pipeline.config import Config
from pipeline.corpus.export import DocumentResult
from pipeline.ingest.reader import ingest_bytes
from pipeline.records import (Edit, Flag, FlagRecord, LangSpan, Note, RepairRecord, RepairStep, Segment, StageHeader,
                              SegmentMeta, Translation)


def make_pair(i: int, es: str, en: str, origin: str = "es", score: float = 0.5) -> Pair:
    direction = "es-en" if origin == "es" else "en-es"
    return Pair(id=f"d:{i}", doc="d", segment=i, kind="sentence", translation=Texts(es, en), origin=origin,
                lang_confidence=0.9, mt=MachineTranslation(direction, "apertium", "0.8"),
                engine=f"{direction}:apertium 0.8", quality=Quality(score, 0.4, 0.9, 0.8, 1.0, 1.0),
                source=Source("in/d.txt", 0, 1, 0, 1, True, 0))


class IdentityTranslator:
    """Returns its input: a round trip is then plain overlap, enough for writer and schema tests."""

    def translate(self, texts, src, tgt, **kw):
        return [SimpleNamespace(text=t) for t in texts]

    def close(self):
        pass


class FixedDetector:
    def detect(self, text):
        return SimpleNamespace(lang="und", confidence=0.0)


def light_scorer() -> QualityScorer:
    return QualityScorer(Config(), translator=IdentityTranslator(), detector=FixedDetector())


def make_document(name: str, sentences: list[tuple[str, str, str]], *, rich: bool = False) -> DocumentResult:
    """A document whose segments are (original, es, en) with the original's language inferred from which side
    equals it. ``rich``: notes, repairs, a review flag and a thread marker, so every list field is non-empty."""
    text = "\n".join(s for s, _, _ in sentences) + "\n"
    ing = ingest_bytes(name, f"in/{name}.txt", text.encode())
    segments, pos = [], 0
    for j, (orig, es, en) in enumerate(sentences):
        start = ing.text.index(orig, pos)
        pos = start + len(orig)
        lang = "es" if orig == es else "en"
        direction = "es-en" if lang == "es" else "en-es"
        notes = [Note("glossary", from_="a", to="b")] if rich else []
        tr = Translation(en if lang == "es" else es, None, "apertium", "0.8", direction, notes)
        seg = Segment(doc=name, index=j, start=start, end=pos, text=orig, kind="sentence", paragraph=j, lang=lang,
                      confidence=0.95, spans=[LangSpan(0, len(orig), lang)], es=es, en=en,
                      translation={direction: tr})
        if rich:
            seg.repairs = [RepairRecord("translation", en + "x", [RepairStep("test_rule", [Edit(0, 1, "a", "b")])])]
            seg.flagged = [FlagRecord("translation", en, [Flag("drop_initial_and", Edit(0, 3, "And", ""), "low")])]
            seg.meta = SegmentMeta(thread="1/2")
        segments.append(seg)
    header = StageHeader(ing.doc, "repair", "fp", status="ok", path=ing.path, sha256=ing.sha256, size=ing.size,
                         encoding=ing.encoding, text=ing.text, lines=list(ing.lines))
    return DocumentResult(ing.doc, header, segments, {"segment": {"sentence": len(segments)}})


class FixedScorer:
    """Gives every pair the same quality: for tests about streaming and files, not about scores."""

    model: dict = {}
    engine_error = None

    def score(self, pairs, origins=None):
        return [Quality(0.5, 0.5, 0.5, 0.5, 0.5, 0.5) for _ in pairs]

    def close(self):
        pass
