"""Tests of the English repair rules: data-driven cases, clean text left alone, laws (idempotence, replay,
protected spans), configuration, the CLI and degradation without the hunspell dictionary."""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import RepairConfig, load_config
from pipeline.protect import find_protected
from pipeline.repair.registry import REGISTRY, replay
from pipeline.repair.repairer import DocumentContext, Repairer
from pipeline.resources.tagger import load_tagger
from conftest import matches_expected

DATA = Path(__file__).parent / "data" / "repairs"
SEEDS = Path(__file__).parent.parent / "seeds"


def _jsonl(name):
    return [json.loads(l) for l in (DATA / name).open(encoding="utf-8") if l.strip()]


ARTEFACTS = _jsonl("artefacts.jsonl")
# Written after the rules, measured once before any tuning on it (45/46), then kept as further cases.
HOLDOUT = _jsonl("holdout.jsonl")
# Shapes taken from real news text (issue 13), written after the statistics-based rules.
REAL_SHAPES = _jsonl("real_shapes.jsonl")
CLEAN = [l.rstrip("\n") for l in (DATA / "clean_en.txt").open(encoding="utf-8") if l.strip()]
# Known failures: ambiguous without syntax (a relative clause after a glued pronoun; "is is" is also
# legitimate English, "what it is is ..."). strict: a fix is noticed.
# 'Need Visa', 'Wheat and Barley': a common word next to a dictionary name ('Visa') or joined by 'and' to
# another capitalised word reads as a name to the truecaser; flagged or kept, not fixed.
# holdout-title_case-13 ('families Living in poverty'): 'Living' is Title Case in 0.6% of its mid-sentence
# uses in the truecaser's corpus, and its context margin (5.3) is below the one chosen on the news dev files
# (8): flagged, not edited, unless the optional tagger (extra 'tagger') is installed and reads a verb.
TAGGER = load_tagger() is not None
KNOWN_FAILURES = {"real-title-need-visa", "real-title-wheat-barley"} | (set() if TAGGER else {"holdout-title_case-13"})


@pytest.fixture(scope="module")
def repairer():
    return Repairer()


def test_data_sizes_and_classes():
    assert len(ARTEFACTS) >= 150 and len(CLEAN) >= 200
    classes = {c["class"] for c in ARTEFACTS}
    assert {"glued_words", "title_case", "verb_first", "doubled_subject", "repeated_words",
            "spacing", "unbalanced", "tokenizer_marks", "unknown_markers", "untranslated",
            "sentence_case", "mojibake"} <= classes


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c["label"], marks=[pytest.mark.xfail(strict=True)] if c["label"] in KNOWN_FAILURES else [])
    for c in ARTEFACTS + HOLDOUT + REAL_SHAPES])
def test_artefact_case(repairer, case):
    res = repairer.repair(case["input"])
    assert matches_expected(res, case["expected"]), (res.text, res.flagged)


def test_clean_sentences_unchanged(repairer):
    edited = [(s, repairer.repair(s).text) for s in CLEAN if repairer.repair(s).text != s]
    assert edited == []


@pytest.mark.parametrize("case", _jsonl("seed_004.jsonl"), ids=lambda c: c["label"])
def test_seed_004_artefacts(case):
    lines = (SEEDS / "004_d978a184de527eee.txt").read_text(encoding="utf-8").splitlines()
    res = Repairer().repair(case["input"], DocumentContext.from_texts(lines))
    assert matches_expected(res, case["expected"]), res.text


@pytest.mark.parametrize("name", ["000_750c02cc8be14c39.txt", "003_158391a6dab5c5a3.txt"])
def test_clean_articles_unchanged(name):
    lines = [l for l in (SEEDS / name).read_text(encoding="utf-8").splitlines() if l.strip()]
    ctx = DocumentContext.from_texts(lines)
    r = Repairer()
    assert [l for l in lines if r.repair(l, ctx).text != l] == []


def test_steps_record_rules_and_replay(repairer):
    res = repairer.repair("And it was RussiaIt is one of the the few countries .")
    assert res.text == "Russia is one of the few countries."
    assert {"undouble_subject", "collapse_repeats", "fix_spacing"} <= set(res.rules_fired)
    assert replay(res.before, res.steps) == res.text
    assert json.loads(json.dumps(res.to_dict()))["text"] == res.text


def test_rules_have_descriptions_and_doctests():
    for rule in REGISTRY.values():
        assert rule.description and rule.func.__doc__ and ">>>" in rule.func.__doc__, rule.name


# --------------------------------------------------------------------------- laws (hypothesis)

_PIECES = sorted({w for s in CLEAN[:60] + [c["input"] for c in ARTEFACTS[::3]] for w in s.split()}) + [
    " ", "  ", ",", " ,", ".", "▁", "⟦1⟧", "*", "the", "The", "And", "It", "RussiaIt", "CaracasAfter",
    "#Moscú", "@Fariacrt", "2019", "3.5%", "🇻🇪", "https://x.co/a", "(", ")", "“", "”", "«", "»", "<unk>",
    "FarÃ­a", "Oil", "Very", "he said", "Possess", "in in"]
texts = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14).map(" ".join)
PROP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(texts)
def test_idempotent(text):
    r = Repairer()
    once = r.repair(text).text
    assert r.repair(once).text == once


@PROP
@given(texts)
def test_replay_reproduces_output(text):
    res = Repairer().repair(text)
    assert replay(res.before, res.steps) == res.text


@PROP
@given(texts)
def test_protected_spans_survive(text):
    res = Repairer().repair(text)
    for span in find_protected(text):
        if "⟦" + span.text + "⟧" in text:
            continue  # digits of a leftover placeholder mark are not content
        assert span.text in res.text
    # and no single edit ever overlaps a protected span of the text it was applied to
    current = res.before
    for step in res.steps:
        spans = find_protected(current)
        for e in step["edits"]:
            assert not any(e["start"] < s.end and s.start < e["end"] and "⟦" not in e["old"] for s in spans)
        current = replay(current, [step])


# --------------------------------------------------------------------------- configuration

def test_rule_selection_and_order():
    r = Repairer(RepairConfig(rules=("fix_spacing",)))
    assert r.repair("The the deal .").text == "The the deal."
    with pytest.raises(ValueError):
        Repairer(RepairConfig(rules=("no_such_rule",)))


def test_review_below_flags_instead_of_applying():
    text = "The talks ended.The ministers left."  # space_after_sentence_end has confidence 0.85
    res = Repairer(RepairConfig(review_below=0.9)).repair(text)
    assert res.text == text and res.flagged[0]["rule"] == "space_after_sentence_end"
    assert "review_below" in res.flagged[0]["reason"]


def test_structural_review_threshold():
    text = "Said Venezuelan President Nicolas Maduro during the visit that ties were strong."
    assert Repairer().repair(text).text == text  # capitalised verb alone: weak evidence, flagged
    assert any(f["rule"] == "reorder_verb_first" for f in Repairer().repair(text).flagged)
    relaxed = Repairer(RepairConfig(structural_review=False)).repair(text).text
    assert relaxed.startswith("Venezuelan President Nicolas Maduro said during")


def test_shipped_config_uses_the_system_dictionary():
    from pipeline.config import effective_file

    cfg = load_config()
    assert cfg.repairs.structural_review and cfg.repairs.dictionary == ""
    assert effective_file(cfg, "repairs", "dictionary").endswith("en_US.dic")


# --------------------------------------------------------------------------- evidence

def test_document_context_decides_single_capitals():
    text = "They talked about the sector Tourism and its future."
    # alone, the corpus evidence for 'tourism' is too thin to edit (names like 'Ministry of Tourism'): flagged
    alone = Repairer().repair(text)
    assert alone.text == text and any(f["rule"] == "lowercase_anchor_words" for f in alone.flagged)
    # the document writing it lower-case elsewhere decides: after a common noun the capital is an artefact
    ctx = DocumentContext.from_texts([text, "Tourism grew: tourism and more tourism in the north."])
    assert Repairer().repair(text, ctx).text == "They talked about the sector tourism and its future."
    # ... unless the document itself capitalises it mid-sentence more often than not: then it is a name
    ctx = DocumentContext.from_texts([text, "The board of Tourism met.", "A report by Tourism said so."])
    assert Repairer().repair(text, ctx).text == text


def test_acronym_defined_names_are_kept():
    ctx = DocumentContext.from_texts(["the Gas Exporting Countries Forum (GECF) met"])
    assert ctx.acronyms == {"GECF": "Gas Exporting Countries Forum"}
    text = "Talks within the Gas Exporting Countries Forum continued."
    assert Repairer().repair(text, ctx).text == text


def test_missing_casing_statistics_degrade(caplog):
    from pipeline.resources.casing import load_case_stats
    with caplog.at_level(logging.WARNING):
        stats = load_case_stats("/nonexistent/en_casing.tsv.gz")
    assert "not found" in caplog.text and not stats.available
    r = Repairer(stats=stats)  # the hunspell dictionary alone decides, as before the statistics
    assert r.repair("Relations between Caracas And Moscow improved.").text == \
        "Relations between Caracas and Moscow improved."
    assert r.repair("in CaracasAfter the meeting").text == "In Caracas after the meeting"


def test_casing_statistics_tell_names_from_common_words():
    from pipeline.resources.casing import load_case_stats
    stats = load_case_stats()
    assert stats.available
    assert stats.title_ratio("Caracas") > 1 > 0.05 > stats.title_ratio("providing")
    assert stats.is_mixed_token("YouTube") and not stats.is_mixed_token("CaracasAfter")
    assert stats.is_name("Supreme Court") and not stats.is_name("Energy Providing")
    # mid-sentence counts from the truecaser's corpus: 'between' never capitalised there, 'court' often
    lo, ti = stats.mid_counts("between")
    assert lo > 1000 and ti == 0
    lo, ti = stats.mid_counts("Court")
    assert ti > 0.05 * (lo + ti)


def test_case_ngrams_score_the_context():
    from pipeline.resources.case_ngrams import load_case_ngrams
    ng = load_case_ngrams()
    assert ng.available and len(ng.back) > 100_000 and len(ng.tri) > 100_000
    # real English writes 'make' lower-case after 'and' and before 'this'; 'Police' after 'local' is a name often
    assert ng.margin("and", ["Make"], "this") > 5 > ng.margin("local", ["Police"], ",")
    assert ng.margin("the", ["Zyxqv"], "of") == 0.0  # never seen both ways: no evidence either way
    # the margin compares the two spellings: a word written lower-case scores 0 against itself
    assert ng.margin("and", ["make"], "this") == 0.0


def test_truecaser_context_edits_a_lone_capital_and_degrades_without_counts(caplog):
    from pipeline.resources.case_ngrams import CaseNgrams, load_case_ngrams
    from pipeline.resources.casing import CaseStats, load_case_stats
    text = "The attackers found it Hard to express themselves."
    res = Repairer().repair(text)
    assert res.text == "The attackers found it hard to express themselves."
    assert [s["rule"] for s in res.steps] == ["lowercase_anchor_words"]
    # a capital real English often gives the word in this context stays, flagged for review
    kept = Repairer().repair("He is the head of the local Police, the mayor said.")
    assert kept.text == kept.before and kept.flagged
    with caplog.at_level(logging.WARNING):
        empty = load_case_ngrams("/nonexistent/en_case_ngrams.tsv.gz")
    assert "not found" in caplog.text and not empty.available
    full = load_case_stats()
    without = CaseStats(full.shapes, full.mixed, full.names, full.source, full.mid, CaseNgrams({}, {}, {}, {}))
    res = Repairer(stats=without).repair(text)  # word statistics alone: weak evidence, review only
    assert res.text == text and any(f["rule"] == "lowercase_anchor_words" for f in res.flagged)


def test_optional_tagger_reads_verbs_and_its_absence_leaves_a_flag(monkeypatch):
    text = "The plan helps families Living in poverty."
    without = Repairer(tagger=None).repair(text)  # word statistics alone: weak evidence, review only
    assert without.text == text and any(f["rule"] == "lowercase_anchor_words" for f in without.flagged)
    monkeypatch.setenv("PIPELINE_NO_TAGGER", "1")
    load_tagger.cache_clear()
    try:
        assert load_tagger() is None
        assert Repairer().repair(text).text == text  # the switch falls back to the same behaviour
    finally:
        monkeypatch.delenv("PIPELINE_NO_TAGGER")
        load_tagger.cache_clear()
    if not TAGGER:
        pytest.skip("spaCy's small English model is not installed (extra 'tagger')")
    res = Repairer().repair(text)
    assert res.text == "The plan helps families living in poverty."
    assert replay(text, res.steps) == res.text
    # a name of common words, and a title run with capitalised function words, stay as they are
    for kept in ("He is the head of the local Police, the mayor said.",
                 "He was unforgettable in Somebody Up There Likes Me (1956)."):
        assert Repairer().repair(kept).text == kept
    assert Repairer().repair("Nobody knows when turbulence Will occur next.").text == \
        "Nobody knows when turbulence will occur next."
    assert Repairer().repair("The survivors of the group Can played in 2003.").text == \
        "The survivors of the group Can played in 2003."  # a band introduced by 'group'
    # a name the document writes with a capital stays one, whatever the tagger reads ('be Mobilking.')
    doc = DocumentContext.from_texts(["Real men choose Mobilking.", "The operator will not be Mobilking."])
    assert Repairer().repair("The operator will not be Mobilking.", doc).text == "The operator will not be Mobilking."


def test_a_lone_noun_after_a_determiner_is_lowered_by_the_tagger_with_strong_evidence(monkeypatch):
    # 'offices', 'solution': real English writes them lower-case mid-sentence (>= 30 uses, < 0.4% capitalised);
    # the tagger reads a noun. Without the tagger, review only, as before.
    texts = {"They decided to renew a large part of their Offices.":
             "They decided to renew a large part of their offices.",
             "That is not a Solution favored at WestLB.": "That is not a solution favored at WestLB."}
    for text in texts:
        without = Repairer(tagger=None).repair(text)
        assert without.text == text and any(f["rule"] == "lowercase_anchor_words" for f in without.flagged)
        monkeypatch.setenv("PIPELINE_NO_TAGGER", "1")
        load_tagger.cache_clear()
        try:
            assert Repairer().repair(text).text == text
        finally:
            monkeypatch.delenv("PIPELINE_NO_TAGGER")
            load_tagger.cache_clear()
    if not TAGGER:
        pytest.skip("spaCy's small English model is not installed (extra 'tagger')")
    for text, fixed in texts.items():
        res = Repairer().repair(text)
        assert res.text == fixed and replay(text, res.steps) == fixed
    # names news writes with these words: weaker evidence ('Test', 'Police'), a title word after it, a name
    # continued after it, or a rare word the document writes lower-case elsewhere
    for kept in ("He played in the first Test against India.", "He is the head of the local Police, the mayor said.",
                 "He was recognized by the Economy minister on Monday.",
                 "He met the executive director of Preserve the Eatonville Community, a non-profit group.",
                 "It has the support of the Movement for a Righter Hungary."):
        assert Repairer().repair(kept).text == kept
    doc = DocumentContext.from_texts(["A multiplex opened.", "The multiplex is big.",  # twice: below _DOC_LOWER
                                      "Historical cinematographic theatres close in favour of Multiplex."])
    kept = "Historical cinematographic theatres close in favour of Multiplex."
    assert Repairer().repair(kept, doc).text == kept


def test_a_noun_after_an_opening_function_word_is_lowered_by_the_tagger():
    # the sentence's first word is capitalised by position, so the noun after it is judged as after a
    # lower-case word. Without the tagger, review only, as before.
    texts = {"The Device is supposed to process only a few files.":
             "The device is supposed to process only a few files.",
             "In Theory, I can't disagree with that.": "In theory, I can't disagree with that."}
    for text in texts:
        assert Repairer(tagger=None).repair(text).text == text
    if not TAGGER:
        pytest.skip("spaCy's small English model is not installed (extra 'tagger')")
    for text, fixed in texts.items():
        res = Repairer().repair(text)
        assert res.text == fixed and replay(text, res.steps) == fixed
    # names after a sentence's first word, titles and labels stay as they are; a capital after an
    # auxiliary is left too ('to Test cricket', '"The Earth is Saying'": see docs/repairs.md)
    for kept in ("The Bank of England announced on Thursday a cut.", "The Hague is the seat of the court.",
                 "The Economist said so.", "The US attorney general has appealed.", "In Britain, prices rose.",
                 "The prisoner was moved to Room 101 on Monday.", "He said he had read Accidents at Work twice.",
                 "The selectors are returning Andy Bichel to Test cricket.",
                 'He ended by declaring, "The Earth is Saying, \'Enough.\'"'):
        assert Repairer().repair(kept).text == kept


@pytest.mark.parametrize("text", [
    "Escotes variados However, if antibiotics are overused, the bacteria can evolve.",  # heading run in
    "The status quo choice There won't be any suspense at Sunday exit poll.",
    "Tent of applications Now that the housing market is ailing, predators look elsewhere.",
])
def test_a_sentence_run_into_the_text_before_keeps_its_capital(text):
    # a lost sentence boundary (a heading or a missing stop before it), not a lost link anchor: lowering the
    # opener would hide the boundary, so the tagger route leaves it (found in whole news articles)
    assert Repairer().repair(text).text == text


@pytest.mark.parametrize("text, expected", [
    ("If whatever happens happens after we return, so be it.", None),  # a free relative's verb, then the verb
    ("What mattered mattered to the voters.", None),
    ("When we retire and look back on it it will be significant.", None),  # object 'it', then subject 'it'
    ("It it were not for the images, nobody would know.", "It were not for the images, nobody would know."),
    ("He said it it was galling.", "He said it was galling."),
    ("To what extent extent do you plan to follow him?", "To what extent do you plan to follow him?"),
])
def test_repetition_that_grammar_makes_is_kept(repairer, text, expected):
    # collapse_repeats keeps two copies that belong to two phrases (found as false edits in the Lee corpus)
    assert repairer.repair(text).text == (expected or text)


def test_the_tagger_is_part_of_the_repair_fingerprint(monkeypatch):
    from pipeline import runtime
    from pipeline.config import load_config
    from pipeline.tasks.document import RepairSource, RepairTranslations

    cfg = load_config(None)
    fps, ids = {}, {}
    for off in ("1", ""):
        monkeypatch.setenv("PIPELINE_NO_TAGGER", off)
        runtime.tagger_identity.cache_clear()
        ids[off] = runtime.tagger_identity()
        fps[off] = [t.stage_fingerprint("up", cfg, "out") for t in (RepairSource, RepairTranslations)]
    runtime.tagger_identity.cache_clear()
    assert ids["1"] == "none"  # switched off: no tagger, whatever is installed
    if ids[""] == "none":
        assert fps["1"] == fps[""]  # nothing installed: the switch changes nothing
    else:
        assert ids[""].startswith("spacy ")
        assert fps["1"][0] != fps[""][0] and fps["1"][1] != fps[""][1]


def test_weak_evidence_is_flagged_not_edited():
    # 'Test' is a name in cricket and a common noun elsewhere: the statistics cannot tell, so review only
    res = Repairer().repair("He played in the first Test against India.")
    assert res.text == res.before and any(f["rule"] == "lowercase_anchor_words" for f in res.flagged)
    # a verb slot and a word real English writes lower-case: edited
    assert Repairer().repair("It is possible to Apply for a permit.").text == "It is possible to apply for a permit."


def test_missing_dictionary_degrades(caplog):
    from pipeline.resources.lexicon import load_lexicon
    load_lexicon.cache_clear()
    with caplog.at_level(logging.WARNING):
        r = Repairer(RepairConfig(dictionary="/nonexistent/en_US.dic"))
    assert "not found" in caplog.text
    assert r.repair("in CaracasAfter the meeting the the talks ended").text == \
        "In Caracas after the meeting the talks ended"
    assert r.repair("Caracas And Moscow signed.").text == "Caracas and Moscow signed."
    load_lexicon.cache_clear()


# --------------------------------------------------------------------------- CLI

def test_cli_line_in_line_out(monkeypatch, capsys):
    from pipeline.cli import main
    monkeypatch.setattr("sys.stdin", io.StringIO("The the talks ended .\n\nCaracas And Moscow agreed.\n"))
    assert main(["repair"]) == 0
    assert capsys.readouterr().out.splitlines() == ["The talks ended.", "", "Caracas and Moscow agreed."]


def test_cli_explain(monkeypatch, capsys):
    from pipeline.cli import main
    monkeypatch.setattr("sys.stdin", io.StringIO("And the minister left.\n"))
    assert main(["repair", "--explain"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["before"] == rec["text"] == "And the minister left."
    assert rec["flagged"][0]["rule"] == "drop_initial_and" and rec["steps"] == []


def test_names_introduced_or_standing_where_names_stand_keep_their_capital():
    # unseen news (newstest2010, Lee et al.): a name after a naming verb and an article, a preposition used
    # as a name after another preposition, a capital after the copula, a word glued to an article before a
    # name run (its space is restored, its capital kept)
    for kept in ("As regards the level of the equipment, the version chosen for the test is called the Sportive.",
                 "Last year he assessed his results in a book titled The unreal World in our Head.",
                 "He is a non-stipendiary clergyman and the leader of Beyond.",
                 "This is Test cricket's traditional day of days."):
        res = Repairer().repair(kept)
        assert res.text == kept, res.steps
    glued = "He recalled that theCompetitiveness Plan allocated 800 million to projects."
    assert Repairer().repair(glued).text == "He recalled that the Competitiveness Plan allocated 800 million to projects."
    # the same shapes as artefacts are still repaired: a phrasal verb after a naming verb, a capitalised
    # article after a preposition before a name, a verb after a modal, a word glued to a possessive
    for text, fixed in {"The union criticised this delay and called Upon the government to act.":
                        "The union criticised this delay and called upon the government to act.",
                        "It works for clients such as The U.S. Agency for International Development.":
                        "It works for clients such as the U.S. Agency for International Development.",
                        "The firm says it will Apply for a licence.": "The firm says it will apply for a licence.",
                        "He arrived in the city with hisWife Michelle on Monday.":
                        "He arrived in the city with his wife Michelle on Monday."}.items():
        res = Repairer().repair(text)
        assert res.text == fixed and replay(text, res.steps) == fixed, res.steps
