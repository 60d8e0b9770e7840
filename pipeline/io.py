"""Atomic file writes and the line tools' input: the lowest layer, used by every stage that writes files."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator


def current_umask() -> int:
    """The process umask (only readable by setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", fsync: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` and rename it over ``path`` when the block succeeds.
    ``fsync=False`` leaves flushing the data to disk to the caller (one ``os.sync()`` after many files
    instead of one fsync each, before whatever marks them complete is written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; a published file gets the mode a plain open() would give it
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8",
                       newline=None if "b" in mode else "\n") as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_lines(stream: IO[Any], tool: str) -> Iterator[str]:
    """The lines of a line tool's input, as they arrive, split on ``\\n`` only (one output line per input
    line, whatever other line breaks a line holds) and decoded as UTF-8; bytes that are not UTF-8 become
    U+FFFD with a warning on stderr naming the line, so no line is lost and no bad byte stops the tool."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # already text (a StringIO in tests)
        text = stream.read()
        raw_lines: Iterable[bytes] = (line.encode("utf-8", "surrogateescape") + b"\n"
                                      for line in text.split("\n")[:-1 if text.endswith("\n") else None])
    else:
        raw_lines = buffer  # a binary stream iterates on b"\n" only
    for n, raw in enumerate(raw_lines, 1):
        raw = raw[:-1] if raw.endswith(b"\n") else raw
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            print(f"pipeline {tool}: line {n}: bytes that are not UTF-8 (from byte {exc.start}) replaced by "
                  "U+FFFD", file=sys.stderr)
            yield raw.decode("utf-8", errors="replace")
