"""Configuration: ``configs/*.yaml`` loaded into frozen dataclasses and checked when loaded.

Unknown keys and bad values are rejected at load time with the file and key named, never halfway
through a run. Each stage reads only its own section; ``fingerprint`` hashes a section so that changing a
setting marks exactly that stage's outputs (and what follows) stale.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.repair.registry import rule_names

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "configs" / "pipeline.yaml"


class ConfigError(ValueError):
    """A configuration file is missing, malformed, or names an unknown key or a bad value."""


@dataclass(frozen=True)
class IngestConfig:
    fix_encoding: bool = True  # run ftfy (mojibake, HTML entities, ...)
    max_bytes: int = 64 * 1024 * 1024  # larger inputs are rejected with a reason
    # one line longer than this is a dump or minified data, not an article: rejected before ftfy, so a
    # 50 MB single line costs a read, not minutes in every stage
    max_line_bytes: int = 1_000_000


@dataclass(frozen=True)
class SegmentationConfig:
    split_sentences: bool = True
    heading_max_words: int = 14


@dataclass(frozen=True)
class LangIdConfig:
    languages: tuple[str, ...] = ("es", "en")
    seed: int = 0
    # Below this confidence a segment is 'und' (too little evidence) unless context decides it.
    min_confidence: float = 0.5
    use_context: bool = True
    # Languages reported as themselves when the n-gram detectors agree (never forced into es/en).
    other_languages: tuple[str, ...] = ("pt", "it", "fr", "ca", "de", "nl", "ro", "ru")
    other_min_words: int = 3  # shorter texts are never called a third language
    use_lingua: bool = True  # lingua-language-detector in the ensemble (langdetect alone when false)
    langdetect_weight: float = 1.0  # weights of each detector's es/en log-odds
    lingua_weight: float = 1.0
    temperature: float = 1.0  # log-odds scale for the confidence (two-fold fit: see langid_bench.py)
    context_weight: float = 2.5  # most log-odds a document's context may add to a weak segment


@dataclass(frozen=True)
class ArgosConfig:
    packages_dir: str = ""  # empty: argostranslate's default (ARGOS_PACKAGES_DIR or ~/.local/share)
    device: str = "cpu"  # cpu | cuda | auto
    compute_type: str = "auto"  # as upstream: CTranslate2 picks the fastest type (int8 on most CPUs)
    beam_size: int = 2
    max_batch_size: int = 32
    inter_threads: int = 1
    intra_threads: int = 0  # 0: CTranslate2 picks
    max_input_tokens: int = 200
    # Decoding stops at ratio x input tokens + extra (a model normally ends at EOS well before).
    max_decoding_ratio: float = 2.0
    max_decoding_extra: int = 10


@dataclass(frozen=True)
class ApertiumConfig:
    command: str = "apertium"
    timeout_s: float = 120.0


@dataclass(frozen=True)
class CacheConfig:
    enabled: bool = True
    path: str = ".cache/translations.sqlite3"  # relative paths are under the output root
    max_entries: int = 200_000  # per level (engine outputs of pieces; whole assembled segments)
    memory_entries: int = 4096  # in-process LRU of whole segments, in front of sqlite


@dataclass(frozen=True)
class TranslationConfig:
    engine: str = "auto"  # auto | argos | apertium
    glossary: str = ""  # path to a glossary YAML; empty for none
    max_chars: int = 1000  # longer segments are split and rejoined
    timeout_s: float = 120.0  # per batch; a hung engine fails the batch, then segments one by one
    argos: ArgosConfig = field(default_factory=ArgosConfig)
    apertium: ApertiumConfig = field(default_factory=ApertiumConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)


@dataclass(frozen=True)
class RepairConfig:
    rules: tuple[str, ...] = ()  # empty: every registered rule in its default order
    review_below: float = 0.5  # edits with lower confidence go to the review file instead
    structural_review: bool = True  # verb-first / doubled-subject rewrites flagged unless evidence is strong
    structural_strong: float = 0.8  # structural edits at or above this confidence count as strong evidence
    dictionary: str = "/usr/share/hunspell/en_US.dic"  # hunspell word list; missing: fewer case repairs


@dataclass(frozen=True)
class FilterConfig:
    dedup: bool = True
    near_dedup: bool = True
    min_chars: int = 2
    max_chars: int = 2000
    max_length_ratio: float = 3.0  # longer/shorter side, in characters
    length_ratio_min_chars: int = 15  # the ratio is checked only when the longer side is this long
    reject_untranslated: bool = True
    check_numbers: bool = True
    check_urls: bool = True
    # pairs whose quality score (pipeline/corpus/quality.py, in [0, 1]) is below this are rejected as
    # filter:min_quality; 0 keeps every pair (each still carries its score)
    min_quality: float = 0.0


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)
    langid: LangIdConfig = field(default_factory=LangIdConfig)
    translation: TranslationConfig = field(default_factory=TranslationConfig)
    repairs: RepairConfig = field(default_factory=RepairConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    source: str = ""  # the file it was loaded from

    def fingerprint(self, *sections: str) -> str:
        """Stable hash of the named sections (all when none are named). Memoised: the config is frozen,
        and every task of every document asks for it."""
        memo = self.__dict__.get("_fingerprints")
        if memo is None:
            memo = {}
            object.__setattr__(self, "_fingerprints", memo)
        if sections not in memo:
            names = sections or tuple(f.name for f in dataclasses.fields(self) if f.name != "source")
            payload = {n: dataclasses.asdict(getattr(self, n)) for n in names}
            memo[sections] = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        return memo[sections]


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        return _build(tp, value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        (item_tp, *_rest) = typing.get_args(tp)
        return tuple(_coerce(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        for alt in typing.get_args(tp):
            try:
                return _coerce(alt, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: bad value {value!r}")
    if tp is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null")
        return None
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    return value


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs = {k: _coerce(hints[k], v, f"{where}.{k}") for k, v in data.items()}
    obj = cls(**kwargs)
    _validate(obj, where)
    return obj


_CHOICES = {
    ("TranslationConfig", "engine"): ("auto", "argos", "apertium"),
    ("ArgosConfig", "device"): ("cpu", "cuda", "auto"),
}


def _validate(obj: Any, where: str) -> None:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        choices = _CHOICES.get((type(obj).__name__, f.name))
        if choices and value not in choices:
            raise ConfigError(f"{where}.{f.name}: {value!r} is not one of {', '.join(choices)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{where}.{f.name}: must not be negative, got {value!r}")
    if isinstance(obj, LangIdConfig):
        if len(obj.languages) < 1:
            raise ConfigError(f"{where}.languages: name at least one language")
        if not 0.0 <= obj.min_confidence <= 1.0:
            raise ConfigError(f"{where}.min_confidence: must be in [0, 1]")
    if isinstance(obj, RepairConfig):
        known = rule_names()
        unknown = [r for r in obj.rules if r not in known]
        if unknown:
            raise ConfigError(f"{where}.rules: unknown rule(s) {', '.join(unknown)}; known: {', '.join(known)}")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and check a YAML config; ``None`` loads ``$PIPELINE_CONFIG`` or ``configs/pipeline.yaml``."""
    if path is None:
        path = os.environ.get("PIPELINE_CONFIG") or DEFAULT_CONFIG
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: top level must be a mapping")
    data = {k: v for k, v in data.items()}
    cfg = _build(Config, data, str(p))
    return dataclasses.replace(cfg, source=str(p.resolve()))
