"""report.html for one corpus version: what an operator reads after a run.

Input: a corpus version folder (report.json, manifest.json, es-en.jsonl, rejected.jsonl, review.jsonl) and
optionally the previous version's folder. Output: one self-contained page (templates/report.html.j2,
Jinja2, autoescaped; charts are inline SVG; a few lines of inline JS sort the document table), with run
identity and changes beside the previous version, a per-document table, distributions, repair examples
with the edit marked up and rejects with both sides, each linked to its JSONL line.

Reads only the published files and treats every key as optional, so pairs of the current schema
(``es``/``en`` at the top, ``translation`` = engine metadata per direction) and of a later one
(``translation: {es, en}``, a ``quality`` score) render alike.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
import statistics
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

EXAMPLES_PER_ITEM = 3
DIFF_LISTED = 25  # added/removed/changed pair ids listed by name; the rest are counted
MAX_DOC_ROWS = 5000  # beyond this the table keeps the documents with the most rejects (report.json has all)
TEMPLATES = Path(__file__).parent / "templates"


# ------------------------------------------------------------------------------------------------
# Reading the published files, tolerant of schema changes


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, record) for every JSON object line; line numbers count every line."""
    try:
        fh = open(path, encoding="utf-8")
    except OSError:
        return
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield n, rec


def side(rec: dict[str, Any], lang: str) -> str | None:
    """The ``lang`` text of a pair or reject: top-level ``es``/``en`` or ``translation: {es, en}``.

    >>> side({"es": "hola"}, "es"), side({"translation": {"en": "hi"}}, "en")
    ('hola', 'hi')
    >>> side({"translation": {"es-en": {"engine": "apertium"}}}, "en") is None
    True
    """
    v = rec.get(lang)
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and isinstance(v.get("text"), str):
        return v["text"]
    tr = rec.get("translation")
    if isinstance(tr, dict) and isinstance(tr.get(lang), str):
        return tr[lang]
    return None


def quality(rec: dict[str, Any]) -> float | None:
    """A pair's quality score where the schema has one (a number, or an object with ``score``).

    >>> quality({"quality": 0.8}), quality({"quality": {"score": 0.5}}), quality({})
    (0.8, 0.5, None)
    """
    q = rec.get("quality")
    if isinstance(q, dict):
        q = q.get("score")
    if isinstance(q, (int, float)) and not isinstance(q, bool) and math.isfinite(q):
        return float(q)
    return None


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _doc_of(rec: dict[str, Any]) -> str:
    doc = rec.get("doc")
    if isinstance(doc, str) and doc:
        return doc
    rid = rec.get("id")
    return rid.rsplit(":", 1)[0] if isinstance(rid, str) and ":" in rid else "?"


def _pair_digest(rec: dict[str, Any]) -> str:
    return hashlib.blake2b(json.dumps([side(rec, "es"), side(rec, "en")], ensure_ascii=False).encode(),
                           digest_size=8).hexdigest()


def _utc(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts))


# ------------------------------------------------------------------------------------------------
# Edits


def replay(text: str, edits: list[dict[str, Any]]) -> list[tuple[str, str]] | None:
    """The text as runs of ("same"|"del"|"ins", text) for one step's edits, or None when an edit does not
    match the text (then the caller falls back to a word diff).

    >>> replay("in CaracasAfter the", [{"start": 10, "end": 11, "old": "A", "new": " a"}])
    [('same', 'in Caracas'), ('del', 'A'), ('ins', ' a'), ('same', 'fter the')]
    """
    runs: list[tuple[str, str]] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.get("start", -1), e.get("end", -1))):
        start, end, old, new = e.get("start"), e.get("end"), e.get("old", ""), e.get("new", "")
        if not (isinstance(start, int) and isinstance(end, int) and pos <= start <= end <= len(text)) \
                or text[start:end] != old or not isinstance(new, str):
            return None
        if start > pos:
            runs.append(("same", text[pos:start]))
        if old:
            runs.append(("del", old))
        if new:
            runs.append(("ins", new))
        pos = end
    if pos < len(text):
        runs.append(("same", text[pos:]))
    return runs


def after(runs: list[tuple[str, str]]) -> str:
    return "".join(t for k, t in runs if k != "del")


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """Runs of a word-level diff of ``a`` -> ``b``.

    >>> word_diff("in Caracas And Moscow", "in Caracas and Moscow")
    [('same', 'in Caracas '), ('del', 'And'), ('ins', 'and'), ('same', ' Moscow')]
    """
    ta, tb = re.findall(r"\s+|\S+", a), re.findall(r"\s+|\S+", b)
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(ta[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("del", "".join(ta[i1:i2])))
        if j2 > j1:
            runs.append(("ins", "".join(tb[j1:j2])))
    return runs


def repair_steps(repair: dict[str, Any], final: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """(rule, runs) for each step of one repair record, each step shown on the text it was applied to.

    Falls back to one word diff of before -> final (labelled with every rule) when edits do not replay.
    """
    text = repair.get("before")
    steps = repair.get("steps") if isinstance(repair.get("steps"), list) else []
    rules = [s.get("rule") for s in steps if isinstance(s, dict)] or list(repair.get("rules") or [])
    out = []
    if isinstance(text, str):
        for s in steps:
            runs = replay(text, s.get("edits") or []) if isinstance(s, dict) else None
            if runs is None:
                break
            out.append((str(s.get("rule", "?")), runs))
            text = after(runs)
        else:
            if out:
                return out
    if isinstance(repair.get("before"), str) and isinstance(final, str):
        runs = word_diff(repair["before"], final)
        return [(str(r), runs) for r in rules] or [("?", runs)]
    return []


# ------------------------------------------------------------------------------------------------
# Histograms


@dataclass
class Histogram:
    title: str
    unit: str
    bins: list[dict[str, Any]]
    n: int
    median: float | None
    peak: int
    overflow: int = 0


def histogram(title: str, unit: str, values: list[float], lo: float | None = None, hi: float | None = None,
              bins: int = 20, integer: bool = False) -> Histogram:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi]; values above ``hi`` go to the last bin
    (counted as overflow), below ``lo`` to the first.

    >>> h = histogram("t", "", [0.0, 0.5, 1.0, 5.0], 0, 1, bins=2)
    >>> [b["count"] for b in h.bins], h.overflow
    ([1, 3], 1)
    """
    if not values:
        return Histogram(title, unit, [], 0, None, 0)
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    if integer:
        lo, hi = math.floor(lo), math.ceil(hi)
        bins = max(1, min(bins, int(hi - lo) + 1))
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    overflow = 0
    for v in values:
        i = int((v - lo) / width) if width else 0
        if v > hi:
            overflow += 1
        counts[min(max(i, 0), bins - 1)] += 1
    fmt = (lambda x: f"{x:.0f}") if integer or width >= 5 else (lambda x: f"{x:.2f}")
    out = [{"lo": fmt(lo + i * width), "hi": fmt(lo + (i + 1) * width), "count": c} for i, c in enumerate(counts)]
    if overflow:
        out[-1]["hi"] = "max"
    return Histogram(title, unit, out, len(values), statistics.median(values), max(counts), overflow)


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


# ------------------------------------------------------------------------------------------------
# One version's published files, read once


@dataclass
class Version:
    folder: Path
    report: dict[str, Any]
    manifest: dict[str, Any]
    pair_lines: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (line, digest of es/en)

    @property
    def id(self) -> str:
        v = self.manifest.get("version")
        return str(v) if v else self.folder.name

    def counts(self) -> dict[str, Any]:
        c = self.report.get("counts")
        return c if isinstance(c, dict) else {}

    def engines(self) -> dict[str, str]:
        eng = self.report.get("engines") or self.manifest.get("engines") or {}
        out = {}
        if isinstance(eng, dict):
            for direction, info in sorted(eng.items()):
                if isinstance(info, dict):
                    out[direction] = " ".join(str(info[k]) for k in ("engine", "version") if info.get(k)) or "?"
                else:
                    out[direction] = str(info)
        return out

    def config(self) -> dict[str, Any]:
        c = self.report.get("config")
        return c if isinstance(c, dict) else {}

    def published(self) -> str | None:
        for rec in reversed(publish_log(self.folder)):
            if rec.get("version") in (self.id, self.folder.name) and isinstance(rec.get("published"), str):
                return rec["published"]
        return None

    def mapping(self, key: str) -> Counter[str]:
        d = self.report.get(key)
        return Counter({str(k): v for k, v in d.items() if isinstance(v, int)}) if isinstance(d, dict) else Counter()


def _version(folder: Path) -> Version:
    return Version(folder, _json(folder / "report.json"), _json(folder / "manifest.json"))


def _index_pairs(v: Version) -> None:
    for n, rec in _jsonl(v.folder / "es-en.jsonl"):
        rid = rec.get("id")
        if isinstance(rid, str):
            v.pair_lines[rid] = (n, _pair_digest(rec))


def publish_log(folder: Path) -> list[dict[str, Any]]:
    """``publish-log.jsonl`` of the output root holding ``corpus-versions/<folder>``, oldest first."""
    root = folder.parent.parent if folder.parent.name == "corpus-versions" else folder.parent
    return [rec for _, rec in _jsonl(root / "publish-log.jsonl")]


def previous_version(version_dir: Path) -> Path | None:
    """The version published before ``version_dir`` (which need not exist or be published yet).

    From publish-log.jsonl: the latest other version logged before this one's last publication (or, if it
    was never published, the latest logged at all) whose folder still exists.
    """
    version_dir = Path(version_dir)
    log = [r.get("version") for r in publish_log(version_dir)]
    if version_dir.name in log:
        log = log[:len(log) - 1 - log[::-1].index(version_dir.name)]
    for name in reversed(log):
        if isinstance(name, str) and name and name != version_dir.name:
            cand = version_dir.parent / name
            if (cand / "manifest.json").is_file():
                return cand
    return None


# ------------------------------------------------------------------------------------------------
# The page


def _identity(cur: Version, prev: Version | None, exporting: bool) -> list[dict[str, Any]]:
    def facts(v: Version) -> dict[str, str]:
        c, cfg = v.counts(), v.config()
        acc = v.report.get("accounting") if isinstance(v.report.get("accounting"), dict) else {}
        out = {"version": v.id, "published": "" if exporting and v is cur else v.published() or "",
               "config digest": str(cfg.get("fingerprint", "?")), "config file": str(cfg.get("source", "?"))}
        for direction, label in v.engines().items():
            out[f"engine {direction}"] = label
        for k in ("documents", "documents_rejected", "segments", "pairs", "segment_rejects", "flagged_for_review"):
            if k in c:
                out[k.replace("_", " ")] = str(c[k])
        if "holds" in acc:
            out["accounting identity"] = "holds" if acc["holds"] else "DOES NOT HOLD"
        return out

    a, b = facts(cur), (facts(prev) if prev else {})
    keys = list(a) + [k for k in b if k not in a]
    # An unpublished version's page says when it was written from the file's own time (JS), so that a
    # rerun writes the same bytes.
    return [{"what": k, "now": a.get(k, "—"), "before": b.get(k, "—") if prev else "",
             "file_time": k == "published" and not a[k],
             "changed": bool(prev) and a.get(k) != b.get(k) and k != "published"} for k in keys]


def _delta_rows(now: Counter[str], before: Counter[str]) -> list[dict[str, Any]]:
    rows = [{"name": k, "before": before.get(k, 0), "now": now.get(k, 0), "delta": now.get(k, 0) - before.get(k, 0)}
            for k in set(now) | set(before)]
    return sorted(rows, key=lambda r: (-r["delta"], -r["now"], r["name"]))


def render_report(version_dir: Path, previous_dir: Path | None = None, *, exporting: bool = False) -> str:
    """The HTML page for the corpus version in ``version_dir``, compared with ``previous_dir`` if given.

    ``exporting``: the export is writing this version now; its page then never shows an earlier
    publication of the same version from the log, so a rerun (after a kill, or after ``pipeline rerun``
    set the version aside) writes the same bytes.
    """
    return "".join(_render_chunks(version_dir, previous_dir, exporting=exporting))


def _render_chunks(version_dir: Path, previous_dir: Path | None = None, *,
                   exporting: bool = False) -> Iterator[str]:
    """``render_report``'s page in the pieces the template produces them, so ``write_report`` can stream
    them to the file: the page has a row per document and per file, and joining it in memory (Jinja's
    ``render`` first lists every piece) made the export's peak grow with the corpus.

    Per pair only what the page needs is kept: numbers for the charts in typed arrays (8 bytes each), and
    the id and digest of every pair only when there is a previous version to compare with."""
    import jinja2

    folder = Path(version_dir)
    cur = _version(folder)
    k = EXAMPLES_PER_ITEM
    docs: dict[str, dict[str, Any]] = {}

    def doc_row(doc: str) -> dict[str, Any]:
        if doc not in docs:
            docs[doc] = {"doc": doc, "status": "ok", "reason": "", "pairs": 0, "rejects": 0, "repaired": 0,
                         "edits": 0, "review": 0, "quality": []}
        return docs[doc]

    inputs = cur.report.pop("inputs", None)  # one record per document: read here, then let go
    for d in inputs if isinstance(inputs, list) else []:
        if isinstance(d, dict) and d.get("doc"):
            row = doc_row(str(d["doc"]))
            row["status"] = str(d.get("status") or "ok")
            row["reason"] = str(d.get("reason") or "")
    del inputs

    lengths = array("q")  # words: integers, as the chart's median is printed
    ratios, confidences, qualities = array("d"), array("d"), array("d")
    compare = previous_dir is not None and Path(previous_dir).is_dir()
    single: dict[str, list[dict[str, Any]]] = defaultdict(list)  # rule -> examples from one-rule pairs
    multi: dict[str, list[dict[str, Any]]] = defaultdict(list)  # fallbacks from pairs with several rules
    rule_counts: Counter[str] = Counter()
    for n, p in _jsonl(folder / "es-en.jsonl"):
        rid = p.get("id")
        if compare and isinstance(rid, str):
            cur.pair_lines[rid] = (n, _pair_digest(p))
        row = doc_row(_doc_of(p))
        row["pairs"] += 1
        es, en = side(p, "es"), side(p, "en")
        origin = p.get("origin") if p.get("origin") in ("es", "en") else "en"
        src = es if origin == "es" else en
        if src:
            lengths.append(len(src.split()))
        if es and en:
            ratios.append(len(es) / len(en))
        if (c := _number(p.get("lang_confidence"))) is not None:
            confidences.append(c)
        if (q := quality(p)) is not None:
            qualities.append(q)
            row["quality"].append(q)
        repairs = [r for r in p.get("repairs") or [] if isinstance(r, dict)]
        if repairs:
            row["repaired"] += 1
        pair_steps = []
        for rep in repairs:
            final = side(p, "es") if rep.get("target") == "es" else en
            pair_steps += [(rep, rule, runs) for rule, runs in repair_steps(rep, final)]
            row["edits"] += sum(len(s.get("edits") or []) for s in rep.get("steps") or [] if isinstance(s, dict))
        rules = sorted({rule for _, rule, _ in pair_steps})
        for rep, rule, runs in pair_steps:
            rule_counts[rule] += 1
            pool = single if len(rules) == 1 else multi
            if len(pool[rule]) < k * (1 if pool is single else 4):
                pool[rule].append({"id": rid, "line": n, "runs": runs, "target": rep.get("target", ""),
                                   "es": es, "rules": rules})

    # Each sentence illustrates one rule only: rules with the fewest candidates choose first, one-rule
    # pairs before pairs that several rules changed.
    used: set[Any] = set()
    chosen: dict[str, list[dict[str, Any]]] = {}
    for rule in sorted(rule_counts, key=lambda r: (len(single.get(r, [])) + len(multi.get(r, [])), r)):
        chosen[rule] = []
        for ex in single.get(rule, []) + multi.get(rule, []):
            if len(chosen[rule]) < k and ex["id"] not in used:
                chosen[rule].append(ex)
                used.add(ex["id"])
    repair_examples = [{"rule": rule, "count": count, "examples": chosen[rule], "shown_under": []}
                       for rule, count in sorted(rule_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    # A rule whose every example pair already illustrates another rule points there instead.
    for entry in repair_examples:
        if not entry["examples"]:
            entry["shown_under"] = [(other["rule"], ex["line"]) for other in repair_examples
                                    for ex in other["examples"] if entry["rule"] in ex["rules"]][:k]

    reject_examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for n, r in _jsonl(folder / "rejected.jsonl"):
        reason = str(r.get("reason", "?"))
        reasons[reason] += 1
        doc_row(_doc_of(r))["rejects"] += 1
        if len(reject_examples[reason]) < k:
            es, en = side(r, "es"), side(r, "en")
            text = r.get("text") if isinstance(r.get("text"), str) else None
            if text and es is None and en is None:
                es, en = (text, None) if r.get("lang") == "es" else (None, text)
            src = r.get("source") if isinstance(r.get("source"), dict) else {}
            where = src.get("path") or r.get("path") or ""
            if where and isinstance(src.get("start"), int):
                where += f" chars {src['start']}–{src.get('end')}"
            reject_examples[reason].append({
                "line": n, "doc": _doc_of(r), "segment": r.get("segment"), "es": es, "en": en,
                "kind": r.get("kind") or "", "lang": r.get("lang") or "", "where": where,
                "message": r.get("message") if isinstance(r.get("message"), str) else ""})

    review_rules: Counter[str] = Counter()
    review_examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n, item in _jsonl(folder / "review.jsonl"):
        doc_row(_doc_of(item))["review"] += 1
        for it in item.get("items") or [{}]:
            rule = str(it.get("rule", "?")) if isinstance(it, dict) else "?"
            review_rules[rule] += 1
            if len(review_examples[rule]) < k:
                review_examples[rule].append({"line": n, "id": item.get("id", ""), "before": item.get("before", ""),
                                              "reason": it.get("reason", "") if isinstance(it, dict) else ""})

    rows = list(docs.values())
    for row in rows:
        q = row.pop("quality")
        row["quality"] = round(statistics.fmean(q), 3) if q else None
        link = f"documents/{row['doc']}.en.txt"
        row["link"] = link if (folder / link).is_file() else ""
    hidden = 0
    if len(rows) > MAX_DOC_ROWS:
        rows.sort(key=lambda r: (-r["rejects"], r["doc"]))
        hidden, rows = len(rows) - MAX_DOC_ROWS, rows[:MAX_DOC_ROWS]

    charts = [
        histogram("Segment length", "words, original side", lengths, 0,
                  _percentile(lengths, 0.99) if lengths else None, integer=True),
        histogram("Length ratio", "Spanish chars / English chars", ratios, 0, 3),
        histogram("Language confidence", "of the detected language", confidences, 0, 1),
    ]
    if qualities:
        charts.append(histogram("Quality score", "per pair", qualities, min(0.0, min(qualities)),
                                max(1.0, max(qualities))))

    prev = None
    diff = None
    if compare:
        prev = _version(Path(previous_dir))
        _index_pairs(prev)
        prev_rel = os.path.relpath(prev.folder, folder)
        a, b = cur.pair_lines, prev.pair_lines
        added = sorted((a[i][0], i) for i in a.keys() - b.keys())
        removed = sorted((b[i][0], i) for i in b.keys() - a.keys())
        changed = sorted((a[i][0], i, b[i][0]) for i in a.keys() & b.keys() if a[i][1] != b[i][1])
        diff = {
            "prev_rel": prev_rel,
            "added": len(added), "removed": len(removed), "changed": len(changed),
            "added_list": added[:DIFF_LISTED], "removed_list": removed[:DIFF_LISTED],
            "changed_list": changed[:DIFF_LISTED],
            "reasons": [r for r in _delta_rows(reasons, prev.mapping("per_reject_reason")) if r["delta"]],
            "rules": [r for r in _delta_rows(rule_counts, prev.mapping("per_repair_rule")) if r["delta"]],
        }

    files = cur.manifest.get("files") if isinstance(cur.manifest.get("files"), dict) else {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    acc = cur.report.get("accounting") if isinstance(cur.report.get("accounting"), dict) else {}
    return env.get_template("report.html.j2").generate(
        version=cur.id, counts=cur.counts(), accounting=acc, identity=_identity(cur, prev, exporting),
        previous=prev.id if prev else None, diff=diff, docs=rows, hidden_docs=hidden,
        has_quality=bool(qualities), charts=charts,
        reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        rules=sorted(rule_counts.items(), key=lambda kv: (-kv[1], kv[0])),
        repair_examples=repair_examples,
        reject_examples=sorted(reject_examples.items(), key=lambda kv: (-reasons[kv[0]], kv[0])),
        reason_counts=reasons, review_rules=sorted(review_rules.items(), key=lambda kv: (-kv[1], kv[0])),
        review_examples=review_examples,
        files=sorted((name, info) for name, info in files.items() if isinstance(info, dict)),
    )


def write_report(version_dir: Path, previous_dir: Path | None = None, output: Path | None = None, *,
                 exporting: bool = False) -> Path:
    """Render and write ``report.html`` (into the version folder unless ``output`` is given), atomically.

    Written into the version folder, the page's entry in manifest.json is brought up to date too, so the
    manifest still describes every file.
    """
    from pipeline.io import atomic_open

    folder = Path(version_dir)
    target = Path(output) if output else folder / "report.html"
    with atomic_open(target) as fh:
        for chunk in _render_chunks(folder, previous_dir, exporting=exporting):
            fh.write(chunk)
    manifest_path = folder / "manifest.json"
    if output is None and manifest_path.is_file():
        manifest = _json(manifest_path)
        if isinstance(manifest.get("files"), dict):  # add or update the page's entry, as the export lists files
            from pipeline.corpus.writers import file_digest, write_json

            sha, lines = file_digest(target)
            manifest["files"]["report.html"] = {"sha256": sha, "lines": lines, "bytes": target.stat().st_size}
            write_json(manifest_path, manifest)
    return target
