"""Translation cache: sqlite, keyed by (engine, model version, direction, normalised source).

Two levels in one file: ``translations`` holds raw engine outputs of masked pieces; ``segments`` holds
whole assembled results (text + notes) keyed also by a context fingerprint (language spans, names,
glossary, settings), so a rerun is served before any masking or planning. Segment lookups are one
batched query per 500 keys behind a small in-process LRU. Safe under concurrent worker processes (WAL
journal + busy timeout; writes are upserts), bounded by ``max_entries`` per level with least-recently-used
eviction, and clearable. A corrupt file is moved aside and rebuilt empty, with a warning: a cache is never a
reason for a run to stop.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import time
import unicodedata
from pathlib import Path
from collections import OrderedDict
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
CREATE TABLE IF NOT EXISTS segments (
    key TEXT PRIMARY KEY,
    result TEXT NOT NULL,
    used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_used ON segments(used);
"""
_CHUNK = 500  # host parameters per query; well under sqlite's limit (999 on old builds)


def normalise(text: str) -> str:
    """The form of a source segment a cache key is built from: NFC, whitespace runs collapsed.

    >>> normalise(" Hola\\u00a0  mundo\\n") == normalise("Hola mundo")
    True
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_key(engine: str, version: str, direction: str, source: str) -> str:
    raw = "\x1f".join((engine, version, direction, normalise(source)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def segment_key(engine: str, version: str, direction: str, text: str, context: str) -> str:
    """Key of a whole segment's result. ``text`` is exact (its whitespace and newlines are kept in the
    output, and language-span offsets point into it); ``context`` fingerprints everything else that
    changes the result (spans, names, glossary, settings).

    >>> segment_key("e", "1", "es-en", "hola", "") != segment_key("e", "1", "es-en", "hola", "x")
    True
    """
    raw = "\x1f".join((engine, version, direction, unicodedata.normalize("NFC", text), context))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TranslationCache:
    def __init__(self, path: str | Path, max_entries: int = 200_000, timeout_s: float = 30.0,
                 memory_entries: int = 4096):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self.memory_entries = memory_entries
        self._memory: OrderedDict[str, dict] = OrderedDict()
        self.timeout_s = timeout_s
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed": not a lock wait
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            self._conn = self._rebuild(exc)
        self._puts_since_trim = 0

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=self.timeout_s, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute("SELECT COUNT(*) FROM translations").fetchone()
            conn.execute("SELECT COUNT(*) FROM segments").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _rebuild(self, error: Exception) -> sqlite3.Connection:
        """Move a corrupt cache file aside (kept for inspection) and start an empty one. Under a lock, and
        only if it is still corrupt then, so concurrent processes move it once and share the new file."""
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self._open()  # another process rebuilt it meanwhile
            except sqlite3.DatabaseError:
                pass
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(self.path) + suffix)
                if src.exists():
                    os.replace(src, Path(str(aside) + suffix))
            print(f"pipeline: warning: translation cache {self.path} is corrupt ({error}); moved it to {aside} "
                  "and started an empty one", file=sys.stderr)
            return self._open()

    def get_many(self, engine: str, version: str, direction: str,
                 sources: Sequence[str]) -> dict[str, str]:
        """Cached outputs by source text, for the sources that are cached."""
        keys = {make_key(engine, version, direction, s): s for s in sources}
        found: dict[str, str] = {}
        items = list(keys)
        for i in range(0, len(items), _CHUNK):
            chunk = items[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, output in self._conn.execute(
                    f"SELECT key, output FROM translations WHERE key IN ({marks})", chunk):
                found[keys[key]] = output
        if found:
            self._touch("translations", [make_key(engine, version, direction, s) for s in found])
        return found

    def _touch(self, table: str, keys: list[str]) -> None:
        """Mark entries used (for LRU eviction) in one short write transaction."""
        now = time.time()
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i:i + _CHUNK]
                self._conn.execute(f"UPDATE {table} SET used = ? WHERE key IN ({','.join('?' * len(chunk))})",
                                   [now, *chunk])

    # -- whole segments --------------------------------------------------------------------------------
    def get_segments(self, keys: Sequence[str]) -> dict[str, dict]:
        """Stored results (``{"text": ..., "notes": [...]}``) by segment key, for the keys that are stored."""
        found: dict[str, dict] = {}
        missing = []
        for k in dict.fromkeys(keys):
            value = self._memory.get(k)
            if value is None:
                missing.append(k)
            else:
                self._memory.move_to_end(k)
                found[k] = value
        from_db = []
        for i in range(0, len(missing), _CHUNK):
            chunk = missing[i:i + _CHUNK]
            for key, result in self._conn.execute(
                    f"SELECT key, result FROM segments WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                found[key] = json.loads(result)
                from_db.append(key)
        if from_db:
            self._touch("segments", from_db)
            for k in from_db:
                self._remember(k, found[k])
        return found

    def put_segments(self, items: Iterable[tuple[str, dict]]) -> None:
        now = time.time()
        rows = []
        for key, value in items:
            self._remember(key, value)
            rows.append((key, json.dumps(value, ensure_ascii=False), now))
        if not rows:
            return
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO segments(key, result, used) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET result = excluded.result, used = excluded.used", rows)
        self._puts_since_trim += len(rows)
        if self._puts_since_trim >= max(1, self.max_entries // 20) or self._puts_since_trim >= 1000:
            self.trim()

    def _remember(self, key: str, value: dict) -> None:
        if self.memory_entries <= 0:
            return
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)

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
        """Evict least recently used entries beyond ``max_entries`` in each level; returns how many went."""
        self._puts_since_trim = 0
        removed = 0
        for table in ("translations", "segments"):
            (count,) = self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            excess = count - self.max_entries
            if excess > 0:
                self._conn.execute(f"DELETE FROM {table} WHERE key IN "
                                   f"(SELECT key FROM {table} ORDER BY used ASC LIMIT ?)", (excess,))
                removed += excess
        if removed:
            self._memory.clear()  # evicted rows may sit in memory; dropping all is simplest and rare
        return removed

    def __len__(self) -> int:
        """Engine outputs stored (the lower level); ``segment_count`` gives the upper one."""
        return self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def segment_count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]

    def clear(self) -> int:
        """Empty both levels (and the in-process LRU); returns how many entries were removed."""
        n = len(self) + self.segment_count()
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM translations")
            self._conn.execute("DELETE FROM segments")
        self._memory.clear()
        return n

    def close(self) -> None:
        self._conn.close()
