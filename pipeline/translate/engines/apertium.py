"""Apertium engine (Debian's apertium-eng-spa): one long-lived pipeline of processes per direction.

The ``apertium`` wrapper starts a fresh pipeline of a dozen processes per call, each loading its
dictionaries (~300 ms). The persistent engine (``ApertiumStream``) starts the installed mode's pipeline
(``apertium-wblank-mode -z <pair>.mode``: every program flushes on a NUL byte) once per process and
streams batches through it. Each segment is deformatted here exactly as Transfuse's ``tf-extract -f html``
deformats one ``<p>`` (the wrapper's html path when Transfuse is installed, as on Debian). The transfer
programs get each segment as one NUL-terminated block: a NUL is a hard boundary their rules and variables
do not cross, and the count of NULs coming back aligns the output exactly; the analyser and the tagger,
which work word by word, get a batch's segments in one block and their output is cut at the segment heads
(``_Relay``). ``-u`` drops '*' unknown-word marks; stray '#'/'@' generation marks are removed after, unless
the source had the same token.

A custom ``command`` (a wrapper script), ``persistent: false``, or a machine without the mode file or
``apertium-wblank-mode`` gets the per-batch path: one ``<command> -f html -u <mode>`` process per batch.
"""
from __future__ import annotations

import html
import os
import re
import select
import shlex
import shutil
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import regex

from pipeline.translate.engines.base import LANG3, EngineError, EngineTimeout, EngineUnavailable

_BLOCK = regex.compile(r"<p>(.*?)</p>", regex.DOTALL)
_MARK = regex.compile(r"(?<![\w@#*])[*#@~](?=\w)")
MODES_DIRS = ("/usr/share/apertium/modes", "/usr/local/share/apertium/modes")
# tf-extract drops C0 control characters and soft hyphens; a NUL would end a block early.
_DROPPED = regex.compile(r"[\x00-\x08\x0b-\x1f\u00ad]")
_SPECIAL = regex.compile(r"([\\\[\]$^@/{}<>])")
_UNESCAPE = regex.compile(r"\\(.)", regex.DOTALL)
TAGGERS = 4  # tagger processes at once when a call holds several groups
_HEAD = regex.compile(r"\A\s*\[tf-block:\d+\]\n\n")
_TAIL = regex.compile(r"\.?\[\]\s*\Z")


@lru_cache(maxsize=8)
def _modes(command: str) -> frozenset[str]:
    try:
        out = subprocess.run([command, "-l"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines() if line.strip())


DPKG_STATUS = "/var/lib/dpkg/status"


def _status_version(status: bytes, package: str) -> str | None:
    r"""The version of an installed package in dpkg's status file (deb-control stanzas), or None.

    >>> st = b"Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: apertium-eng-spa\n" \
    ...      b"Status: install ok installed\nArchitecture: all\nVersion: 0.8.1-2\n\n"
    >>> _status_version(st, "apertium-eng-spa"), _status_version(st, "b")
    ('0.8.1-2', None)
    """
    for stanza in status.split(b"\n\n"):
        fields = dict(line.split(b": ", 1) for line in stanza.strip().split(b"\n")
                      if b": " in line and line[:1] != b" ")  # continuation lines start with a space
        if fields.get(b"Package") == package.encode() and fields.get(b"Status", b"").endswith(b" installed") \
                and fields.get(b"Version"):
            return fields[b"Version"].decode("utf-8", "replace").strip()
    return None


@lru_cache(maxsize=1)
def _package_version() -> str:
    """The installed apertium-eng-spa's version: read from dpkg's status file (a millisecond, where
    ``dpkg-query`` takes 6-20 ms of a line tool's start), else asked of dpkg-query."""
    try:
        with open(DPKG_STATUS, "rb") as f:
            found = _status_version(f.read(), "apertium-eng-spa")
        if found:
            return found
    except OSError:
        pass
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "apertium-eng-spa"],
                             capture_output=True, text=True, timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def mode_name(src: str, tgt: str) -> str:
    """>>> mode_name("es", "en")
    'spa-eng'
    """
    return f"{LANG3.get(src, src)}-{LANG3.get(tgt, tgt)}"


def strip_marks(output: str, source: str) -> str:
    """Remove apertium's unknown/generation marks that were not in the source.

    >>> strip_marks("#foo *and @Bar", "el foo y bar")
    'foo and Bar'
    >>> strip_marks("see @Bar", "ver @Bar")
    'see @Bar'
    """
    def keep(m: regex.Match) -> str:
        word = regex.match(r"[*#@~]\w+", output[m.start():]).group()
        return m.group() if word in source else ""

    return _MARK.sub(keep, output)


@lru_cache(maxsize=8)
def mode_pipeline(mode: str) -> tuple[tuple[str, ...], ...] | None:
    """The programs of an installed mode with NUL flushing and unknown-word marks off (``-u``), as the
    wrapper runs them; None when the mode file or ``apertium-wblank-mode`` is missing."""
    path = next((Path(d) / f"{mode}.mode" for d in MODES_DIRS if (Path(d) / f"{mode}.mode").is_file()), None)
    if path is None or shutil.which("apertium-wblank-mode") is None:
        return None
    try:
        line = subprocess.run(["apertium-wblank-mode", "-z", str(path)], capture_output=True, text=True,
                              timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    programs, current = [], []
    for tok in shlex.split(line):
        if tok == "|":
            programs.append(tuple(current))
            current = []
        elif tok != "$2":  # the tagger option: empty for this wrapper call
            current.append("-n" if tok == "$1" else tok)  # $1: generation without unknown-word marks
    programs.append(tuple(current))
    return tuple(programs) if all(programs) else None


def deformat(text: str, i: int = 0) -> bytes:
    """One segment as the NUL-terminated block tf-extract makes of ``<p>text</p>``.

    >>> deformat("Dijo [x] a/b", 3)
    b'\\n[tf-block:3]\\n\\nDijo \\\\[x\\\\] a\\\\/b.[]\\n\\x00'
    """
    body = _SPECIAL.sub(r"\\\1", _DROPPED.sub("", text))
    return f"\n[tf-block:{i}]\n\n{body}.[]\n\0".encode("utf-8")


def reformat(block: str) -> str:
    """The text of one translated block, as tf-inject puts it back (the '.' deformat added removed).

    >>> reformat('\\n[tf-block:3]\\n\\nIt said \\\\[x\\\\]..[]\\n')
    'It said [x].'
    """
    return _UNESCAPE.sub(r"\1", _TAIL.sub("", _HEAD.sub("", block)))


class ApertiumStream:
    """A running mode pipeline: one process per program, connected by pipes, all children of this
    process so that they can be killed and reaped one by one. ``_Relay`` writes NUL-terminated blocks to
    its ``stdin`` and reads one output block per input block from its ``stdout``; a timeout or a dead
    program raises and leaves the stream closed (the engine starts a new one on its next call)."""

    def __init__(self, programs: tuple[tuple[str, ...], ...]):
        self.pid = os.getpid()
        self.stderr = tempfile.TemporaryFile()
        self.procs: list[subprocess.Popen] = []
        try:
            prev = None
            for argv in programs:
                p = subprocess.Popen(argv, stdin=prev.stdout if prev else subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
                if prev is not None:
                    prev.stdout.close()  # only the next program holds the read end now
                self.procs.append(p)
                prev = p
        except OSError as exc:
            self.close()
            raise EngineError(f"cannot start apertium pipeline: {exc}") from exc
        _OPEN.add(self)
        self.stdin = self.procs[0].stdin.fileno()
        self.stdout = self.procs[-1].stdout.fileno()
        os.set_blocking(self.stdin, False)

    @property
    def alive(self) -> bool:
        return bool(self.procs) and self.pid == os.getpid() and all(p.poll() is None for p in self.procs)

    def _died(self) -> EngineError:
        tail = self._stderr_tail()
        self.close(kill=True)
        return EngineError(f"apertium pipeline exited ({[p.returncode for p in self.procs]}): {tail}")

    def _stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read()[-300:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def close(self, kill: bool = False) -> None:
        """End every program and reap it (no zombies); only the process that started them does this.
        ``kill``: SIGKILL (a hung or out-of-step pipeline), else SIGTERM (the relay has read every answer,
        so there is nothing left to finish)."""
        if self.pid != os.getpid():
            return
        _OPEN.discard(self)
        for p in self.procs:
            for f in (p.stdin, p.stdout):
                if f is not None:
                    try:
                        f.close()
                    except OSError:
                        pass
        for p in self.procs:
            if p.poll() is None:
                # every block sent was answered (or the stream is being killed): nothing is lost, and a
                # signal ends a program at once, where an EOF first has it free its dictionaries
                p.kill() if kill else p.terminate()
        reap(self.procs, 2.0)
        try:
            self.stderr.close()
        except OSError:
            pass


def reap(procs: list[subprocess.Popen], timeout: float) -> None:
    """Wait for the programs to exit, killing those still running after ``timeout`` seconds. One wait
    for all of them, woken by each exit (a pidfd per process where the kernel has them) rather than
    ``Popen.wait(timeout)``'s polling, which sleeps in steps of up to 50 ms per process."""
    deadline = time.monotonic() + timeout
    waiting = {}
    for p in procs:
        if p.poll() is None:
            try:
                waiting[os.pidfd_open(p.pid)] = p
            except (AttributeError, OSError):  # no pidfds: poll with a timeout instead
                try:
                    p.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    try:
        while waiting:
            ready, _, _ = select.select(list(waiting), [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                for p in waiting.values():
                    p.kill()
                    p.wait()
                break
            for fd in ready:
                waiting.pop(fd).wait()
                os.close(fd)
    finally:
        for fd in waiting:
            os.close(fd)


_OPEN: "set[ApertiumStream]" = set()  # held strongly: an engine dropped without close() still gets closed


def close_all() -> None:
    """Close every engine pipeline this process started (atexit, and Luigi's forked task processes,
    which exit through multiprocessing's finalizers rather than atexit)."""
    for stream in list(_OPEN):
        stream.close()


_HOOKED_PID = 0


def _install_exit_hooks() -> None:
    """Once per process: a forked multiprocessing child starts with an empty finalizer registry."""
    global _HOOKED_PID
    if _HOOKED_PID == os.getpid():
        return
    import atexit
    from multiprocessing import util

    _HOOKED_PID = os.getpid()
    atexit.register(close_all)
    util.Finalize(None, close_all, exitpriority=100)  # run by multiprocessing's exit, which skips atexit


def split_at_tagger(programs: tuple[tuple[str, ...], ...]):
    """(programs before the tagger, the tagger, programs after it); the tagger is None when absent.

    apertium-tagger keeps state across NUL-flushed blocks (a block holding only "known" changes how
    "looms" is tagged in a later one), so it runs fresh for every call, as in a fresh ``apertium``
    process; it loads in milliseconds. The programs that load large dictionaries stay running.
    """
    for i, argv in enumerate(programs):
        if Path(argv[0]).name == "apertium-tagger":
            return programs[:i], argv, programs[i + 1:]
    return programs, None, ()


class ApertiumEngine:
    name = "apertium"

    def __init__(self, command: str = "apertium", timeout_s: float = 120.0, persistent: bool = True,
                 pipelines: dict[str, tuple[tuple[str, ...], ...]] | None = None):
        self.command = command
        self.timeout_s = timeout_s
        self.persistent = persistent and command == "apertium"
        self.pipelines = pipelines  # mode -> programs; replaces the installed modes (tests)
        self._streams: dict[tuple[str, str], ApertiumStream] = {}

    @classmethod
    def from_config(cls, config) -> "ApertiumEngine":
        return cls(config.apertium.command, min(config.apertium.timeout_s, config.timeout_s) or 120.0,
                   getattr(config.apertium, "persistent", True))

    def available(self, src: str, tgt: str) -> bool:
        if self.pipelines is not None:
            return mode_name(src, tgt) in self.pipelines
        if shutil.which(self.command) is None:
            return False
        mode = mode_name(src, tgt)
        # an installed mode file is what `apertium -l` lists: finding it spares starting the wrapper
        return (self.persistent and mode_pipeline(mode) is not None) or mode in _modes(self.command)

    def version(self, src: str, tgt: str) -> str:
        return f"apertium-eng-spa {_package_version()}"

    def _programs(self, mode: str):
        if self.pipelines is not None:
            return self.pipelines.get(mode)
        return mode_pipeline(mode) if self.persistent else None

    def start(self, src: str, tgt: str) -> None:
        """Start the persistent programs of a direction now, so that they load their dictionaries while
        the caller reads and plans its input (a line tool); the first call would start them anyway."""
        programs = self._programs(mode_name(src, tgt)) if self.available(src, tgt) else None
        if programs:
            front, _, back = split_at_tagger(programs)
            for part, progs in (("front", front), ("back", back)):
                if progs:
                    self._stream(mode_name(src, tgt), part, progs)

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        return self.translate_groups([texts], src, tgt)[0]

    def translate_groups(self, groups: list[list[str]], src: str, tgt: str) -> list[list[str]]:
        """Several batches in one pass, each translated as if by its own ``translate_batch`` call (the
        tagger starts fresh for every group); the dictionaries are loaded once for all of them."""
        if not any(groups):
            return [[] for _ in groups]
        if not self.available(src, tgt):
            raise EngineUnavailable.for_direction(src, tgt, f"apertium mode {mode_name(src, tgt)} not found")
        # Newlines are plain blanks to apertium (the translation layer already splits on them); a NUL
        # would end a block early, and the wrapper's deformatter read it as a blank too.
        flats = [[" ".join(t.replace("\0", " ").split()) for t in texts] for texts in groups]
        programs = self._programs(mode_name(src, tgt))
        if programs:
            raws = self._stream_groups(programs, flats, mode_name(src, tgt))
        else:
            raws = [self._process_batch(flat, src, tgt) if flat else [] for flat in flats]
        return [[strip_marks(" ".join(o.split()), t) for o, t in zip(raw, flat)] for raw, flat in zip(raws, flats)]

    def _stream(self, mode: str, part: str, programs) -> ApertiumStream:
        stream = self._streams.get((mode, part))
        if stream is None or not stream.alive:
            if stream is not None:
                stream.close(kill=True)
            stream = self._streams[(mode, part)] = ApertiumStream(programs)
            _install_exit_hooks()
        return stream

    def _stream_groups(self, programs, flats: list[list[str]], mode: str) -> list[list[str]]:
        # tf-extract makes no block of an empty segment; its translation is empty
        todo = [(g, i) for g, flat in enumerate(flats) for i, t in enumerate(flat) if _DROPPED.sub("", t).strip()]
        outs = [[""] * len(flat) for flat in flats]
        if not todo:
            return outs
        deadline = time.monotonic() + self.timeout_s
        front, tagger, back = split_at_tagger(programs)
        blocks = [deformat(flats[g][i], n) for n, (g, i) in enumerate(todo)]
        sizes: list[int] = []  # segments per group, in order: one fresh tagger each
        for n, (g, _) in enumerate(todo):
            if n and todo[n - 1][0] == g:
                sizes[-1] += 1
            else:
                sizes.append(1)
        try:
            relay = _Relay(self._stream(mode, "front", front) if front else None, tagger,
                           self._stream(mode, "back", back) if back else None, sizes, deadline)
            blocks = relay.run(blocks)
        except EngineError:
            self.close(kill=True)  # start clean: a half-read stream cannot be trusted
            raise
        for (g, i), block in zip(todo, blocks):
            outs[g][i] = reformat(block.decode("utf-8", "replace"))
        return outs

    def _process_batch(self, flat: list[str], src: str, tgt: str) -> list[str]:
        doc = "\n".join(f"<p>{html.escape(t, quote=False)}</p>" for t in flat) + "\n"
        try:
            proc = subprocess.run([self.command, "-f", "html", "-u", mode_name(src, tgt)], input=doc,
                                  capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired as exc:  # subprocess.run kills the child before raising
            raise EngineTimeout(f"apertium ran past {self.timeout_s}s on {len(flat)} segments") from exc
        except OSError as exc:
            raise EngineError(f"cannot run {self.command}: {exc}") from exc
        if proc.returncode != 0:
            raise EngineError(f"apertium exited {proc.returncode}: {proc.stderr.strip()[:300]}")
        blocks = _BLOCK.findall(proc.stdout)
        if len(blocks) != len(flat):
            raise EngineError(f"apertium returned {len(blocks)} blocks for {len(flat)} segments")
        return [html.unescape(b) for b in blocks]

    def close(self, kill: bool = False) -> None:
        for stream in self._streams.values():
            stream.close(kill)
        self._streams.clear()


_SEGMENT_HEAD = re.compile(rb"\n\[tf-block:(\d+)\]\n\n")


class _Cutter:
    """Cuts one group's output (the analyser's or the tagger's, as it arrives) into the blocks of its
    segments: a segment runs from its head (``deformat``'s ``[tf-block:k]`` superblank, which every program
    passes on unchanged) to the next head, or to the NUL that ends the group. Each piece is the bytes the
    program writes for that segment when it gets the segment as a block of its own. The heads must number
    ``first`` .. ``first + count - 1`` in order, else EngineError (the output is out of step).

    >>> c = _Cutter(4, 2)
    >>> c.feed(b"\\n[tf-bl"), c.feed(b"ock:4]\\n\\nuno.[]\\n\\n[tf-bl"), c.feed(b"ock:5]\\n\\ndos.[]\\n\\0"), c.finished
    ([], [], [b'\\n[tf-block:4]\\n\\nuno.[]\\n', b'\\n[tf-block:5]\\n\\ndos.[]\\n'], True)
    >>> _Cutter(4, 2).feed(b"\\n[tf-block:4]\\n\\nuno.[]\\n\\0")
    Traceback (most recent call last):
    pipeline.translate.engines.base.EngineError: apertium's output is out of step at segment 4 (the group ends at 5)
    """

    def __init__(self, first: int, count: int):
        self.next, self.last = first, first + count - 1
        self.buf = bytearray()
        self.started = False  # the first head has been seen
        self.finished = False  # the group's NUL has been seen and every segment handed on
        self.rest = bytearray()  # what came after the group's NUL (an EOF may add empty blocks, no more)

    def feed(self, chunk: bytes) -> list[bytes]:
        if self.finished:
            self.rest += chunk
            return []
        end = chunk.find(b"\0")
        if end >= 0:
            self.rest += chunk[end + 1:]
            chunk = chunk[:end]
        self.buf += chunk
        out = []
        if not self.started:
            m = _SEGMENT_HEAD.search(self.buf)
            if m is None:
                if end >= 0:
                    self._out_of_step()
                return out  # the first head may still be on its way
            if self.buf[:m.start()].strip():
                self._out_of_step()
            del self.buf[:m.start()]
            self.started = True
        while True:
            head = _SEGMENT_HEAD.match(self.buf)
            if head is None or int(head.group(1)) != self.next:
                self._out_of_step()
            m = _SEGMENT_HEAD.search(self.buf, 1)
            if m is None:
                break
            out.append(bytes(self.buf[:m.start()]))
            del self.buf[:m.start()]
            self.next += 1
        if end >= 0:
            if self.next != self.last:
                self._out_of_step()
            out.append(bytes(self.buf))
            self.buf.clear()
            self.next += 1
            self.finished = True
        return out

    def check_rest(self) -> None:
        if not self.finished or self.rest.replace(b"\0", b"").strip():
            self._out_of_step()

    def _out_of_step(self):
        raise EngineError(f"apertium's output is out of step at segment {self.next} (the group ends at {self.last})")


class _Relay:
    """Segments through the front stream, a fresh tagger per group and the back stream, all at once.

    The programs before the back stream (the morphological analyser and the tagger) read word by word and
    sentence by sentence, so they get one NUL-terminated block per group, its segments inside as
    tf-extract writes a document's paragraphs: the same bytes out as one block per segment, with one flush
    per group instead of one per segment, and far fewer pieces for the relay to pass on. The back stream,
    whose rules must not see the segment before ('China’s head of government' loses its genitive after
    another sentence in the same block), gets one block per segment: the tagger's output is cut at the
    segment heads as it arrives (``_Cutter``).

    Every part works as soon as bytes reach it, as in one ``apertium`` process chain: the front's output
    streams into the group's tagger (at most ``TAGGERS`` alive, started in group order), each finished
    segment goes on to the back stream in order.
    """

    def __init__(self, front: "ApertiumStream | None", tagger, back: "ApertiumStream | None",
                 sizes: list[int], deadline: float):
        self.front, self.tagger, self.back = front, tagger, back
        self.sizes, self.deadline = sizes, deadline
        self.taggers: list[_Tagger] = []

    def run(self, blocks: list[bytes]) -> list[bytes]:
        """One output block per segment block (``deformat``'s, numbered 0..n-1 in order)."""
        try:
            return self._run(blocks, len(blocks))
        finally:
            for t in self.taggers:
                t.kill()

    def _run(self, blocks: list[bytes], n: int) -> list[bytes]:
        starts = [0]
        for s in self.sizes:
            starts.append(starts[-1] + s)
        n_groups = len(self.sizes)
        groups = [b"".join(b[:-1] for b in blocks[a:z]) for a, z in zip(starts, starts[1:])]  # without NUL
        # the front's output per group, until passed on; a group is complete when its NUL came back
        fin = [bytearray() for _ in groups] if self.front else [bytearray(g) for g in groups]
        complete = 0 if self.front else n_groups
        cutters = [_Cutter(a, s) for a, s in zip(starts, self.sizes)]
        fed_front = 0  # groups whose front output went to their tagger (or cutter) in full
        cut = 0  # the group whose segments go on now, in order
        mid_out: list[bytes] = []  # segment blocks, in order, for the back stream
        back_out: list[bytes] = []
        writes: dict[int, bytearray] = {}
        if self.front:
            writes[self.front.stdin] = bytearray(b"\0".join(groups) + b"\0")
        back_buf = bytearray()
        sent_mid = 0
        while True:
            if self.tagger is None:
                while cut < n_groups and (fin[cut] or cut < complete):
                    mid_out += cutters[cut].feed(bytes(fin[cut]) + (b"\0" if cut < complete else b""))
                    fin[cut].clear()
                    if cut >= complete:
                        break
                    cut += 1
            else:
                while len(self.taggers) < n_groups and sum(t.alive for t in self.taggers) < TAGGERS \
                        and (fin[len(self.taggers)] or len(self.taggers) < complete):
                    self.taggers.append(_Tagger(self.tagger))
                for g, t in enumerate(self.taggers[fed_front:], start=fed_front):
                    if fin[g]:
                        t.write(bytes(fin[g]))
                        fin[g].clear()
                    if g < complete and g == fed_front:
                        t.write(b"\0")
                        t.end_input()
                        fed_front += 1
                while cut < len(self.taggers):  # in group order
                    t = self.taggers[cut]
                    if t.buf:
                        mid_out += cutters[cut].feed(bytes(t.buf))
                        t.buf.clear()
                    if t.done:
                        cutters[cut].check_rest()
                    if not cutters[cut].finished:
                        break
                    cut += 1
            if self.back:
                while sent_mid < len(mid_out):
                    writes.setdefault(self.back.stdin, bytearray()).extend(mid_out[sent_mid] + b"\0")
                    sent_mid += 1
            final = back_out if self.back else mid_out
            if len(final) == n and (self.tagger is None or all(t.done for t in self.taggers)):
                for g, t in enumerate(self.taggers):
                    cutters[g].feed(bytes(t.buf))
                    cutters[g].check_rest()
                return final[:n]
            # wait for the next thing any part can do
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise EngineTimeout(f"apertium ran past its timeout on {n} segments")
            rlist = []
            if self.front and complete < n_groups:
                rlist.append(self.front.stdout)
            if self.back and len(back_out) < n:
                rlist.append(self.back.stdout)
            rlist += [t.stdout for t in self.taggers if t.reading]
            wlist = [fd for fd, buf in writes.items() if buf]
            wlist += [t.stdin for t in self.taggers if t.pending]
            readable, writable, _ = select.select(rlist, wlist, [], remaining)
            for fd in writable:
                tagger = next((t for t in self.taggers if t.pending and t.stdin == fd), None)  # fds are reused
                if tagger is not None:
                    tagger.flush()
                    continue
                buf = writes[fd]
                try:
                    del buf[:os.write(fd, bytes(buf[:65536]))]
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    buf.clear()  # a program died: its exit shows up as EOF below
            for fd in readable:
                if self.front and fd == self.front.stdout:
                    complete = self._read_front(fin, complete, n_groups)
                elif self.back and fd == self.back.stdout:
                    self._read(self.back, back_buf, back_out, n)
                else:
                    next(t for t in self.taggers if t.reading and t.stdout == fd).read()

    def _read_front(self, fin: list[bytearray], complete: int, n_groups: int) -> int:
        """Route the front's output to the groups' buffers; returns how many groups are complete."""
        chunk = os.read(self.front.stdout, 1 << 16)
        if not chunk:
            raise self.front._died()
        while chunk:
            end = chunk.find(b"\0")
            if complete >= n_groups:  # more output than groups sent: out of step
                self.front.close(kill=True)
                raise EngineError(f"apertium returned more than {n_groups} blocks")
            if end < 0:
                fin[complete] += chunk
                break
            fin[complete] += chunk[:end]
            complete += 1
            chunk = chunk[end + 1:]
        return complete

    @staticmethod
    def _read(stream: "ApertiumStream", buf: bytearray, out: list[bytes], n: int) -> None:
        chunk = os.read(stream.stdout, 1 << 16)
        if not chunk:
            raise stream._died()
        buf += chunk
        while True:
            end = buf.find(b"\0")
            if end < 0:
                break
            out.append(bytes(buf[:end]))
            del buf[:end + 1]
        if len(out) > n or (len(out) == n and buf):  # more output than blocks sent: out of step
            stream.close(kill=True)
            raise EngineError(f"apertium returned {len(out)} blocks for {n} segments")


class _Tagger:
    """One fresh apertium-tagger for one group (it keeps state across NUL-flushed blocks). Its output
    collects in ``buf`` for the relay to cut; at EOF it must have exited 0."""

    def __init__(self, argv):
        self.argv = argv
        self.err = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        except OSError as exc:
            raise EngineError(f"cannot run {argv[0]}: {exc}") from exc
        self.stdin, self.stdout = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self.stdin, False)
        self.buf = bytearray()
        self.inbuf = bytearray()
        self.closing = False  # all its input written: close its stdin once it is flushed
        self.reading = True
        self.done = False

    @property
    def alive(self) -> bool:
        return not self.done

    @property
    def pending(self) -> bool:
        return bool(self.inbuf) or (self.closing and self.proc.stdin is not None)

    def write(self, data: bytes) -> None:
        self.inbuf += data

    def end_input(self) -> None:
        self.closing = True

    def flush(self) -> None:
        if self.inbuf:
            try:
                del self.inbuf[:os.write(self.stdin, bytes(self.inbuf[:65536]))]
            except BlockingIOError:
                return
            except BrokenPipeError:
                self.inbuf.clear()
        if not self.inbuf and self.closing and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.stdin = None
            self.stdin = -1

    def read(self) -> None:
        chunk = os.read(self.stdout, 1 << 16)
        if chunk:
            self.buf += chunk
            return
        self.reading = False
        code = self.proc.wait()
        self.proc.stdout.close()
        if code != 0:
            self.err.seek(0)
            msg = self.err.read().decode("utf-8", "replace").strip()[:300]
            raise EngineError(f"apertium-tagger exited {code}: {msg}")
        self.err.close()
        self.done = True

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        try:
            self.err.close()
        except OSError:
            pass
