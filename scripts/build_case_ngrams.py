"""Build ``pipeline/resources/data/en_case_ngrams.tsv.gz``: case-sensitive n-gram counts for the truecaser score
of the repairs (``pipeline/resources/case_ngrams.py``).

Source: PyPI ``truecase==0.0.14`` (MIT), ``truecase/data/english.dist``: the unigram, backward bigram
(``prev_Word``), forward bigram (``Word_next``) and trigram counts of a Lita et al. (2003) truecaser trained on
4.2 million tokens of NLTK's English corpora (Brown, Reuters, ...). Read with the counters-only unpickler of
``build_casing_stats.py`` (no code runs). Never built from the benchmark text in ``../shared/data/``.

Kept: alphabetic words written both lower-case and Title Case in that corpus; for each, its lower/Title counts
alone and per context (the word before as written, the word after lower-cased), contexts seen at least
``--min-count`` times (default 3).

Output lines (tab-separated, UTF-8, gzip; counts ``n_lower<TAB>n_title``):
  ``u<TAB>word<TAB>lo<TAB>ti``   ``b<TAB>prev<TAB>word<TAB>lo<TAB>ti``   ``f<TAB>word<TAB>next<TAB>lo<TAB>ti``
  ``t<TAB>prev<TAB>word<TAB>next<TAB>lo<TAB>ti``

Run: python scripts/build_case_ngrams.py [--truecase PATH/english.dist] [--min-count 3]
"""
from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_casing_stats import TRUECASE, load_truecase  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "resources" / "data" / "en_case_ngrams.tsv.gz"


def case_ngrams(dist: dict, min_count: int) -> list[str]:
    look = dist["word_casing_lookup"]
    amb = {w for w, forms in look.items() if w.isalpha() and w.islower() and w in forms and w.capitalize() in forms}

    def shape(form: str) -> tuple[str, int] | None:
        low = form.lower()
        if low not in amb:
            return None
        if form == low:
            return low, 0
        if form == low.capitalize():
            return low, 1
        return None

    tables: dict[str, dict[tuple, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in "ubft"}
    for form, n in dist["uni_dist"].items():
        s = shape(form)
        if s:
            tables["u"][(s[0],)][s[1]] += n
    for key, n in dist["backward_bi_dist"].items():
        parts = key.split("_")
        if len(parts) == 2 and (s := shape(parts[1])):
            tables["b"][(parts[0], s[0])][s[1]] += n
    for key, n in dist["forward_bi_dist"].items():
        parts = key.split("_")
        if len(parts) == 2 and (s := shape(parts[0])):
            tables["f"][(s[0], parts[1].lower())][s[1]] += n
    for key, n in dist["trigram_dist"].items():
        parts = key.split("_")
        if len(parts) == 3 and (s := shape(parts[1])):
            tables["t"][(parts[0], s[0], parts[2].lower())][s[1]] += n
    lines = []
    for kind in "ubft":
        for key, (lo, ti) in sorted(tables[kind].items()):
            if lo + ti >= (1 if kind == "u" else min_count) and all(key) and not any("\t" in k for k in key):
                lines.append("\t".join((kind, *key, str(lo), str(ti))))
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truecase", help="truecase/data/english.dist (default: pip download " + TRUECASE + ")")
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        lines = case_ngrams(load_truecase(args.truecase, Path(t)), args.min_count)
    data = f"# en_case_ngrams: built by scripts/build_case_ngrams.py from PyPI {TRUECASE} (english.dist)\n"
    data += "\n".join(lines) + "\n"
    # mtime 0 and no file name in the header: a rebuild is byte-identical wherever it is written
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(data.encode("utf-8"))
    counts = {k: sum(l.startswith(k + "\t") for l in lines) for k in "ubft"}
    print(f"wrote {args.out}: {counts}, {Path(args.out).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
