"""Publish guards: reasons not to replace the published corpus with a freshly exported version.

Input: the exported version folder, the published one (if any) and the operator's allowances; output: a
message saying why the version must not be published, or None. An empty input set (an unmounted share),
a corpus much smaller than the published one, or a run in which the engine failed on every segment is far
more often an accident than an intent, so each needs an explicit flag.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PublishPolicy:
    allow_empty: bool = False
    allow_shrink: bool = False
    max_shrink: float = 0.5  # share of the published pairs a new version may lose without --allow-shrink


def _read(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def publish_refusal(new: Path, published: Path | None, policy: PublishPolicy) -> str | None:
    """Why the version in ``new`` must not replace ``published`` (None: publish it)."""
    manifest, report = _read(new, "manifest.json"), _read(new, "report.json")
    documents = report.get("counts", {}).get("documents", 0)
    if documents == 0:  # an explicitly allowed empty corpus replaces any published one
        return None if policy.allow_empty else ("the input folder holds no articles (an unmounted share?); pass "
                                                "--allow-empty to publish an empty corpus")
    translate = report.get("per_stage", {}).get("translate", {})
    ok = sum(n for k, n in translate.items() if k.endswith(":ok"))
    failed = sum(n for k, n in translate.items() if not k.endswith(":ok"))
    if failed and not ok and not policy.allow_empty:
        reasons = ", ".join(f"{k} x{n}" for k, n in sorted(translate.items()))
        return (f"the translation engine failed on every segment ({reasons}); check the engine, or pass "
                "--allow-empty to publish anyway")
    if published is None or not (published / "manifest.json").is_file() or policy.allow_shrink:
        return None
    before, after = _read(published, "manifest.json").get("pairs") or 0, manifest.get("pairs") or 0
    if before and after < before * (1 - policy.max_shrink):
        return (f"the new corpus has {after} pairs, the published one {before} ({100 * (before - after) / before:.0f}% "
                f"fewer, more than max_shrink={policy.max_shrink:g}); pass --allow-shrink to publish it anyway")
    return None
