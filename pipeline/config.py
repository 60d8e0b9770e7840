"""Configuration: a YAML file loaded into frozen, validated ``msgspec`` structs, checked when loaded.

Unknown keys, wrong types, out-of-range or non-finite numbers, unknown names (engines, languages, repair
rules) and cross-field contradictions are rejected at load time with the file and key named, never halfway
through a run. Relative paths in a config file (glossary, dictionary, argos packages) resolve against the
folder of that file, and every file a config names must exist. The shipped default config and glossary are
package data (``pipeline/resources/``), so an installed wheel works from any folder.

``Config.fingerprint(*sections)`` hashes the settings of those sections *and the contents of the files they
name*, so editing the glossary makes exactly the stages that read it (and the ones after) stale.
"""
from __future__ import annotations

import hashlib
import math
import os
import typing
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml


class ConfigError(ValueError):
    """A configuration file is missing, malformed, or names an unknown key or a bad value."""


def default_config_path() -> Path:
    """The shipped default config (package data; the repository's ``configs/pipeline.yaml`` links to it)."""
    return Path(str(resources.files("pipeline.resources").joinpath("pipeline.yaml")))


# Languages the pipeline can name (ISO 639-1): those the detectors model.
KNOWN_LANGUAGES = frozenset("""
af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl no pa pl
pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh
""".split())

NonNeg = Annotated[int, msgspec.Meta(ge=0)]
Pos = Annotated[int, msgspec.Meta(ge=1)]
NonNegFloat = Annotated[float, msgspec.Meta(ge=0)]
Unit = Annotated[float, msgspec.Meta(ge=0, le=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=86_400)]


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A config section: frozen, unknown keys rejected."""

    def check(self, where: str) -> None:
        """Cross-field checks (after types and bounds); raise ConfigError naming ``where``."""


class IngestConfig(Section):
    fix_encoding: bool = True  # run ftfy (mojibake, HTML entities, ...)
    max_bytes: Pos = 64 * 1024 * 1024  # larger inputs are rejected with a reason
    # one line longer than this is a dump or minified data, not an article: rejected before ftfy, so a
    # 50 MB single line costs a read, not minutes in every stage
    max_line_bytes: Pos = 1_000_000


class SegmentationConfig(Section):
    split_sentences: bool = True
    heading_max_words: Pos = 14


class LangIdConfig(Section):
    languages: tuple[str, ...] = ("es", "en")
    seed: NonNeg = 0
    # Below this confidence a segment is 'und' (too little evidence) unless context decides it.
    min_confidence: Unit = 0.5
    use_context: bool = True
    # Languages reported as themselves when the n-gram detectors agree (never forced into es/en).
    other_languages: tuple[str, ...] = ("pt", "it", "fr", "ca", "de", "nl", "ro", "ru")
    other_min_words: NonNeg = 3  # shorter texts are never called a third language
    use_lingua: bool = True  # lingua-language-detector in the ensemble (langdetect alone when false)
    langdetect_weight: NonNegFloat = 1.0  # weights of each detector's es/en log-odds
    lingua_weight: NonNegFloat = 1.0
    temperature: Annotated[float, msgspec.Meta(gt=0)] = 1.0  # log-odds scale for the confidence
    context_weight: NonNegFloat = 2.5  # most log-odds a document's context may add to a weak segment

    use_tagger: bool = True  # token-level es/en tagger (pipeline/langid/tagger.py) for es/en spans
    fast_margin: NonNegFloat = 8.0  # single-language lines with this much tagger evidence skip langdetect/lingua
    tagger_weight: NonNegFloat = 2.0  # weight of the tagger's log-odds next to the ensemble below fast_margin
    # lingua in the es/en decision of weak lines too (it always confirms third languages); off: its
    # start-up (~2 s) costs more than it adds next to the tagger (benchmarks/langid_public.py)
    lingua_in_pair: bool = False

    def check(self, where: str) -> None:
        if not self.languages:
            raise ConfigError(f"{where}.languages: name at least one language")
        for key in ("languages", "other_languages"):
            unknown = sorted(set(getattr(self, key)) - KNOWN_LANGUAGES)
            if unknown:
                raise ConfigError(f"{where}.{key}: unknown language code(s) {', '.join(unknown)} "
                                  f"(ISO 639-1, one of {', '.join(sorted(KNOWN_LANGUAGES))})")
        both = sorted(set(self.languages) & set(self.other_languages))
        if both:
            raise ConfigError(f"{where}: {', '.join(both)} in both languages and other_languages")


class ArgosConfig(Section):
    packages_dir: str = ""  # empty: ARGOS_PACKAGES_DIR or argostranslate's default; relative: to this file
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "auto"  # as upstream: CTranslate2 picks the fastest type (int8 on most CPUs)
    beam_size: Pos = 2
    max_batch_size: Pos = 32
    inter_threads: Pos = 1
    intra_threads: NonNeg = 0  # 0: CTranslate2 picks
    max_input_tokens: Pos = 200
    # Decoding stops at ratio x input tokens + extra (a model normally ends at EOS well before).
    max_decoding_ratio: Annotated[float, msgspec.Meta(gt=0, le=100)] = 2.0
    max_decoding_extra: NonNeg = 10


class ApertiumConfig(Section):
    command: str = "apertium"
    timeout_s: Seconds = 120.0


class CacheConfig(Section):
    enabled: bool = True
    path: str = ".cache/translations.sqlite3"  # relative paths are under the output root
    max_entries: Pos = 200_000  # per level (engine outputs of pieces; whole assembled segments)
    memory_entries: NonNeg = 4096  # in-process LRU of whole segments, in front of sqlite


class TranslationConfig(Section):
    engine: Literal["auto", "argos", "apertium"] = "auto"
    glossary: str = ""  # a glossary YAML (relative: to this config file); empty for none
    max_chars: Pos = 1000  # longer segments are split and rejoined
    timeout_s: Seconds = 120.0  # per batch; a hung engine fails the batch, then segments one by one
    argos: ArgosConfig = msgspec.field(default_factory=ArgosConfig)
    apertium: ApertiumConfig = msgspec.field(default_factory=ApertiumConfig)
    cache: CacheConfig = msgspec.field(default_factory=CacheConfig)


class RepairConfig(Section):
    rules: tuple[str, ...] = ()  # empty: every registered rule in its default order
    review_below: Unit = 0.5  # edits with lower confidence go to the review file instead
    structural_review: bool = True  # verb-first / doubled-subject rewrites flagged unless evidence is strong
    structural_strong: Unit = 0.8  # structural edits at or above this confidence count as strong evidence
    # hunspell word list. Empty: the system's en_US dictionary when installed (fewer case repairs, with a
    # warning, when it is not). A path given here must exist (relative: to this config file).
    dictionary: str = ""

    def check(self, where: str) -> None:
        if not self.rules:
            return  # every registered rule: nothing to look up (the rules import ftfy; line tools skip it)
        from pipeline.repair.rules import rule_names

        known = rule_names()
        unknown = [r for r in self.rules if r not in known]
        if unknown:
            raise ConfigError(f"{where}.rules: unknown rule(s) {', '.join(unknown)}; known: {', '.join(known)}")
        if len(set(self.rules)) != len(self.rules):
            raise ConfigError(f"{where}.rules: a rule is listed twice")


class FilterConfig(Section):
    dedup: bool = True
    near_dedup: bool = True
    min_chars: NonNeg = 2
    max_chars: Pos = 2000
    max_length_ratio: Annotated[float, msgspec.Meta(ge=1)] = 3.0  # longer/shorter side, in characters
    length_ratio_min_chars: NonNeg = 15  # the ratio is checked only when the longer side is this long
    reject_untranslated: bool = True
    check_numbers: bool = True
    check_urls: bool = True
    # pairs whose quality score (pipeline/corpus/quality.py, in [0, 1]) is below this are rejected as
    # filter:min_quality; 0 keeps every pair (each still carries its score)
    min_quality: Unit = 0.0
    # the quality score's round trip: each pair's machine-translated side translated back by the engine (a
    # second full engine pass; the score's strongest part). false: scored by the other parts alone, with
    # the quality model's weights for that case, and quality.round_trip null: about half the engine time
    round_trip: bool = True

    def check(self, where: str) -> None:
        if self.min_chars > self.max_chars:
            raise ConfigError(f"{where}: min_chars ({self.min_chars}) is greater than max_chars ({self.max_chars})")


SECTIONS = ("ingest", "segmentation", "langid", "translation", "repairs", "filters")

# Settings that name files: (section, key). Their contents are part of the section's fingerprint.
FILE_SETTINGS = (("translation", "glossary"), ("repairs", "dictionary"))
# Data files shipped in the package that a section's stage reads (models, word lists): their contents are
# part of that section's fingerprint too.
SECTION_DATA = {"langid": ("pipeline.langid", "pipeline.resources"),
                "segmentation": ("pipeline.resources",),
                "repairs": ("pipeline.repair", "pipeline.resources")}
SYSTEM_DICTIONARY = "/usr/share/hunspell/en_US.dic"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    ingest: IngestConfig = msgspec.field(default_factory=IngestConfig)
    segmentation: SegmentationConfig = msgspec.field(default_factory=SegmentationConfig)
    langid: LangIdConfig = msgspec.field(default_factory=LangIdConfig)
    translation: TranslationConfig = msgspec.field(default_factory=TranslationConfig)
    repairs: RepairConfig = msgspec.field(default_factory=RepairConfig)
    filters: FilterConfig = msgspec.field(default_factory=FilterConfig)
    source: str = ""  # the file it was loaded from (set by load_config, not read from YAML)

    def section_settings(self, name: str) -> dict[str, Any]:
        return msgspec.to_builtins(getattr(self, name))

    def fingerprint(self, *sections: str) -> str:
        """Stable hash of the named sections (all when none are named): their settings and the contents of
        the files they name. Memoised per config object (frozen; every task of every document asks)."""
        return _fingerprint(self, sections)

    def with_engine(self, engine: str | None) -> "Config":
        """This config with ``translation.engine`` overridden (a command-line choice), checked."""
        if engine is None or engine == self.translation.engine:
            return self
        if engine not in ("auto", "argos", "apertium"):
            raise ConfigError(f"translation.engine: {engine!r} is not one of auto, argos, apertium")
        return msgspec.structs.replace(self, translation=msgspec.structs.replace(self.translation, engine=engine))


def _fingerprint(cfg: Config, sections: tuple[str, ...]) -> str:
    names = sections or SECTIONS
    files = {f"{s}.{k}": file_digest(effective_file(cfg, s, k)) for s, k in FILE_SETTINGS if s in names}
    data = {n: package_data_digest(SECTION_DATA[n]) for n in names if n in SECTION_DATA}
    payload = msgspec.json.encode({"settings": _settings_digest(cfg, names), "files": files, "data": data},
                                  order="sorted")
    return hashlib.sha256(payload).hexdigest()[:16]


@lru_cache(maxsize=64)
def _settings_digest(cfg: Config, names: tuple[str, ...]) -> str:
    payload = msgspec.json.encode({n: cfg.section_settings(n) for n in names}, order="sorted")
    return hashlib.sha256(payload).hexdigest()


def effective_file(cfg: Config, section: str, key: str) -> str:
    """The file a setting makes a stage read (an empty dictionary setting means the system's)."""
    value = getattr(getattr(cfg, section), key)
    if section == "repairs" and key == "dictionary" and not value:
        return SYSTEM_DICTIONARY
    return value


@lru_cache(maxsize=16)
def package_data_digest(packages: tuple[str, ...]) -> str:
    """Digest of the data files (not code: the package version covers code) shipped in ``packages``."""
    h = hashlib.sha256()
    for pkg in packages:
        root = Path(str(resources.files(pkg)))
        for f in sorted(root.rglob("*")):
            if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def file_digest(path: str) -> str:
    """sha256 of a named file's contents ('' for no file); cached by (path, size, mtime)."""
    if not path:
        return ""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return _digest(path, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _non_finite(value: Any, where: str) -> str | None:
    """Where a NaN or infinity hides in ``value`` (YAML's .nan / .inf), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{where}.{k}" if where else str(k))
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _non_finite(v, f"{where}[{i}]")
            if found:
                return found
    return None


def _resolve(base: Path, value: str) -> str:
    if not value:
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _resolve_paths(cfg: Config, base: Path, where: str) -> Config:
    """Relative file settings resolve against the config's folder; every named file must exist."""
    tr = cfg.translation
    glossary = _resolve(base, tr.glossary)
    if glossary and not Path(glossary).is_file():
        raise ConfigError(f"{where}: translation.glossary: file not found: {glossary}")
    packages = _resolve(base, tr.argos.packages_dir)
    dictionary = _resolve(base, cfg.repairs.dictionary)
    if dictionary and not Path(dictionary).is_file():
        raise ConfigError(f"{where}: repairs.dictionary: file not found: {dictionary}")
    return msgspec.structs.replace(
        cfg,
        translation=msgspec.structs.replace(tr, glossary=glossary,
                                            argos=msgspec.structs.replace(tr.argos, packages_dir=packages)),
        repairs=msgspec.structs.replace(cfg.repairs, dictionary=dictionary))


def parse_config(data: Any, where: str, base: Path) -> Config:
    """Validate a mapping (parsed YAML) into a Config; ``where`` names it in errors, ``base`` is the folder
    relative paths resolve against."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: top level must be a mapping")
    if "source" in data:
        raise ConfigError(f"{where}: unknown key(s) source")
    bad = _non_finite(data, "")
    if bad:
        raise ConfigError(f"{where}: {bad}: must be a finite number")
    try:
        cfg = msgspec.convert(data, Config, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {_describe(exc)}") from None
    for name in SECTIONS:
        getattr(cfg, name).check(f"{where}: {name}")
    return _resolve_paths(cfg, base, where)


def _describe(exc: msgspec.ValidationError) -> str:
    """msgspec's message with the path first: 'filters.min_chars: Expected `int`, got `str`'."""
    msg = str(exc)
    if " - at `$" in msg:
        text, path = msg.rsplit(" - at `$", 1)
        path = path.rstrip("`").lstrip(".")
        if text.startswith("Object contains unknown field"):
            field = text.split("`")[1]
            known = _known_keys(path)
            return f"{path + ': ' if path else ''}unknown key(s) {field}; known: {', '.join(known)}"
        if text.startswith("Invalid enum value"):
            choices = _choices(path)
            if choices:
                text += f"; choose one of {', '.join(choices)}"
        return f"{path}: {text}"
    if msg.startswith("Object contains unknown field"):
        return f"unknown key(s) {msg.split('`')[1]}; known: {', '.join(SECTIONS)}"
    return msg


def _field_type(path: str) -> Any:
    node: Any = Config
    for part in [p for p in path.split(".") if p]:
        if not (isinstance(node, type) and issubclass(node, msgspec.Struct)):
            return None
        node = {f.name: f.type for f in msgspec.structs.fields(node)}.get(part)
    return node


def _known_keys(path: str) -> list[str]:
    node = _field_type(path)
    if not (isinstance(node, type) and issubclass(node, msgspec.Struct)):
        return []
    return [f.name for f in msgspec.structs.fields(node) if f.name != "source"]


def _choices(path: str) -> list[str]:
    return [str(a) for a in typing.get_args(_field_type(path))]


# libyaml's parser where PyYAML was built with it (the same safe constructors; a tenth of the time)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_config(path: str | os.PathLike[str] | None = None, engine: str | None = None) -> Config:
    """Load and check a YAML config; ``None`` loads ``$PIPELINE_CONFIG`` or the shipped default.
    ``engine`` overrides ``translation.engine`` (the command line's ``--engine``) without writing a file."""
    if path is None or path == "":
        path = os.environ.get("PIPELINE_CONFIG") or default_config_path()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        data = yaml.load(p.read_bytes().decode("utf-8"), Loader=_YAML_LOADER)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    cfg = parse_config(data, str(p), p.resolve().parent)
    return msgspec.structs.replace(cfg, source=str(p.resolve())).with_engine(engine)
