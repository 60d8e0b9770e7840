"""Translation cache: sqlite, keyed by (engine, model version, direction, normalised source).

Safe under concurrent worker processes (WAL journal + busy timeout; writes are upserts), bounded by
``max_entries`` with least-recently-used eviction, and clearable.
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    version TEXT NOT NULL,
    direction TEXT NOT NULL,
    source TEXT NOT NULL,
    output TEXT NOT NULL,
    used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS translations_used ON translations(used);
"""


def normalise(text: str) -> str:
    """The form of a source segment a cache key is built from: NFC, whitespace runs collapsed.

    >>> normalise(" Hola\\u00a0  mundo\\n") == normalise("Hola mundo")
    True
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_key(engine: str, version: str, direction: str, source: str) -> str:
    raw = "\x1f".join((engine, version, direction, normalise(source)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TranslationCache:
    def __init__(self, path: str | Path, max_entries: int = 200_000, timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self._conn = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        self._puts_since_trim = 0

    def get_many(self, engine: str, version: str, direction: str,
                 sources: Sequence[str]) -> dict[str, str]:
        """Cached outputs by source text, for the sources that are cached."""
        keys = {make_key(engine, version, direction, s): s for s in sources}
        found: dict[str, str] = {}
        items = list(keys)
        for i in range(0, len(items), 500):
            chunk = items[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for key, output in self._conn.execute(
                    f"SELECT key, output FROM translations WHERE key IN ({marks})", chunk):
                found[keys[key]] = output
        if found:
            now = time.time()
            hit = [(now, make_key(engine, version, direction, s)) for s in found]
            self._conn.executemany("UPDATE translations SET used = ? WHERE key = ?", hit)
        return found

    def get(self, engine: str, version: str, direction: str, source: str) -> str | None:
        return self.get_many(engine, version, direction, [source]).get(source)

    def put_many(self, engine: str, version: str, direction: str,
                 pairs: Iterable[tuple[str, str]]) -> None:
        now = time.time()
        rows = [(make_key(engine, version, direction, s), engine, version, direction, normalise(s), o, now)
                for s, o in pairs]
        if not rows:
            return
        with self._conn:  # one transaction per batch keeps concurrent writers short
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO translations(key, engine, version, direction, source, output, used) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET output = excluded.output, "
                "used = excluded.used", rows)
        self._puts_since_trim += len(rows)
        if self._puts_since_trim >= max(1, self.max_entries // 20) or self._puts_since_trim >= 1000:
            self.trim()

    def trim(self) -> int:
        """Evict least recently used entries beyond ``max_entries``; returns how many were removed."""
        self._puts_since_trim = 0
        (count,) = self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()
        excess = count - self.max_entries
        if excess <= 0:
            return 0
        self._conn.execute("DELETE FROM translations WHERE key IN "
                           "(SELECT key FROM translations ORDER BY used ASC LIMIT ?)", (excess,))
        return excess

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def clear(self) -> int:
        n = len(self)
        self._conn.execute("DELETE FROM translations")
        return n

    def close(self) -> None:
        self._conn.close()
