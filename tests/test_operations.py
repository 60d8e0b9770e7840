"""Reruns, stale settings, clean and atomic publishing, through Luigi in temporary output roots.

Which tasks ran is read from the stage files themselves: every write is an atomic rename, so a stage that
ran has a new inode under the same path, and one that did not keeps its inode and mtime.
"""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import luigi
import pytest

from conftest import SEEDS, corpus_bytes, needs_apertium, stage_file_states, write_config
from pipeline.service import operations
from pipeline.tasks import BuildCorpus
from pipeline.tasks.luigi_internals import forget_task_instances

pytestmark = needs_apertium


def build(inputs: Path, output: Path, config: str, batch_size: int = 0) -> luigi.execution_summary.LuigiRunResult:
    # Luigi reuses task instances with equal parameters within a process, and tasks cache their
    # fingerprint: a new build after changing inputs needs fresh instances, as a new `pipeline run` has
    forget_task_instances()
    result = luigi.build([BuildCorpus(input_dir=str(inputs), output_dir=str(output), config_path=config,
                                      batch_size=batch_size)],
                         local_scheduler=True, detailed_summary=True, log_level="WARNING")
    assert result.status.name == "SUCCESS", result.summary_text
    return result


def ran_successfully(result) -> dict[str, int]:
    """{task family: count} from the "ran successfully" part of Luigi's detailed summary."""
    text = result.summary_text.split("ran successfully:", 1)[-1].split("\n*", 1)[0]
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"- (\d+) (\w+)\(", text)}


def by_stage(states: dict[str, tuple[int, int]]) -> dict[tuple[str, str], tuple[str, tuple[int, int]]]:
    """{(stage, doc): (path, state)} from conftest.stage_file_states."""
    return {tuple(Path(p).parts[1:3]): (p, s) for p, s in states.items()}


@pytest.fixture
def built(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    output = tmp_path / "out"
    config = write_config(tmp_path)
    build(inputs, output, config)
    return inputs, output, config


def test_rerun_one_document_redoes_that_stage_and_later_only(built):
    inputs, output, config = built
    before = by_stage(stage_file_states(str(output)))
    published = corpus_bytes(output)
    doc = "003_158391a6dab5c5a3"
    done = operations.invalidate(str(inputs), str(output), config, "TranslateSegments", doc=doc)
    assert sorted(Path(p).parts[-3] for p in done.removed) == ["repair", "translate"]
    assert done.set_aside and (output / "corpus").resolve() == Path(done.set_aside[0]).resolve()
    assert not operations.verify_corpus(output / "corpus")  # readers still see a whole corpus
    result = build(inputs, output, config)
    after = by_stage(stage_file_states(str(output)))
    assert after.keys() == before.keys()  # same paths: content-addressed outputs
    rewritten = {key for key in before if after[key][1] != before[key][1]}
    assert rewritten == {("translate", doc), ("repair", doc)}
    assert corpus_bytes(output) == published  # deterministic stages: the same corpus again
    assert ran_successfully(result) == {"TranslateSegments": 1, "RepairTranslations": 1, "ExportCorpus": 1,
                                        "PublishCorpus": 1, "BuildCorpus": 1}


def test_rerun_all_documents_from_detect(built):
    inputs, output, config = built
    before = by_stage(stage_file_states(str(output)))
    operations.invalidate(str(inputs), str(output), config, "detect")
    build(inputs, output, config)
    after = by_stage(stage_file_states(str(output)))
    rewritten = {stage for (stage, _doc), (_p, st) in after.items() if before[(stage, _doc)][1] != st}
    assert rewritten == {"detect", "repair_source", "translate", "repair"}


def test_rerun_export_only_touches_no_stage_file(built):
    inputs, output, config = built
    before = stage_file_states(str(output))
    done = operations.invalidate(str(inputs), str(output), config, "export")
    assert done.removed == [] and len(done.set_aside) == 1
    build(inputs, output, config)
    assert stage_file_states(str(output)) == before
    assert (output / "corpus").resolve().name == Path(done.set_aside[0]).name.split(".replaced-")[0]


def test_unknown_task_and_document_are_clear_errors(built):
    inputs, output, config = built
    with pytest.raises(operations.OperationError, match="unknown task"):
        operations.invalidate(str(inputs), str(output), config, "Translate_All")
    with pytest.raises(operations.OperationError, match="no document"):
        operations.invalidate(str(inputs), str(output), config, "translate", doc="nope")


# a setting of one section -> the first stage that reads it, and every stage after it
SETTING_CHANGES = [
    ("langid", {"min_confidence": 0.55}, "detect"),
    ("repairs", {"review_below": 0.9}, "repair_source"),
    ("translation", {"max_chars": 900}, "translate"),
]


@pytest.mark.parametrize("section,values,first", SETTING_CHANGES, ids=[c[0] for c in SETTING_CHANGES])
def test_changed_setting_reruns_that_stage_and_later_only(built, tmp_path, section, values, first):
    inputs, output, _config = built
    before = by_stage(stage_file_states(str(output)))
    changed = write_config(tmp_path / "changed", **{section: values})
    build(inputs, output, changed)
    after = stage_file_states(str(output))
    later = operations.stages_from(first)
    for (stage, doc), (path, state) in before.items():
        assert after[path] == state, f"{path} was touched"  # nothing is rewritten in place
    new = {Path(p).parts[1] for p in after if p not in dict(before.values())}
    assert new == set(later), f"{section} change created new files for {new}, expected {later}"


def test_clean_prunes_stale_files_and_versions_but_never_the_published_one(built, tmp_path):
    inputs, output, _config = built
    first = (output / "corpus").resolve()
    changed = write_config(tmp_path / "changed", translation={"max_chars": 900})
    build(inputs, output, changed)
    published = (output / "corpus").resolve()
    assert published != first
    report = operations.clean(str(inputs), str(output), changed, keep=1)
    assert {Path(p).parts[-3] for p in report.stage_files} == {"translate", "repair"}
    assert [Path(p).resolve() for p in report.versions] == [first]
    assert published.is_dir() and not first.exists()
    assert not operations.verify_corpus(output / "corpus")
    # everything left is current: a run now does nothing
    states = stage_file_states(str(output))
    build(inputs, output, changed)
    assert stage_file_states(str(output)) == states
    assert operations.clean(str(inputs), str(output), changed, keep=1).total() == 0


def test_removed_input_leaves_the_next_corpus_and_is_cleaned(built):
    inputs, output, config = built
    gone = "000_750c02cc8be14c39"
    (inputs / f"{gone}.txt").unlink()
    build(inputs, output, config)
    assert gone not in (output / "corpus" / "es-en.jsonl").read_text(encoding="utf-8")
    assert not (output / "corpus" / "documents" / f"{gone}.en.txt").exists()
    report = operations.clean(str(inputs), str(output), config, keep=5)
    assert report.stage_files and all(f"/{gone}/" in p for p in report.stage_files)
    assert not (output / "work" / "ingest" / gone).exists()


def test_reader_polling_during_publishes_never_sees_a_partial_corpus(built):
    inputs, output, config = built
    seen, problems, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            link = output / "corpus"
            try:
                issues = operations.verify_corpus(link)
            except OSError as exc:  # the link itself must always resolve
                issues = [f"link: {exc}"]
            problems.extend(issues)
            seen.append(1)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        text = (inputs / "004_d978a184de527eee.txt").read_text(encoding="utf-8")
        for i in range(3):  # three new versions published while the reader polls
            (inputs / "004_d978a184de527eee.txt").write_text(text + f"\nUpdate number {i} from Caracas.\n",
                                                              encoding="utf-8")
            build(inputs, output, config)
    finally:
        stop.set()
        thread.join()
    assert len(seen) > 3 and problems == []
    assert len(list((output / "corpus-versions").iterdir())) == 4


def test_batched_tasks_give_the_same_files_and_switching_reruns_nothing(built, tmp_path):
    inputs, output, config = built
    batched = tmp_path / "batched"
    result = build(inputs, batched, config, batch_size=2)
    assert ran_successfully(result)["ProcessDocuments"] == 2  # 3 documents in batches of 2
    assert corpus_bytes(batched) == corpus_bytes(output)
    assert sorted(stage_file_states(str(batched))) == sorted(stage_file_states(str(output)))
    states = stage_file_states(str(output))
    result = build(inputs, output, config, batch_size=2)  # per-document outputs already there
    assert "ProcessDocuments" not in ran_successfully(result)
    assert stage_file_states(str(output)) == states


def test_batch_and_export_tasks_report_progress_to_the_scheduler(tmp_path):
    """What luigid's web page shows: status messages and percentages, recorded through the callbacks a
    Luigi worker installs on the task it runs."""
    from pipeline.tasks.corpus import ExportCorpus, ProcessDocuments

    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    config, output = write_config(tmp_path), str(tmp_path / "out")
    seen: list[tuple[str, object]] = []

    def install(task):
        task.set_status_message = lambda m: seen.append(("message", m))
        task.set_progress_percentage = lambda p: seen.append(("percent", p))
        return task

    paths = [str(p) for p in sorted(inputs.iterdir())]
    install(ProcessDocuments(doc_paths=paths, output_dir=output, config_path=config)).run()
    # per chunk of documents translated, then when the last chunk's repair stage is written
    assert seen == [("message", "translate: 2/2 documents"), ("percent", 95),
                    ("message", "repair: 2/2 documents"), ("percent", 100)]
    seen.clear()
    install(ExportCorpus(input_dir=str(inputs), output_dir=output, config_path=config)).run()
    percents = [v for k, v in seen if k == "percent"]
    assert percents == sorted(percents) and percents[-1] == 100
    assert re.fullmatch(r"exported 2 documents: \d+ pairs, \d+ rejects", [v for k, v in seen if k == "message"][-1])


@pytest.mark.parametrize("sections", [{}, {"repairs": {"review_below": 0.5}}, {"filters": {"min_chars": 3}}])
def test_fingerprints_without_task_objects_equal_the_tasks_own(tmp_path, sections):
    """Large runs compute document fingerprints with class methods (no Luigi objects): they must be the
    very paths the stage tasks write."""
    from pipeline.tasks.document import RepairTranslations, document_fingerprint, final_output

    config, output = write_config(tmp_path, **sections), str(tmp_path / "out")
    forget_task_instances()
    for seed in sorted(SEEDS.glob("*.txt")):
        task = RepairTranslations(doc_path=str(seed), output_dir=output, config_path=config)
        assert document_fingerprint(str(seed), output, config) == task.fingerprint()
        assert str(final_output(str(seed), output, config)) == task.output().path
