"""The persistent apertium engine: exact block alignment, the same output as a fresh ``apertium`` process,
restart after a killed, crashed or hung pipeline, and no engine process left behind when a worker exits.

Tests marked ``needs_apertium`` use Debian's apertium-eng-spa; the others run a small fake engine
program (NUL-terminated blocks in, the same blocks upper-cased out) through the same streaming code.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import textwrap
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import needs_apertium
from pipeline.config import CacheConfig, TranslationConfig
from pipeline.translate.engines import ApertiumEngine, EngineError, EngineTimeout
import pipeline.translate.engines.apertium as ap
from pipeline.translate.engines.apertium import _Cutter, deformat, reformat
from pipeline.translate.translator import Translator

FAKE = textwrap.dedent("""\
    import os, re, signal, sys, time
    pidfile = sys.argv[1]
    if "--ignore-term" in sys.argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(pidfile, "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    buf = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            if "--linger" in sys.argv:
                time.sleep(60)  # a program that does not exit on EOF: only a kill ends it
            sys.exit(0)
        buf += chunk
        while b"\\0" in buf:
            block, buf = buf.split(b"\\0", 1)
            if b"Zanzibarhang" in block:
                time.sleep(60)
            if b"Zanzibarcrash" in block:
                sys.exit(3)
            parts = re.split(rb"(\\n\\[tf-block:\\d+\\]\\n\\n)", block)  # segment heads kept as they came
            out = b"".join(p if k % 2 else p.upper() for k, p in enumerate(parts)) + b"\\0"
            if "--dribble" in sys.argv:  # a few bytes at a time: heads and blocks split across reads
                for k in range(0, len(out), 5):
                    os.write(1, out[k:k + 5])
                    time.sleep(0.0005)
            else:
                os.write(1, out)
    """)


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE)
    pids = tmp_path / "pids"

    def make(*extra: str, timeout_s: float = 5.0) -> ApertiumEngine:
        return ApertiumEngine(timeout_s=timeout_s,
                              pipelines={"spa-eng": ((sys.executable, str(script), str(pids), *extra),)})

    make.pids = pids
    return make


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def pids_of(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_deformat_reformat_round_trip_of_special_characters():
    text = r"a [b] \c $d ^e @f /g {h} <i> * # ~ ⟦0⟧"
    block = deformat(text, 7)
    assert block.count(b"\0") == 1 and block.endswith(b"\0")
    assert reformat(block[:-1].decode()) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab [\\]\n.:kf-lotc", min_size=1, max_size=12), min_size=1, max_size=6),
       st.integers(0, 40), st.lists(st.integers(1, 9), max_size=30))
def test_cutter_gives_each_segment_its_own_bytes_however_the_output_is_split(texts, first, sizes):
    """A group's output fed in pieces of any sizes (heads and the NUL split anywhere) comes out as the
    blocks the segments would have had on their own, in order."""
    blocks = [deformat(t, first + k)[:-1] for k, t in enumerate(texts)]
    data = b"".join(blocks) + b"\0"
    cutter, got, pos = _Cutter(first, len(blocks)), [], 0
    for size in [*sizes, len(data)]:
        got += cutter.feed(data[pos:pos + size])
        pos += size
    assert got == blocks and cutter.finished


def test_blocks_stay_aligned_with_newlines_nuls_and_empty_segments(fake):
    eng = fake()
    texts = ["uno\ndos", "", "tres\0cuatro", "   ", "cinco", "\0", "seis [x] \\ $"]
    out = eng.translate_batch(texts, "es", "en")
    assert out == ["UNO DOS", "", "TRES CUATRO", "", "CINCO", "", "SEIS [X] \\ $"]
    eng.close()


def test_one_process_serves_many_calls(fake):
    eng = fake()
    for i in range(5):
        assert eng.translate_batch([f"frase {i}", f"otra {i}"], "es", "en") == [f"FRASE {i}", f"OTRA {i}"]
    assert len(pids_of(fake.pids)) == 1
    eng.close()


def test_killed_engine_is_restarted(fake):
    eng = fake()
    assert eng.translate_batch(["hola"], "es", "en") == ["HOLA"]
    (pid,) = pids_of(fake.pids)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    assert eng.translate_batch(["adios"], "es", "en") == ["ADIOS"]
    assert len(pids_of(fake.pids)) == 2 and not running(pid)
    eng.close()


def test_hung_engine_times_out_is_killed_and_replaced(fake):
    eng = fake(timeout_s=1.0)
    with pytest.raises(EngineTimeout):
        eng.translate_batch(["uno", "Zanzibarhang", "tres"], "es", "en")
    (pid,) = pids_of(fake.pids)
    assert not running(pid)
    assert eng.translate_batch(["tres"], "es", "en") == ["TRES"]
    eng.close()


def test_crashed_engine_raises_then_recovers(fake):
    eng = fake()
    with pytest.raises(EngineError) as info:
        eng.translate_batch(["uno", "Zanzibarcrash"], "es", "en")
    assert not isinstance(info.value, EngineTimeout)
    assert eng.translate_batch(["dos"], "es", "en") == ["DOS"]
    eng.close()


@pytest.mark.parametrize("marker,reason", [("Zanzibarhang", "timeout"), ("Zanzibarcrash", "engine_error")])
def test_translator_fails_only_the_bad_segment(fake, marker, reason):
    tr = Translator(TranslationConfig(engine="apertium", cache=CacheConfig(enabled=False)))
    eng = fake(timeout_s=1.0)
    tr._engines[("es", "en")] = eng
    res = tr.translate(["la casa", f"el {marker} aquí", "el perro"], "es", "en")
    assert [r.text for r in res] == ["LA CASA", None, "EL PERRO"]
    assert res[1].reason == reason
    eng.close()


def test_close_ends_and_reaps_every_program(fake):
    """close() signals the programs instead of waiting for each to exit on EOF; one that ignores both
    EOF and SIGTERM is killed after the grace period. None is left running or as a zombie."""
    eng = fake()
    assert eng.translate_batch(["uno"], "es", "en") == ["UNO"]
    eng.close()
    stubborn = fake("--linger", "--ignore-term")
    assert stubborn.translate_batch(["dos"], "es", "en") == ["DOS"]
    started = time.monotonic()
    stubborn.close()
    assert time.monotonic() - started < 10
    pids = pids_of(fake.pids)
    assert len(pids) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in pids)  # reaped: no zombie


def _translate_and_exit(script: str, pids: str) -> None:
    eng = ApertiumEngine(pipelines={"spa-eng": ((sys.executable, script, pids, "--linger"),)})
    eng.translate_batch(["hola"], "es", "en")
    # no close(): the process exits the way Luigi's forked task processes do


def test_engine_processes_end_with_a_forked_worker(fake, tmp_path):
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=_translate_and_exit, args=(str(tmp_path / "fake_engine.py"), str(fake.pids)))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    (pid,) = pids_of(fake.pids)
    assert not running(pid)  # it ignores EOF: only the exit hook's kill ends it


@needs_apertium
def test_same_output_as_a_fresh_apertium_process():
    stream, fresh = ApertiumEngine(), ApertiumEngine(persistent=False)
    batches = [
        ["El presidente\nrojo habló.", "Dijo: «sí» \"no\" 'quizá'", "", "casa & <b>perro</b> [x] \\ $ ^ @ / {y}",
         "Un texto ⟦0⟧ con ⟦1⟧ marcas ⟦2⟧.", "a\0b", "x\u00ady"],
        ["¿Qué pasó?", "El qwzxv dijo hola a zzkrt", "Fin..."],
    ]
    for batch in batches:
        assert stream.translate_batch(batch, "es", "en") == fresh.translate_batch(batch, "es", "en")
    # apertium-tagger keeps state across blocks: a block holding only "known" changes how "looms" is
    # tagged later in the same stream. Each call starts a fresh tagger, as a fresh process does.
    looms = ["Otherwise there reputedly looms the threat."]
    stream.translate_batch(["known"], "en", "es")
    assert stream.translate_batch(looms, "en", "es") == fresh.translate_batch(looms, "en", "es")
    stream.close()


@needs_apertium
def test_real_engine_restarts_after_kill_with_the_same_output():
    eng = ApertiumEngine()
    texts = [f"El presidente habló {i} veces." for i in range(20)]
    before = eng.translate_batch(texts, "es", "en")
    assert all(str(i) in o for i, o in enumerate(before))
    victim = eng._streams[("spa-eng", "back")].procs[-1]
    victim.kill()
    victim.wait()
    assert eng.translate_batch(texts, "es", "en") == before
    procs = [p for s in eng._streams.values() for p in s.procs]
    eng.close()
    assert all(p.poll() is not None for p in procs)


@needs_apertium
def test_groups_translate_as_separate_calls():
    stream, fresh = ApertiumEngine(), ApertiumEngine(persistent=False)
    groups = [["known", "It is said."], [], ["Otherwise there reputedly looms the threat.", ""], ["known"]] * 3
    assert stream.translate_groups(groups, "en", "es") == [fresh.translate_batch(g, "en", "es") for g in groups]
    stream.close()


def test_groups_keep_their_own_blocks(fake):
    eng = fake()
    assert eng.translate_groups([["a", "b"], [], ["c\nd", ""]], "es", "en") == [["A", "B"], [], ["C D", ""]]
    eng.close()


STATEFUL_TAGGER = textwrap.dedent("""\
    #!{python}
    # Like apertium-tagger, it keeps state across NUL-flushed blocks: each segment of a block gets the
    # number of blocks this process has seen before it, so a tagger reused across groups shows up.
    import os, re, sys, time
    seen, buf = 0, b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        buf += chunk
        while b"\\0" in buf:
            block, buf = buf.split(b"\\0", 1)
            if b"TAGGERCRASH" in block:
                sys.exit(3)
            if b"TAGGERHANG" in block:
                with open(sys.argv[1], "a") as fh:
                    fh.write(str(os.getpid()) + "\\n")
                time.sleep(60)
            parts = re.split(rb"(\\n\\[tf-block:\\d+\\]\\n\\n)", block)
            mark = b"n" + str(seen).encode() + b" "
            os.write(1, b"".join(p if k % 2 or not p.strip() else mark + p for k, p in enumerate(parts)) + b"\\0")
            seen += 1
    """)


@pytest.fixture
def three_parts(tmp_path):
    """An engine whose mode is the fake program, a stateful program named apertium-tagger, and the fake
    program again: front stream, fresh taggers and back stream, as in Debian's modes."""
    tagger = tmp_path / "bin" / "apertium-tagger"
    tagger.parent.mkdir()
    tagger.write_text(STATEFUL_TAGGER.format(python=sys.executable))
    tagger.chmod(0o755)
    (tmp_path / "fake_engine.py").write_text(FAKE)
    upper = (sys.executable, str(tmp_path / "fake_engine.py"), str(tmp_path / "pids"))

    def make(*extra: str, timeout_s: float = 20.0) -> ApertiumEngine:
        return ApertiumEngine(timeout_s=timeout_s,
                              pipelines={"spa-eng": ((*upper, *extra), (str(tagger), str(make.hung)), (*upper, *extra))})

    make.pids, make.hung = tmp_path / "pids", tmp_path / "hung"  # the tagger writes its pid there when it hangs
    return make


@pytest.mark.parametrize("chain", [False, True])
def test_output_in_small_pieces_is_cut_into_the_right_segments(fake, three_parts, chain):
    """Segment heads and NULs split across reads, without a tagger (the front's output is cut itself) and
    with one (the front streams into the tagger, the tagger's output is cut for the back stream)."""
    eng = three_parts("--dribble") if chain else fake("--dribble")
    groups = [["uno [x]", "", "dos\ntres"], [], ["cuatro"], [f"frase {i}" for i in range(12)]]
    want = [["UNO [X]", "", "DOS TRES"], [], ["CUATRO"], [f"FRASE {i}" for i in range(12)]]
    if chain:  # each group's fresh tagger marks its segments with the blocks it saw before: none
        want = [[f"N0 {t}" if t else t for t in g] for g in want]
    assert eng.translate_groups(groups, "es", "en") == want
    eng.close()


def test_groups_stream_through_a_fresh_tagger_each(three_parts):
    """More groups than taggers at once, empty groups between them: every group gets its own tagger
    (the counts start again at 0) and the blocks come back in order, through front and back streams."""
    eng = three_parts()
    groups = [[f"g{g} s{i}" for i in range(g % 4)] for g in range(11)]
    groups[5] = ["", "solo"]
    out = eng.translate_groups(groups, "es", "en")
    assert out[5] == ["", "N0 SOLO"]
    for g in (g for g in range(11) if g != 5):
        assert out[g] == [f"N0 G{g} S{i}" for i in range(g % 4)]  # one block per group: all seen first
    assert len(pids_of(three_parts.pids)) == 2  # front and back stayed up: one process each
    with pytest.raises(EngineError, match="apertium-tagger exited 3"):
        eng.translate_groups([["uno"], ["taggercrash"], ["dos"]], "es", "en")
    assert eng.translate_groups([["uno"], ["dos"]], "es", "en") == [["N0 UNO"], ["N0 DOS"]]  # restarted
    eng.close()


def test_hung_tagger_times_out_and_is_killed(three_parts):
    eng = three_parts(timeout_s=1.0)
    with pytest.raises(EngineTimeout):
        eng.translate_groups([["uno"], ["taggerhang"], ["dos"]], "es", "en")
    (pid,) = pids_of(three_parts.hung)
    assert not running(pid)  # the relay killed and reaped it
    assert eng.translate_groups([["tres"]], "es", "en") == [["N0 TRES"]]
    eng.close()


@needs_apertium
def test_package_version_from_dpkg_status_is_what_dpkg_query_says(monkeypatch):
    # the version written into provenance is read from dpkg's status file (a line tool's start-up spares
    # the dpkg-query process); it must be dpkg-query's answer, which is also the fallback
    ap._package_version.cache_clear()
    fast = ap._package_version()
    slow = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "apertium-eng-spa"],
                          capture_output=True, text=True).stdout.strip()
    assert fast == slow and fast != "unknown"
    monkeypatch.setattr(ap, "DPKG_STATUS", "/nonexistent/status")
    ap._package_version.cache_clear()
    try:
        assert ap._package_version() == slow
    finally:
        ap._package_version.cache_clear()
