"""Build ``pipeline/resources/data/en_casing.tsv.gz``: case-sensitive English word statistics for the truecasing repairs.

Sources (both from package registries, fetched at build time, never from the benchmark text):

* PyPI ``spacy-lookups-data==1.0.5`` (MIT), table ``en_lexeme_prob``: smoothed log probabilities of
  1,000,001 case-sensitive word forms counted in a large body of real English (spaCy's English vocabulary
  statistics). Gives, for each word, how often it is written lower-case, Title Case and UPPER case.
* Debian ``wordnet-base`` (WordNet 3.0, Princeton WordNet licence): capitalised lemmas ("Supreme_Court",
  "Fannie_Mae", "Time") are names with a capital in real English; multi-word ones give word pairs.
* PyPI ``truecase==0.0.14`` (MIT; its LICENSE file is Apache-2.0), ``truecase/data/english.dist``: the
  unigram and case-sensitive bigram counts of a Lita et al. (2003) truecaser trained on 4.2 million tokens of
  NLTK's English corpora. Its backward bigrams give how often a word is written lower-case and Title Case
  *mid-sentence* (after a lower-case word or a comma), which the all-position spaCy probabilities cannot
  (sentence-initial capitals inflate them); Title-Title pairs seen three or more times are names.
  The file is a pickle of ``nltk.FreqDist`` objects: it is read with an unpickler that only rebuilds
  counters, dicts and sets, so nothing in it can run code (and nltk is not needed).

Output lines (tab-separated, UTF-8, gzip):
  ``w<TAB>lower<TAB>log_p_lower<TAB>log_p_title<TAB>log_p_upper``  word shapes, log probabilities, 2 decimals,
                                                                empty when the shape was never seen
  ``m<TAB>Token``        a mixed-case token seen in real text (``YouTube``, ``McDonald``): never split
  ``n<TAB>Name words``   a capitalised WordNet lemma (one or more words), or a Title-Title pair seen three
                         or more times in the truecaser's corpus: a name in real English
  ``c<TAB>lower<TAB>n_lower<TAB>n_title``  mid-sentence counts of the word lower-case and Title Case
                                           (truecaser corpus), for words seen there at least twice

Run: python scripts/build_casing_stats.py [--lexeme-prob PATH.json.gz] [--wordnet DIR] [--min-logp -17.5]
Without paths it downloads the wheel with ``pip download`` and reads /usr/share/wordnet (``apt-get install
wordnet-base``) or extracts it from ``apt-get download wordnet-base``.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "resources" / "data" / "en_casing.tsv.gz"
WHEEL = "spacy-lookups-data==1.0.5"
TRUECASE = "truecase==0.0.14"
TRUECASE_MEMBER = "truecase/data/english.dist"
MEMBER = "spacy_lookups_data/data/en_lexeme_prob.json.gz"
_MIXED = re.compile(r"[A-Za-z]*[a-z][A-Z][A-Za-z]*")


def load_lexeme_prob(path: str | None, tmp: Path) -> dict[str, float]:
    if path:
        return json.load(gzip.open(path, "rt", encoding="utf-8"))
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(tmp), WHEEL],
                   check=True)
    wheel = next(tmp.glob("spacy_lookups_data-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        return json.load(gzip.open(io.BytesIO(zf.read(MEMBER)), "rt", encoding="utf-8"))


class _CountsUnpickler(pickle.Unpickler):
    """Rebuilds nltk.FreqDist as a Counter and allows plain containers only: no code runs while loading."""

    def find_class(self, module: str, name: str):
        if module.startswith("nltk"):
            return Counter
        if module == "builtins" and name in ("set", "frozenset", "dict"):
            return {"set": set, "frozenset": frozenset, "dict": dict}[name]
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in {TRUECASE_MEMBER}")


def load_truecase(path: str | None, tmp: Path) -> dict:
    if path:
        return _CountsUnpickler(open(path, "rb")).load()
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(tmp), TRUECASE],
                   check=True)
    wheel = next(tmp.glob("truecase-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        return _CountsUnpickler(io.BytesIO(zf.read(TRUECASE_MEMBER))).load()


_LOWER_WORD = re.compile(r"[a-z][a-z'-]*")
_TITLE_WORD = re.compile(r"[A-Z][a-z'-]+")
# Capitalised function words pair with anything at a sentence or headline start ('And The', 'In March').
_PAIR_STOP = frozenset("the a an and or but nor of in on at to for with by from as into than that this "
                       "it he she we they i".split())


def truecase_counts(dist: dict) -> tuple[dict[str, list[int]], set[str]]:
    """Mid-sentence (after a lower-case word or a comma) lower/Title counts per word, and Title-Title pairs."""
    uni, back = dist["uni_dist"], dist["backward_bi_dist"]
    mid: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for form, n in uni.items():
        if _LOWER_WORD.fullmatch(form) and len(dist["word_casing_lookup"].get(form, ())) < 2:
            mid[form][0] += n  # never capitalised, not even sentence-initially: every use is lower-case
    pairs: set[str] = set()
    for key, n in back.items():
        prev, _, cur = key.rpartition("_")
        if _TITLE_WORD.fullmatch(prev) and _TITLE_WORD.fullmatch(cur) and n >= 3 \
                and prev.lower() not in _PAIR_STOP and cur.lower() not in _PAIR_STOP:
            pairs.add(f"{prev} {cur}")
        if not (prev == "," or _LOWER_WORD.fullmatch(prev)):
            continue  # after . " ( or at the start a capital says nothing about the word
        if _LOWER_WORD.fullmatch(cur):
            mid[cur][0] += n
        elif _TITLE_WORD.fullmatch(cur):
            mid[cur.lower()][1] += n
    return {w: c for w, c in mid.items() if sum(c) >= 2}, pairs


def wordnet_dir(path: str | None, tmp: Path) -> Path | None:
    for cand in ([Path(path)] if path else []) + [Path("/usr/share/wordnet")]:
        if (cand / "data.noun").is_file():
            return cand
    try:
        subprocess.run(["apt-get", "download", "wordnet-base"], cwd=tmp, check=True, capture_output=True)
        deb = next(tmp.glob("wordnet-base_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "wn")], check=True)
        return tmp / "wn" / "usr" / "share" / "wordnet"
    except (OSError, subprocess.CalledProcessError, StopIteration) as exc:
        print(f"build_casing_stats: WordNet not available ({exc}); names from WordNet left out", file=sys.stderr)
        return None


def wordnet_names(d: Path) -> set[str]:
    names: set[str] = set()
    for pos in ("noun", "adj", "verb", "adv"):
        for line in (d / f"data.{pos}").open(encoding="latin-1"):
            if line.startswith("  "):
                continue  # licence header
            parts = line.split(" ")
            for i in range(int(parts[3], 16)):
                lemma = re.sub(r"\(\w+\)$", "", parts[4 + 2 * i])
                words = lemma.split("_")
                if all(re.fullmatch(r"[A-Za-z][A-Za-z.'-]*", w) for w in words) and words[0][0].isupper():
                    names.add(" ".join(words))
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lexeme-prob", help="en_lexeme_prob.json.gz (default: pip download " + WHEEL + ")")
    ap.add_argument("--wordnet", help="directory with WordNet data.* files")
    ap.add_argument("--truecase", help="truecase's english.dist (default: pip download " + TRUECASE + ")")
    ap.add_argument("--min-logp", type=float, default=-17.5, help="drop word forms rarer than this")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        prob = load_lexeme_prob(args.lexeme_prob, tmp)
        wn = wordnet_dir(args.wordnet, tmp)
        names = wordnet_names(wn) if wn else set()
        mid, pairs = truecase_counts(load_truecase(args.truecase, tmp))

    shapes: dict[str, dict[str, float]] = defaultdict(dict)
    mixed: set[str] = set()
    for form, lp in prob.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z'-]*", form):
            continue
        low = form.lower()
        if form == low:
            shapes[low]["l"] = lp
        elif form == low.capitalize():
            shapes[low]["t"] = lp
        elif form == low.upper():
            shapes[low]["u"] = lp
        elif _MIXED.fullmatch(form) and lp > -19.0:
            mixed.add(form)
    lines = []
    for low in sorted(shapes):
        s = shapes[low]
        if max(s.values()) < args.min_logp:
            continue
        lines.append("\t".join(["w", low] + [f"{s[k]:.2f}" if k in s else "" for k in "ltu"]))
    lines += [f"m\t{m}" for m in sorted(mixed)]
    # single-word WordNet names only when the word is frequent enough to be in the table at all
    lines += [f"n\t{n}" for n in sorted(names | pairs) if " " in n or n.lower() in shapes]
    lines += [f"c\t{w}\t{lo}\t{ti}" for w, (lo, ti) in sorted(mid.items())]
    data = ("# en_casing: built by scripts/build_casing_stats.py from PyPI " + WHEEL +
            " (en_lexeme_prob), Debian wordnet-base (WordNet 3.0) and PyPI " + TRUECASE + " (english.dist)\n" + "\n".join(lines) + "\n")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    # mtime 0 and no file name in the header: a rebuild is byte-identical wherever it is written
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(data.encode("utf-8"))
    print(f"wrote {args.out}: {sum(l[0] == 'w' for l in lines)} words, {len(mixed)} mixed-case tokens, "
          f"{sum(l[0] == 'n' for l in lines)} names, {len(mid)} mid-sentence counts, {Path(args.out).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
