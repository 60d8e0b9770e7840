"""Train the token-level es/en tagger (pipeline/langid/model/tagger.json.gz) from public data.

Inputs (research data, never copied into the repository; see ../shared/data/README.md):
  lid/calcs2016_train_{tweets,tokens}.tsv  CALCS 2016 es-en code-switched tweets, token labels en/es/other
  lid/lince_spaeng_train.conll             LinCE lid_spaeng tweets (lang1 = en, lang2 = es), overlaps CALCS
  news/news-test2008.*, news/newstest2009.*  WMT news sentences (newstest2010 is kept out for benchmarks)
  /usr/share/locale/{es,pt,pt_BR,it,fr,ca}/LC_MESSAGES/*.mo  translated messages of the Debian packages
      installed here (apt, coreutils, glib, gtk, git, postgresql, ...; each under its package's licence,
      see /usr/share/doc/<package>/copyright); English from the Spanish catalogues' message ids. They
      train the third-language decision (word lexicon + logistic model); Django's catalogues, which
      benchmarks/langid_public.py measures on, are not among them.

Steps: read both tweet sets, deduplicate (a tweet is its tokens joined without spaces, lower-cased; the
CALCS copy wins since it keeps the original spacing), split by a hash of that key into train (80%),
val (10%: fits the small logistic model and selects the HMM scale) and dev (10%: only reported, here
and by benchmarks/langid_public.py). Counts of char n-grams and words come from train + news; Spanish
words are also counted without accents (tweets often drop them). The third-language decision (word
lexicon + logistic model, threshold chosen on a held-out tenth of its lines) is trained on the gettext
catalogues, news (and accent-stripped Spanish news) and the training tweets; its held-out rates are
printed and stored in the model's meta.

Run: ``nice .venv/bin/python scripts/train_langid.py --data ../shared/data`` (about a minute).
"""
from __future__ import annotations

import argparse
import gettext
import gzip
import hashlib
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import regex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.langid.tagger import GAP_KINDS, TokenModel, char_ngrams, strip_accents, words_of  # noqa: E402

OUT = ROOT / "pipeline" / "langid" / "model" / "tagger.json.gz"
LINCE_LABELS = {"lang1": "en", "lang2": "es", "other": "other", "ne": "ne"}


def read_calcs(lid: Path) -> list[tuple[str, list[tuple[int, int, str, str]]]]:
    texts = {}
    with open(lid / "calcs2016_train_tweets.tsv", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                texts[parts[0]] = "\t".join(parts[2:])
    toks: dict[str, list] = {}
    with open(lid / "calcs2016_train_tokens.tsv", encoding="utf-8") as f:
        for line in f:
            tid, _, s, e, tok, lab = line.rstrip("\n").split("\t")
            toks.setdefault(tid, []).append((int(s), int(e) + 1, tok, lab))  # end is inclusive there
    out = []
    for tid, ts in toks.items():
        text = texts.get(tid)
        if text is None or any(text[s:e] != tok for s, e, tok, _ in ts):
            continue  # offsets that do not match the text: skip rather than guess
        out.append((text, ts))
    return out


def read_lince(lid: Path) -> list[tuple[str, list[tuple[int, int, str, str]]]]:
    out, cur = [], []

    def flush():
        if cur:
            text, ts, pos = "", [], 0
            for tok, lab in cur:
                if text:
                    text += " "
                start = len(text)
                text += tok
                ts.append((start, len(text), tok, LINCE_LABELS.get(lab, "unk")))
            out.append((text, ts))
        cur.clear()

    with open(lid / "lince_spaeng_train.conll", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# sent_enum"):
                flush()
            elif "\t" in line:
                tok, lab = line.split("\t", 1)
                cur.append((tok, lab))
    flush()
    return out


def dedup_split(tweets):
    seen, split = set(), {"train": [], "val": [], "dev": []}
    for text, ts in tweets:
        key = "".join(tok for _, _, tok, _ in ts).lower()
        if key in seen:
            continue
        seen.add(key)
        h = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 10
        split["dev" if h == 0 else "val" if h == 1 else "train"].append((text, ts))
    return split


def aligned(text, ts):
    """The tagger's words of ``text`` with the gold label of the token holding each word's start."""
    words = words_of(text)
    out, j = [], 0
    for w in words:
        while j < len(ts) and ts[j][1] <= w.start:
            j += 1
        lab = ts[j][3] if j < len(ts) and ts[j][0] <= w.start < ts[j][1] else "other"
        out.append((w, lab))
    return words, out


def context_labels(al):
    """Names (capitalised words labelled ``ne``, or ``other`` in CALCS) get the language of their
    context: the nearest es/en word before them, else after. The logistic model thus learns how little
    a capitalised word's own spelling says."""
    langs = [lab if lab in ("es", "en") else None for _, lab in al]
    out = []
    for i, (w, lab) in enumerate(al):
        if lab in ("ne", "other") and w.capitalised:
            before = next((l for l in reversed(langs[:i]) if l), None)
            lab = before or next((l for l in langs[i + 1:] if l), lab)
        out.append((w, lab))
    return out


def count(train, news, nmax):
    words = {"es": Counter(), "en": Counter()}
    for text, ts in train:
        for _, _, tok, lab in ts:
            if lab in words and any(c.isalpha() for c in tok):
                words[lab][tok.lower()] += 1
    for lang, lines in news.items():
        for line in lines:
            for w in words_of(line):
                words[lang][w.text.lower()] += 1
    for w, c in list(words["es"].items()):
        s = strip_accents(w)
        if s != w:
            words["es"][s] += c
    grams = {"es": Counter(), "en": Counter()}
    for lang in grams:
        for w, c in words[lang].items():
            for g in char_ngrams(w, nmax):
                grams[lang][g] += c
    return words, grams


def log_ratios(counts, min_count, alpha=0.5):
    es, en = counts["es"], counts["en"]
    n_es, n_en = sum(es.values()), sum(en.values())
    out = {}
    for k in set(es) | set(en):
        if es[k] + en[k] >= min_count:
            v = math.log((es[k] + alpha) / n_es) - math.log((en[k] + alpha) / n_en)
            out[k] = round(max(-8.0, min(8.0, v)), 2)
    return out


def gram_ratios(grams, nmax, min_count):
    # Normalise per n-gram length so that short and long grams are on the same scale.
    out = {}
    for n in range(1, nmax + 2):
        sub = {lang: Counter({g: c for g, c in grams[lang].items() if len(g) == n}) for lang in grams}
        if sub["es"] and sub["en"]:
            out.update(log_ratios(sub, min_count))
    return out


THIRD = ("pt", "it", "fr", "ca", "de", "nl", "ro")


def third_profiles(langs=("es", "en") + THIRD):
    """Log-probabilities of letter 1-3-grams per language from langdetect's public Wikipedia profiles
    (installed with langdetect), smoothed as langdetect does (+0.5/10000), for a deterministic
    naive-Bayes screen: lines it finds closer to a third language than to es/en are checked by
    langdetect and lingua themselves."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    probs = {}
    for code in langs:
        prof = json.loads((Path(PROFILES_DIRECTORY) / code).read_text(encoding="utf-8"))
        c = Counter()
        for g, n in prof["freq"].items():
            c[g.lower()] += n / prof["n_words"][len(g) - 1]
        probs[code] = c
    grams = sorted(set().union(*probs.values()))
    return {"langs": list(langs),
            "grams": {g: [round(math.log(probs[c][g] + 5e-5), 2) for c in langs] for g in grams}}


def fit_logistic(x, y, l2=1.0, iters=25, weight=None):
    weight = np.ones(len(y)) if weight is None else weight
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-x @ w))
        g = x.T @ (weight * (p - y)) + l2 * w
        h = (x.T * (weight * p * (1 - p))) @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(h, g)
    return w


LEX_LANGS = ("es", "en", "pt", "it", "fr", "ca")
# Messages with format codes, markup or escapes are templates, not sentences.
_TEMPLATE = regex.compile(r"[%{}\\<>_=|\[\]$]|\n")


def read_mo(locale: Path, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Translated messages (msgstr -> text domain) and their English ids of one locale's catalogues:
    3+ words, no templates; ISO code lists (names of countries and languages) left out."""
    strs: dict[str, str] = {}
    ids: dict[str, str] = {}
    for f in sorted((locale / lang / "LC_MESSAGES").glob("*.mo")):
        if f.stem.startswith("iso_"):
            continue
        try:
            with open(f, "rb") as fh:
                cat = gettext.GNUTranslations(fh)._catalog
        except (OSError, UnicodeDecodeError):
            continue
        for k, v in sorted(cat.items(), key=lambda kv: str(kv[0])):
            mid = k if isinstance(k, str) else k[0]
            if not mid or not isinstance(v, str) or v.strip() == mid.strip():
                continue  # untranslated
            for text, out in ((v.strip(), strs), (mid.strip(), ids)):
                if len(text.split()) >= 3 and len(text) < 300 and not _TEMPLATE.search(text):
                    out.setdefault(text, f.stem)
    return strs, ids


def third_sets(locale: Path, news, tweets_train):
    """Groups of lines for the third-language decision: third languages (pt incl. pt_BR, it, fr, ca)
    positive; Spanish and English messages, accent-stripped Spanish, news and tweets negative. Messages
    present in two languages' catalogues (untranslated or shared) are left out."""
    strs = {lang: read_mo(locale, lang) for lang in ("es", "pt", "pt_BR", "it", "fr", "ca")}
    es_msgs, en_msgs = strs["es"][0], strs["es"][1]
    clash = set(es_msgs) | set(en_msgs)
    groups = {"third": [(t, code[:2]) for code in ("pt", "pt_BR", "it", "fr", "ca")
                        for t in strs[code][0] if t not in clash],
              "es_msg": [(t, "es") for t in es_msgs if t not in en_msgs],
              "en_msg": [(t, "en") for t in en_msgs],
              "news_es": [(t, "es") for t in news["es"] if t.strip()],
              "news_en": [(t, "en") for t in news["en"] if t.strip()],
              "tweets": [(t, "x") for t, _ in tweets_train]}
    groups["es_msg_stripped"] = [(strip_accents(t), "es") for t, _ in groups["es_msg"] if strip_accents(t) != t]
    groups["news_es_stripped"] = [(strip_accents(t), "es") for t, _ in groups["news_es"]
                                  if strip_accents(t) != t]
    # Short lines hold less evidence: 3-5-word windows of messages and news (one per line, placed by a
    # hash of the line) teach the model how sure a short line can be.
    for name in ("third", "es_msg", "en_msg", "news_es", "news_en", "news_es_stripped"):
        groups[name + "_short"] = [(w, lang, t) for t, lang in groups[name] if (w := _window(t))]
    domains = sorted({d for code in strs for part in strs[code] for d in part.values()})
    return groups, domains


def _window(text: str) -> str | None:
    toks = text.split()
    if len(toks) < 6:
        return None
    h = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[8:16], 16)
    size = 3 + h % 3
    start = (h // 3) % (len(toks) - size + 1)
    return " ".join(toks[start:start + size])


def held_out(text: str) -> bool:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 10 == 0


def third_lexicon(groups, tweets_train, min_count=2):
    """Per-language word log-probabilities (es, en, pt, it, fr, ca) from the non-held-out messages,
    news and gold es/en tweet tokens; Spanish words also counted without accents."""
    cnt = {lang: Counter() for lang in LEX_LANGS}
    for name in ("third", "es_msg", "en_msg", "news_es", "news_en"):
        for text, lang in groups[name]:
            if held_out(text):
                continue
            for w in words_of(text):
                if not w.capitalised:
                    cnt[lang][w.text.lower()] += 1
    for _, ts in tweets_train:
        for _, _, tok, lab in ts:
            if lab in ("es", "en") and tok.isalpha():
                cnt[lab][tok.lower()] += 1
    for w, c in list(cnt["es"].items()):
        s = strip_accents(w)
        if s != w:
            cnt["es"][s] += c
    tot = {lang: sum(c.values()) for lang, c in cnt.items()}
    vocab = sorted({w for c in cnt.values() for w, k in c.items() if k >= min_count})
    return {w: [round(math.log((cnt[lang][w] + 0.1) / tot[lang]), 1) for lang in LEX_LANGS] for w in vocab}


def fit_third(model_data, groups):
    """Fit the third-language logistic model on the non-held-out lines (each group weighs the same;
    news three times, as es/en news must never leave es/en); report rates on the held-out tenth."""
    model = TokenModel(model_data)
    feats = {}
    for name, rows in groups.items():
        # a window is held out with the line it comes from
        feats[name] = [(model.third_features(ws)[0], held_out(row[-1] if len(row) > 2 else row[0]))
                       for row in rows if len(ws := words_of(row[0])) >= 3]
    x, y, wt = [], [], []
    # positives weigh as much as all negatives together
    units = {name: 3.0 if name.startswith("news") else 1.0 for name in feats}
    pos = sum(u for name, u in units.items() if name.startswith("third"))
    neg = sum(u for name, u in units.items() if not name.startswith("third"))
    for name, rows in feats.items():
        train_rows = [f for f, h in rows if not h]
        unit = units[name] * (neg / pos if name.startswith("third") else 1.0)
        w = unit * 10000.0 / max(1, len(train_rows))
        for f in train_rows:
            x.append(f)
            y.append(1.0 if name.startswith("third") else 0.0)
            wt.append(w)
    coef = fit_logistic(np.array(x), np.array(y), weight=np.array(wt), iters=30)
    coef = np.round(coef, 4)
    probs = {}
    for name, rows in feats.items():
        test = np.array([f for f, h in rows if h])
        if len(test):
            probs[name] = 1 / (1 + np.exp(-test @ coef))
    # Threshold: the lowest (most recall) at which no held-out es/en group passes more than its budget
    # (news 0.1%, messages and tweets 0.5%).
    threshold = 0.99
    for t in np.arange(0.5, 0.99, 0.01):
        if all((p >= t).mean() <= (0.001 if name.startswith("news") else 0.005)
               for name, p in probs.items() if not name.startswith("third")):
            threshold = round(float(t), 2)
            break
    rates = {name: round(float((p >= threshold).mean()), 4) for name, p in probs.items()}
    return [float(c) for c in coef], threshold, rates


def switch_rates(train):
    """P(switch) between consecutive es/en words for each kind of gap (words labelled otherwise are
    skipped; the strongest gap on the way counts)."""
    rank = {k: i for i, k in enumerate(GAP_KINDS)}
    n, sw = Counter(), Counter()
    for text, ts in train:
        _, al = aligned(text, ts)
        prev, kind = None, "space"
        for w, lab in al:
            kind = max(kind, w.gap, key=rank.get)
            if lab not in ("es", "en"):
                continue
            if prev is not None:
                n[kind] += 1
                sw[kind] += lab != prev
            prev, kind = lab, "space"
    return {k: round((sw[k] + 1) / (n[k] + 2), 4) for k in GAP_KINDS}


def token_accuracy(model, data):
    ok = tot = 0
    for text, ts in data:
        words, al = aligned(text, ts)
        labels = model.tag(text, words).labels
        for (w, lab), pred in zip(al, labels):
            if lab in ("es", "en"):
                tot += 1
                ok += pred == lab
    return ok / max(1, tot), tot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--nmax", type=int, default=5)
    ap.add_argument("--min-gram", type=int, default=3)
    ap.add_argument("--min-word", type=int, default=2)
    ap.add_argument("--third-quantile", type=float, default=0.999,
                    help="share of es/en news lines below the third-language screen's threshold")
    ap.add_argument("--min-lex", type=int, default=2,
                    help="occurrences a word needs (in any one language) to enter the third-language lexicon")
    ap.add_argument("--locale-dir", default="/usr/share/locale",
                    help="compiled gettext catalogues (.mo) for the third-language decision")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    data = Path(args.data)
    tweets = read_calcs(data / "lid") + read_lince(data / "lid")
    split = dedup_split(tweets)
    print(f"tweets read {len(tweets)}, unique {sum(map(len, split.values()))}: "
          + ", ".join(f"{k} {len(v)}" for k, v in split.items()))
    news = {"en": [], "es": []}
    for stem in ("news-test2008", "newstest2009"):
        for lang, ext in (("en", "eng"), ("es", "spa")):
            news[lang] += (data / "news" / f"{stem}.{ext}").read_text(encoding="utf-8").splitlines()

    words, grams = count(split["train"], news, args.nmax)
    model_data = {
        "nmax": args.nmax,
        "gram_lr": gram_ratios(grams, args.nmax, args.min_gram),
        "word_lr": log_ratios(words, args.min_word),
        "coef": [0.0] * 8, "scale": 1.0, "switch": switch_rates(split["train"]),
        "third": third_profiles(), "third_threshold": 0.0,
    }
    model = TokenModel(model_data)
    x, y = [], []
    for text, ts in split["val"]:
        _, al = aligned(text, ts)
        for w, lab in context_labels(al):
            if lab in ("es", "en"):
                x.append(model.features(w.text, w.capitalised))
                y.append(1.0 if lab == "es" else 0.0)
    coef = fit_logistic(np.array(x), np.array(y))
    # The HMM wants likelihood ratios: take the class prior of the fitting tokens out of the intercept.
    coef[0] -= math.log(sum(y) / (len(y) - sum(y)))
    model_data["coef"] = [round(float(c), 4) for c in coef]
    print("switch rates", model_data["switch"], "coef", model_data["coef"])
    best = None
    for scale in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
        model_data["scale"] = scale
        acc, n = token_accuracy(TokenModel(model_data), split["val"])
        print(f"val scale {scale}: token accuracy {acc:.4f} ({n})")
        if best is None or acc > best[0]:
            best = (acc, scale)
    model_data["scale"] = best[1]
    # Screen threshold: at most this share of es/en news lines (accent-stripped Spanish included) passes.
    model = TokenModel(model_data)
    vals = sorted(model.third_margin(words_of(x))[0] for lang in news for x in news[lang]
                  + ([strip_accents(y) for y in news[lang]] if lang == "es" else []) if x.strip())
    model_data["third_threshold"] = round(vals[int(args.third_quantile * len(vals))], 3)
    print("third-language screen threshold", model_data["third_threshold"])
    acc, n = token_accuracy(TokenModel(model_data), split["dev"])
    print(f"dev token accuracy (tagger alone) {acc:.4f} ({n} es/en tokens)")
    groups, domains = third_sets(Path(args.locale_dir), news, split["train"])
    print("third-language decision lines: " + ", ".join(f"{k} {len(v)}" for k, v in groups.items()))
    model_data["third_lexicon"] = {"langs": list(LEX_LANGS), "coef": [],
                                   "words": third_lexicon(groups, split["train"], args.min_lex)}
    coef, threshold, rates = fit_third(model_data, groups)
    model_data["third_lexicon"]["coef"] = coef
    model_data["third_lexicon"]["threshold"] = threshold
    print("third-language decision coef", coef, "threshold", threshold)
    print("held-out share called a third language:", rates)
    # The tagger's n-gram mean of every vocabulary word, stored so that a process need not recompute it
    # (exact floats: the same evidence as computing it).
    cm_model = TokenModel(model_data)
    model_data["word_cm"] = {w: cm_model._char_mean(w) for w in sorted(model_data["word_lr"])}
    model_data["meta"] = {
        "trained_by": "scripts/train_langid.py",
        "command": f"scripts/train_langid.py --nmax {args.nmax} --min-gram {args.min_gram} "
                   f"--min-word {args.min_word} --third-quantile {args.third_quantile} "
                   f"--min-lex {args.min_lex} --locale-dir {args.locale_dir}",
        "sources": ["CALCS 2016 es-en LID training tweets (javadr/PyTorch-Detect-Code-Switching)",
                    "LinCE lid_spaeng training tweets (MarkdenO/MLP-Final-Project-4)",
                    "WMT news-test2008 and newstest2009 es/en (Helsinki-NLP/OPUS-MT-testsets)",
                    "gettext catalogues es/pt/pt_BR/it/fr/ca of installed Debian packages (third languages)"],
        "split": "dedup key = tokens joined, lower-cased; sha1(key)[:8] % 10: 0 dev, 1 val, else train",
        "sizes": {k: len(v) for k, v in split.items()},
        "dev_token_accuracy_tagger": round(acc, 4),
        "third_decision": {"catalogues": f"{args.locale_dir}/{{es,pt,pt_BR,it,fr,ca}}/LC_MESSAGES/*.mo "
                                         "(Debian packages installed where the model was trained)",
                           "text_domains": domains,
                           "lines": {k: len(v) for k, v in groups.items()},
                           "held_out_called_third": rates},
        "stored": "log-ratios es/en only (no text of the data): char n-grams and words seen at least "
                  "min-gram/min-word times",
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    blob = json.dumps(model_data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    out.write_bytes(gzip.compress(blob, compresslevel=9, mtime=0))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB; {len(model_data['gram_lr'])} grams, "
          f"{len(model_data['word_lr'])} words)")


if __name__ == "__main__":
    main()
