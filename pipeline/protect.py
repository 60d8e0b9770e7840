"""Protected spans: URLs, pic.twitter.com links, @handles, #hashtags, emoji, numbers and numeric dates.

These spans carry no language and must come out of translation and repair byte-identical. ``find_protected``
locates them (non-overlapping, in order); ``strip_protected`` blanks them for language detection (the
translator masks them with its own placeholders).
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

import regex

from pipeline.records import Span

# Order matters: earlier kinds win where matches overlap (a URL containing digits stays one URL).
_PATTERNS: list[tuple[str, str]] = [
    ("url", r"(?:https?://|www\.)[^\s<>\"“”]+[^\s<>\"“”.,;:!?)\]}’]"
            r"|\b(?:pic\.twitter\.com|t\.co|bit\.ly|youtu\.be)/[A-Za-z0-9_\-/]+"),
    ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    ("handle", r"(?<![\w@])@\w{1,50}"),
    ("hashtag", r"(?<![\w#&])#\w*\p{L}\w*"),
    ("date", r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b"),
    ("time", r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),
    ("number", r"(?<![\p{L}\d])[+-]?\d+(?:[.,]\d{3})*(?:[.,]\d+)?(?:\s?%)?(?:/\d+)?(?![\p{L}\d])"),
]
_COMBINED = regex.compile("|".join(f"(?P<{k}>{p})" for k, p in _PATTERNS), regex.V1)
# Every pattern above needs one of these (a digit, '@', '#', '/' or 'www.'); most sentences have none, and
# this check is ~20x cheaper than running the combined pattern.
_MAYBE = re.compile(r"\d|[@#/]|www\.")

# A grapheme cluster is an emoji if it holds a pictographic code point or a regional indicator
# (flags are pairs of regional indicators; skin tones and ZWJ sequences stay inside one cluster).
_EMOJI_CLUSTER = regex.compile(r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X", regex.V1)
# Pictographic code points that are ordinary text symbols and should not be treated as emoji.
_NOT_EMOJI = set("©®™")


def find_emoji(text: str) -> list[Span]:
    """Emoji grapheme clusters, flags and skin-tone sequences kept whole.

    >>> [s.text for s in find_emoji("Venezuela 🇻🇪🤝🏾🇷🇺.")]
    ['🇻🇪', '🤝🏾', '🇷🇺']
    """
    return [Span(m.start(), m.end(), "emoji", m.group())
            for m in _EMOJI_CLUSTER.finditer(text) if m.group() not in _NOT_EMOJI]


def find_protected(text: str) -> list[Span]:
    """All protected spans of ``text``, sorted and non-overlapping.

    >>> [(s.kind, s.text) for s in find_protected("Los @Fariacrt en #Moscú 🇻🇪 pic.twitter.com/DyWcvZOoMh 4/7/2022")]
    [('handle', '@Fariacrt'), ('hashtag', '#Moscú'), ('emoji', '🇻🇪'), ('url', 'pic.twitter.com/DyWcvZOoMh'), ('date', '4/7/2022')]
    >>> [s.text for s in find_protected("up to 3.5 million, 300,000 barrels in 1999-2013")]
    ['3.5', '300,000', '1999', '2013']
    """
    return list(_protected(text))


# ``find_protected``'s memo: segmentation, language detection, repair, translation, the export's filters
# and its quality score each look at the same texts, a chunk of 25 documents (~650 segments, two sides
# each) apart. Bounded by the characters it holds, not by the number of texts, so its memory does not grow
# with the corpus or with long texts (400,000 characters: ~2,800 news sentences; 1,000,000 kept texts
# alive long enough to break tests/test_corpus_streaming.py's growth bound when other tests ran first).
MEMO_CHARS = 400_000
_MEMO: OrderedDict[str, tuple[Span, ...]] = OrderedDict()
_MEMO_SIZE = [0]  # characters of the texts in _MEMO
_MEMO_LOCK = threading.Lock()


def _protected(text: str) -> tuple[Span, ...]:
    """``find_protected`` remembered for the last texts (see ``MEMO_CHARS``); spans are frozen, so sharing
    them is safe. 100 news articles: 10,700 texts worked out instead of 18,500 with the 256 texts
    remembered before (~11 us each)."""
    with _MEMO_LOCK:
        hit = _MEMO.get(text)
        if hit is not None:
            _MEMO.move_to_end(text)
            return hit
    spans = _find(text)
    if len(text) <= MEMO_CHARS:
        with _MEMO_LOCK:
            if text not in _MEMO:
                _MEMO[text] = spans
                _MEMO_SIZE[0] += len(text)
                while _MEMO_SIZE[0] > MEMO_CHARS:
                    _MEMO_SIZE[0] -= len(_MEMO.popitem(last=False)[0])
    return spans


def _find(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    if _MAYBE.search(text):
        for m in _COMBINED.finditer(text):
            kind = m.lastgroup or "other"
            spans.append(Span(m.start(), m.end(), kind, m.group()))
    if not text.isascii():  # emoji, flags and pictographs are all outside ASCII
        taken = [(s.start, s.end) for s in spans]
        for e in find_emoji(text):
            if not any(a < e.end and e.start < b for a, b in taken):
                spans.append(e)
        spans.sort(key=lambda s: s.start)
    return tuple(spans)


def strip_protected(text: str, spans: list[Span] | None = None, fill: str = " ") -> str:
    """Replace protected spans by ``fill`` (for language detection on the linguistic content only).

    >>> strip_protected("Hola @amigo #Moscú 🇻🇪 http://x.co/a").split()
    ['Hola']
    """
    spans = find_protected(text) if spans is None else spans
    out, pos = [], 0
    for s in spans:
        out.append(text[pos:s.start])
        out.append(fill)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
