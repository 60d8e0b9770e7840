"""report.html (pipeline/corpus/report_html.py): rendered from a version folder's published files only.

Version folders are written here in the shape the export writes them (and in a later pair schema with
``translation: {es, en}`` and a quality score); the page is read back with an HTML parser, and once in a
headless Chromium (JS run, DOM dumped) where Debian's chromium is installed. The last test builds two
versions from the seed articles through Luigi and reads the page the export wrote.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import SEEDS, needs_apertium
from pipeline import cli
from pipeline.corpus import report_html

GLUED = "in CaracasAfter the meeting"
DOUBLE = "And he said Maduro that"


def pair(doc: str, seg: int, es: str, en: str, *, origin: str = "es", conf: float = 0.99,
         repairs: list | None = None, future: bool = False, quality: float | None = None) -> dict:
    rec = {"id": f"{doc}:{seg}", "doc": doc, "segment": seg, "origin": origin, "lang": origin,
           "lang_confidence": conf, "repairs": repairs or [], "flagged": [],
           "source": {"path": f"in/{doc}.txt", "start": 0, "end": len(es)}}
    if future:
        rec["translation"] = {"es": es, "en": en}
        rec["quality"] = quality
    else:
        rec.update(es=es, en=en, translation={"es-en": {"engine": "apertium", "version": "0.8", "notes": []}})
    return rec


def glued_repair() -> dict:
    return {"target": "translation", "before": GLUED, "rules": ["split_glued_words"],
            "steps": [{"rule": "split_glued_words",
                       "edits": [{"start": 10, "end": 11, "old": "A", "new": " a", "rule": "split_glued_words"}]}]}


def two_rule_repair() -> dict:
    # Two steps, the second on the text the first produced (offsets are per step).
    return {"target": "source", "before": "And he said Maduro in CaracasAfter it",
            "rules": ["split_glued_words", "reorder_verb_first"],
            "steps": [{"rule": "split_glued_words", "edits": [{"start": 29, "end": 30, "old": "A", "new": " a"}]},
                      {"rule": "reorder_verb_first",
                       "edits": [{"start": 0, "end": 18, "old": "And he said Maduro", "new": "Maduro said"}]}]}


def write_version(root: Path, name: str, pairs: list[dict], rejects: list[dict], *, review: list[dict] = (),
                  inputs: list[dict] | None = None, fingerprint: str = "cfg1", published: bool = True) -> Path:
    """A corpus version folder as the export writes it, listed in the root's publish-log."""
    folder = root / "corpus-versions" / name
    folder.mkdir(parents=True)
    for fname, recs in (("es-en.jsonl", pairs), ("rejected.jsonl", rejects), ("review.jsonl", review)):
        (folder / fname).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    docs = sorted({p["doc"] for p in pairs} | {r["doc"] for r in rejects})
    inputs = inputs if inputs is not None else [{"doc": d, "status": "ok", "reason": None} for d in docs]
    for d in inputs:
        if d["status"] == "ok":
            (folder / "documents").mkdir(exist_ok=True)
            (folder / "documents" / f"{d['doc']}.en.txt").write_text("text\n", encoding="utf-8")
    reasons: dict[str, int] = {}
    for r in rejects:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    seg_rejects = sum(1 for r in rejects if r.get("segment") is not None)
    report = {"counts": {"documents": len(inputs), "pairs": len(pairs), "segment_rejects": seg_rejects,
                         "segments": len(pairs) + seg_rejects, "flagged_for_review": len(review),
                         "documents_rejected": sum(d["status"] != "ok" for d in inputs)},
              "accounting": {"holds": True, "segments": len(pairs) + seg_rejects,
                             "pairs_plus_rejects": len(pairs) + seg_rejects},
              "engines": {"es-en": {"engine": "apertium", "version": "apertium-eng-spa 0.8.1-2"}},
              "config": {"fingerprint": fingerprint, "source": "configs/pipeline.yaml"},
              "per_reject_reason": reasons, "per_repair_rule": {}, "inputs": inputs}
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (folder / "report.html").write_text("old page\n", encoding="utf-8")
    files = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            data = f.read_bytes()
            files[str(f.relative_to(folder))] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                                 "lines": data.count(b"\n")}
    (folder / "manifest.json").write_text(json.dumps({"version": name, "files": files}), encoding="utf-8")
    if published:
        with open(root / "publish-log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"published": f"2026-01-0{len(list((root / 'corpus-versions').iterdir()))}T00:00:00Z",
                                 "version": name}) + "\n")
        link = root / "corpus"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(Path("corpus-versions") / name)
    return folder


def reject(doc: str, seg: int | None, reason: str, **kw) -> dict:
    return {"doc": doc, "segment": seg, "reason": reason, **kw}


@pytest.fixture
def two_versions(tmp_path):
    """v1, then v2: doc b changed one pair and lost one, doc c is new, more filter rejects, one bad document."""
    v1 = write_version(tmp_path, "v1", [
        pair("a", 0, "hola", "hello"), pair("a", 1, "adiós", "bye"),
        pair("b", 0, "uno", "one"), pair("b", 1, "dos", "two"),
    ], [reject("a", 2, "timestamp", text="03:07 GMT", lang="en")])
    v2 = write_version(tmp_path, "v2", [
        pair("a", 0, "hola", "hello"), pair("a", 1, "adiós", "bye"),
        pair("b", 0, "uno", "one!", repairs=[glued_repair()]),
        pair("c", 0, "y dijo Maduro", "Maduro said", origin="en", repairs=[two_rule_repair()]),
        pair("c", 1, "en Caracas después", "in Caracas after", repairs=[glued_repair()]),
        pair("c", 2, "tres <b>", "three <script>alert(1)</script>"),
    ], [
        reject("a", 2, "timestamp", text="03:07 GMT", lang="en"),
        reject("b", 1, "filter:length_ratio", es="dos dos dos dos", en="two"),
        reject("c", 3, "filter:length_ratio", es="x", en="a much longer english side"),
        reject("c", 4, "filter:length_ratio", es="y", en="another much longer english side"),
        reject("d", None, "document:binary", message="binary file", path="in/d.txt"),
    ], review=[{"id": "c:0", "target": "source", "before": "He said \"x",
                "items": [{"rule": "flag_unbalanced", "reason": "review only: unbalanced quote"}]}],
        inputs=[{"doc": d, "status": "ok", "reason": None} for d in "abc"]
        + [{"doc": "d", "status": "rejected", "reason": "binary"}], fingerprint="cfg2")
    return tmp_path, v1, v2


class Page(HTMLParser):
    """Tables (by id or class) as rows of cell texts, links, <del>/<ins> texts, sections' text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self.marks: list[tuple[str, str]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._mark: str | None = None
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or a.get("class", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag in ("del", "ins"):
            self._mark = tag

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("del", "ins"):
            self._mark = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._mark:
            self.marks.append((self._mark, data))

    def body(self) -> list[list[str]]:
        return self.tables["documents-table"][1:]


def test_documents_table_counts_per_document(two_versions):
    _, v1, v2 = two_versions
    page = Page(report_html.render_report(v2, v1))
    rows = {r[0]: r for r in page.body()}
    # document, status, pairs, rejects, repaired pairs, edits, for review
    assert rows["a"][1:] == ["ok", "2", "1", "0", "0", "0"]
    assert rows["b"][1:] == ["ok", "1", "1", "1", "1", "0"]
    assert rows["c"][1:] == ["ok", "3", "2", "2", "3", "1"]
    assert rows["d"][1:] == ["rejected: binary", "0", "1", "0", "0", "0"]
    assert "documents/a.en.txt" in page.links and "documents/d.en.txt" not in page.links


def test_run_identity_and_diff_against_the_previous_version(two_versions):
    _, v1, v2 = two_versions
    html = report_html.render_report(v2, v1)
    page = Page(html)
    ident = {r[0]: r[1:] for r in page.tables["identity"][1:]}
    assert ident["version"] == ["v2", "v1"]
    assert ident["config digest"] == ["cfg2", "cfg1"]
    assert ident["published"] == ["2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"]
    assert ident["engine es-en"] == ["apertium apertium-eng-spa 0.8.1-2"] * 2
    # pairs: c:0, c:1, c:2 added; b:1 removed; b:0 changed its English
    assert "+3" in html and "−1" in html
    assert "es-en.jsonl#L4" in page.links  # c:0 is line 4 of this version
    assert "../v1/es-en.jsonl#L4" in page.links  # b:1 was line 4 of the previous one
    assert "../v1/es-en.jsonl#L3" in page.links  # b:0 changed: its old line
    grown = page.tables["delta reasons"][1:]
    assert grown == [["filter:length_ratio", "0", "3", "+3"], ["document:binary", "0", "1", "+1"]]


def test_repair_examples_mark_the_edit_and_never_repeat_a_sentence(two_versions):
    _, v1, v2 = two_versions
    html = report_html.render_report(v2, None)
    page = Page(html)
    assert ("del", "A") in page.marks and ("ins", " a") in page.marks
    # the second step is shown on the text the first produced
    assert ("del", "And he said Maduro") in page.marks and ("ins", "Maduro said") in page.marks
    shown = re.findall(r'class="example repair" data-pair="([^"]+)" data-rule="([^"]+)"', html)
    assert sorted(shown) == [("b:0", "split_glued_words"), ("c:0", "reorder_verb_first"),
                             ("c:1", "split_glued_words")]  # every repaired pair, none under two rules


def test_reject_examples_show_both_sides_and_link_their_line(two_versions):
    _, _, v2 = two_versions
    html = report_html.render_report(v2, None)
    page = Page(html)
    lines = (v2 / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
    linked = [h for h in page.links if h.startswith("rejected.jsonl#L")]
    assert len(linked) == len(lines)
    for href in linked:
        rec = json.loads(lines[int(href.split("#L")[1]) - 1])
        assert (rec.get("es") or rec.get("text") or rec.get("message")) in html
    section = html[html.index('id="rejects"'):]
    assert "<b>es</b> dos dos dos dos" in section and "<b>en</b> two" in section
    assert "es: not translated (rejected before translation)" in section  # the timestamp never got an es side
    assert "binary file" in section


def test_text_is_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    folder = write_version(tmp_path, "v", [pair("z", 0, "<b>", evil, repairs=[{"before": evil, "rules": ["r"]}])],
                           [reject("z", 1, "filter:x", es=evil, en=evil)])
    html = report_html.render_report(folder, None)
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3  # the repair, both sides of the reject


def test_later_schema_with_quality_and_missing_keys(tmp_path):
    folder = write_version(tmp_path, "v", [
        pair("a", 0, "hola", "hello", future=True, quality=0.9),
        pair("a", 1, "sí", "yes", future=True, quality=0.4),
        {"doc": "b"},  # a record missing almost everything still counts for its document
    ], [])
    (folder / "report.json").unlink()
    (folder / "manifest.json").write_text("not json", encoding="utf-8")
    html = report_html.render_report(folder, None)
    page = Page(html)
    rows = {r[0]: r for r in page.body()}
    assert rows["a"][-1] == "0.65" and rows["b"][-1] == "—"  # mean quality per document
    assert "Quality score" in html and "2 pairs" in html.split("Quality score")[1][:200]
    assert page.tables["identity"][1] == ["version", "v"]


def test_same_files_same_page(two_versions, tmp_path):
    # A killed export reruns and must write the same bytes: nothing on the page comes from the clock.
    root, v1, v2 = two_versions
    (root / "publish-log.jsonl").write_text(json.dumps({"version": "v1", "published": "2026-01-01T00:00:00Z"}) + "\n")
    first = report_html.render_report(v2, v1, exporting=True)
    os.utime(v2 / "manifest.json", (0, 0))
    with open(root / "publish-log.jsonl", "a") as fh:  # v2 published, set aside by `pipeline rerun`, rebuilt
        fh.write(json.dumps({"version": "v2", "published": "2026-01-02T00:00:00Z"}) + "\n")
    assert report_html.render_report(v2, v1, exporting=True) == first
    assert "not yet when this page was written, at <time data-file-time>" in first
    assert "2026-01-02T00:00:00Z" in report_html.render_report(v2, v1)  # `pipeline report` looks it up


def test_write_report_keeps_the_manifest_true(two_versions):
    root, v1, v2 = two_versions
    report_html.write_report(v2, v1)
    data = (v2 / "report.html").read_bytes()
    entry = json.loads((v2 / "manifest.json").read_text(encoding="utf-8"))["files"]["report.html"]
    assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "lines": data.count(b"\n")}
    before = (v1 / "manifest.json").read_bytes()
    report_html.write_report(v1, None, output=root / "elsewhere.html")
    assert (v1 / "report.html").read_text() == "old page\n" and (v1 / "manifest.json").read_bytes() == before


def test_previous_version_from_the_publish_log(tmp_path):
    for name in ("v1", "v2"):
        write_version(tmp_path, name, [pair("a", 0, "hola", "hello")], [])
    v3 = write_version(tmp_path, "v3", [pair("a", 0, "hola", "hello")], [], published=False)
    versions = tmp_path / "corpus-versions"
    assert report_html.previous_version(versions / "v2") == versions / "v1"
    assert report_html.previous_version(versions / "v1") is None
    assert report_html.previous_version(v3) == versions / "v2"  # not yet published: the current one
    with open(tmp_path / "publish-log.jsonl", "a") as fh:  # v1 published again (a rollback)
        fh.write(json.dumps({"version": "v1"}) + "\n")
    assert report_html.previous_version(versions / "v1") == versions / "v2"
    shutil.rmtree(versions / "v2")
    assert report_html.previous_version(versions / "v1") is None  # pruned versions are skipped


def test_report_command(two_versions, capsys):
    root, v1, v2 = two_versions
    assert cli.main(["report", "--output", str(root)]) == 0
    assert capsys.readouterr().out == f"wrote {v2 / 'report.html'} (compared with v1)\n"
    assert "compared with the previously published version" in (v2 / "report.html").read_text(encoding="utf-8")
    assert cli.main(["report", "--output", str(root), "--version", "v1", "--previous", "none"]) == 0
    assert capsys.readouterr().out.endswith("(no previous version)\n")
    assert cli.main(["report", "--output", str(root), "--version", "nope"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "is not a complete corpus version (versions: v1, v2)" in err[0]
    assert cli.main(["report", "--output", str(root / "empty")]) == 1


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_page_in_a_headless_browser(two_versions, tmp_path):
    root, v1, v2 = two_versions
    (root / "publish-log.jsonl").write_text("")  # v2 not published yet: the page shows when it was written
    report_html.write_report(v2, v1)
    os.utime(v2 / "report.html", (1741064767, 1741064767))
    res = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", (v2 / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    dom = res.stdout
    assert res.returncode == 0 and "</html>" in dom, res.stderr[-2000:]
    # The inline script ran: it sorted the table by rejects (descending), marking what it did.
    assert 'data-sorted="rejects descending"' in dom
    assert "<time data-file-time=\"\">2025-03-04 05:06:07Z</time>" in dom
    page = Page(dom)
    rows = page.body()
    # Written in document order; sorted by rejects, most first, ties by document name.
    assert [(r[0], r[3]) for r in rows] == [("c", "2"), ("a", "1"), ("b", "1"), ("d", "1")]
    charts = dom.split('<svg class="histogram"')[1:]
    assert len(charts) == 3  # length, ratio, confidence; no quality score in this schema
    for chart in charts:
        heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([0-9.]+)"', chart.split("</svg>")[0])]
        assert heights and max(heights) == 150.0  # the tallest bar fills the plot


@needs_apertium
def test_export_writes_the_page_compared_with_the_previous_version(tmp_path):
    from test_pipeline_e2e import _config, build

    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    out, cfg = tmp_path / "out", _config(tmp_path)
    build(inp, out, cfg)
    first = (out / "corpus").resolve()
    doc = sorted(inp.iterdir())[0]
    doc.write_text(doc.read_text(encoding="utf-8").replace("Venezuela", "Venezuela jointly", 1), encoding="utf-8")
    build(inp, out, cfg)
    second = (out / "corpus").resolve()
    assert second != first
    page = Page((second / "report.html").read_text(encoding="utf-8"))
    ident = {r[0]: r[1:] for r in page.tables["identity"][1:]}
    assert ident["version"] == [second.name, first.name]
    assert len(page.body()) == len(list(inp.iterdir()))
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    data = (second / "report.html").read_bytes()
    assert manifest["files"]["report.html"]["sha256"] == hashlib.sha256(data).hexdigest()
