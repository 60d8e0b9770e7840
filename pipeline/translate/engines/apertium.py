"""Apertium engine (Debian's apertium-eng-spa): one process per batch, exact line alignment.

Segments are sent as HTML block elements (``-f html``): each ``<p>`` is a hard boundary that the
transfer rules do not move words across, unlike plain newlines. ``-u`` drops '*' unknown-word marks;
stray '#'/'@' generation marks are removed after, unless the source had the same token.
"""
from __future__ import annotations

import html
import shutil
import subprocess
from functools import lru_cache

import regex

from pipeline.translate.engines.base import LANG3, EngineError, EngineTimeout, EngineUnavailable

_BLOCK = regex.compile(r"<p>(.*?)</p>", regex.DOTALL)
_MARK = regex.compile(r"(?<![\w@#*])[*#@~](?=\w)")


@lru_cache(maxsize=8)
def _modes(command: str) -> frozenset[str]:
    try:
        out = subprocess.run([command, "-l"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines() if line.strip())


@lru_cache(maxsize=1)
def _package_version() -> str:
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


class ApertiumEngine:
    name = "apertium"

    def __init__(self, command: str = "apertium", timeout_s: float = 120.0):
        self.command = command
        self.timeout_s = timeout_s

    @classmethod
    def from_config(cls, config) -> "ApertiumEngine":
        return cls(config.apertium.command, min(config.apertium.timeout_s, config.timeout_s) or 120.0)

    def available(self, src: str, tgt: str) -> bool:
        return shutil.which(self.command) is not None and mode_name(src, tgt) in _modes(self.command)

    def version(self, src: str, tgt: str) -> str:
        return f"apertium-eng-spa {_package_version()}"

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not texts:
            return []
        if not self.available(src, tgt):
            raise EngineUnavailable.for_direction(src, tgt, f"apertium mode {mode_name(src, tgt)} not found")
        # Newlines are plain blanks to apertium; the translation layer already splits on them.
        flat = [" ".join(t.split()) for t in texts]
        doc = "\n".join(f"<p>{html.escape(t, quote=False)}</p>" for t in flat) + "\n"
        try:
            proc = subprocess.run([self.command, "-f", "html", "-u", mode_name(src, tgt)], input=doc,
                                  capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired as exc:  # subprocess.run kills the child before raising
            raise EngineTimeout(f"apertium ran past {self.timeout_s}s on {len(texts)} segments") from exc
        except OSError as exc:
            raise EngineError(f"cannot run {self.command}: {exc}") from exc
        if proc.returncode != 0:
            raise EngineError(f"apertium exited {proc.returncode}: {proc.stderr.strip()[:300]}")
        blocks = _BLOCK.findall(proc.stdout)
        if len(blocks) != len(texts):
            raise EngineError(f"apertium returned {len(blocks)} blocks for {len(texts)} segments")
        return [strip_marks(" ".join(html.unescape(b).split()), t) for b, t in zip(blocks, flat)]
