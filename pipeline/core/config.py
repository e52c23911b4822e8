"""The pipeline's settings as one validated model, grouped by the stage that reads them.

Every setting is declared here once: its type, its bounds, its default and a docstring
that ``python -m pipeline config --init`` turns into the comment of a commented
``pipeline.toml``. Users write the settings as flat keys (``near_threshold = 0.6``),
the names the README and the launchpad use; the groups are how the code hands each
stage only what it reads (:meth:`PipelineConfig.from_flat`, :meth:`PipelineConfig.flat`).

Pure: pydantic only. Where the values come from (defaults, a file, a launchpad
override) is :mod:`pipeline.settings`' business.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.transform.language import DEFAULT_ENGINE, Engine
from pipeline.core.validate.expectation_settings import ExpectationSettings

CanonicalCriterion = Literal[
    "longest_abstract", "shortest_abstract", "latest_sighting", "earliest_sighting"
]
# TOML has no null: the near tier is switched off with ``near_threshold = false`` (or
# "off"); in Python None says the same.
NEAR_OFF_SPELLINGS = (False, "off", "none")


class _Group(BaseModel):
    """A settings group: unknown keys are errors (a typo is never ignored), values are
    checked on assignment too, and attribute docstrings become field descriptions."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, strict=False
    )


@cache
def langdetect_languages() -> frozenset[str]:
    """The language codes langdetect has profiles for (read from its package data, so
    no detector is loaded)."""
    profiles = resources.files("langdetect").joinpath("profiles")
    return frozenset(entry.name for entry in profiles.iterdir())


class InputConfig(_Group):
    """How structured scrapes (generic JSON) are read."""

    json_fields: dict[str, list[str]] = Field(default_factory=dict)
    """Extra field paths for generic JSON scrapes, tried before the built-in ones, e.g.
    ``abstract = ["details.abstract"]`` for a scraper that nests the abstract. Keys:
    the record fields (title, abstract, arxiv_id, doi, authors, published, repo_url,
    scraped). CSV and TSV columns are found by the same paths."""

    @field_validator("json_fields")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(DEFAULT_FIELD_MAP))
        if unknown:
            allowed = ", ".join(sorted(DEFAULT_FIELD_MAP))
            raise ValueError(f"unknown record field {unknown[0]!r}: use one of {allowed}")
        for name, paths in value.items():
            if not paths or any(not p.strip() for p in paths):
                raise ValueError(f"{name}: give one or more non-empty dotted paths")
        return value


class RecordRulesConfig(_Group):
    """Length bounds: a record outside them is rejected, a paper outside them fails the
    dataset checks (the record rules mirror the checks, so one record costs itself)."""

    title_min_chars: int = Field(3, ge=0)
    """Shortest title, in characters."""
    title_max_chars: int = Field(400, ge=1)
    """Longest title, in characters."""
    abstract_min_chars: int = Field(50, ge=0)
    """Shortest abstract, in characters."""
    abstract_max_chars: int = Field(10_000, ge=1)
    """Longest abstract, in characters."""

    @model_validator(mode="after")
    def _ordered(self) -> RecordRulesConfig:
        for kind in ("title", "abstract"):
            low, high = getattr(self, f"{kind}_min_chars"), getattr(self, f"{kind}_max_chars")
            if low > high:
                raise ValueError(f"{kind}_min_chars ({low}) exceeds {kind}_max_chars ({high})")
        return self


class LanguageConfig(_Group):
    """Which abstract languages the dataset accepts."""

    languages: list[str] = Field(default_factory=lambda: ["en"])
    """langdetect codes of the accepted abstract languages (en, de, zh-cn, ...); others
    are rejected. Empty: accept every language."""
    min_language_share: float = Field(0.95, ge=0.0, le=1.0)
    """Smallest share of papers whose language is in ``languages``, or a version is
    refused."""

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        known = langdetect_languages()
        for code in value:
            if code not in known:
                raise ValueError(f"unknown language {code!r}: use langdetect's codes, e.g. en, de")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class NearDuplicateConfig(_Group):
    """The near-duplicate tier of deduplication."""

    near_threshold: float | None = Field(0.5, gt=0.0, le=1.0)
    """Word-3-shingle Jaccard similarity from which two texts are one paper; false (or
    "off") switches the near tier off, leaving exact content, arXiv id and DOI."""

    @field_validator("near_threshold", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in NEAR_OFF_SPELLINGS:
            return None
        return None if value is False else value


class CanonicalConfig(_Group):
    """Which record of a paper gives its canonical title and abstract."""

    canonical_preference: list[CanonicalCriterion] = Field(
        default_factory=lambda: ["longest_abstract", "latest_sighting"], min_length=1
    )
    """Criteria in order of precedence, from longest_abstract, shortest_abstract,
    latest_sighting, earliest_sighting; the first position (file, index) breaks the
    last tie."""

    @field_validator("canonical_preference")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a criterion is listed twice")
        return value


class GatesConfig(_Group):
    """The bounds that refuse a version (blocking checks)."""

    max_reject_rate: float = Field(0.5, ge=0.0, le=1.0)
    """Largest share of records that may be rejected."""
    max_duplicate_rate: float = Field(0.9, ge=0.0, le=1.0)
    """Largest share of records that may be duplicates."""
    max_row_drop: float = Field(0.5, ge=0.0, le=1.0)
    """Largest fall in papers against the previous version."""
    max_cluster_size: int = Field(100, ge=1)
    """Largest number of records one paper may have (a guard against chained merges)."""


class RetentionConfig(_Group):
    """How many versions are kept."""

    keep_versions: int = Field(0, ge=0)
    """Keep only the newest N versions after a publish (LATEST is never removed); 0
    keeps all."""


class CardConfig(_Group):
    """What each version's dataset card (README.md) states beyond the data."""

    license: str = Field("unknown", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.+-]+$")
    """The licence the card of each new version states, as a Hugging Face licence id
    (cc-by-4.0, mit, other, ...); unknown by default: the scraped texts' licences vary.
    It describes a version, it does not change its content: a new value shows on the
    next version published."""


class ExecutionConfig(_Group):
    """How much of the machine a run uses (never what it computes)."""

    workers: int = Field(0, ge=0, le=1024)
    """Cores a run uses: worker processes for its new or changed files when they make
    more than one batch, else threads for language detection; 0 uses every core the
    process may run on (with no more workers than the available memory holds batches)."""
    language_engine: Engine = DEFAULT_ENGINE
    """How languages are detected: "compiled" (langdetect's detection compiled with
    numba), "langdetect" (the package itself, the reference) or "auto" (compiled from
    ``language.AUTO_COMPILED_MIN_TEXTS`` texts on, else langdetect, which is done first
    on so few). All give langdetect's answers bit for bit (tests hold it), so the
    choice is in no fingerprint."""


class PipelineConfig(_Group):
    """Every setting, by the stage that reads it."""

    input: InputConfig = Field(default_factory=InputConfig)
    rules: RecordRulesConfig = Field(default_factory=RecordRulesConfig)
    language: LanguageConfig = Field(default_factory=LanguageConfig)
    near: NearDuplicateConfig = Field(default_factory=NearDuplicateConfig)
    canonical: CanonicalConfig = Field(default_factory=CanonicalConfig)
    gates: GatesConfig = Field(default_factory=GatesConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    card: CardConfig = Field(default_factory=CardConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)

    @classmethod
    def from_flat(cls, values: Mapping[str, Any]) -> PipelineConfig:
        """The model from flat keys; raises :class:`SettingsError` naming the first bad
        key, the value given and what is allowed."""
        groups = setting_groups()
        grouped: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            if key not in groups:
                raise SettingsError(key, value, _unknown_key_hint(key))
            grouped.setdefault(groups[key], {})[key] = value
        try:
            return cls(**grouped)
        except ValidationError as exc:
            raise SettingsError.from_validation(exc, values) from None

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name, as a user would write it."""
        return {key: value for group in self._groups() for key, value in group}

    def _groups(self) -> Iterator[Iterator[tuple[str, Any]]]:
        for name in type(self).model_fields:
            yield iter(getattr(self, name).model_dump().items())

    def output_config(self) -> dict[str, Any]:
        """The settings that shape a version's content (not how many workers compute it,
        how long versions are kept or what its card says): part of the inputs
        fingerprint."""
        shaping = self.model_dump(exclude={"execution", "retention", "card"})
        return {key: value for group in shaping.values() for key, value in group.items()}

    def expectations(self, previous_papers: int | None = None) -> ExpectationSettings:
        """The bounds shared by the record rules and the Great Expectations suites."""
        return ExpectationSettings(
            **self.rules.model_dump(),
            max_reject_rate=self.gates.max_reject_rate,
            max_duplicate_rate=self.gates.max_duplicate_rate,
            max_row_drop=self.gates.max_row_drop,
            languages=tuple(self.language.languages),
            min_language_share=self.language.min_language_share,
            previous_papers=previous_papers,
        )

    @property
    def field_map(self) -> dict[str, tuple[str, ...]]:
        """The generic JSON reader's field paths: configured ones first, then defaults."""
        configured = self.input.json_fields
        return {
            name: (*configured.get(name, ()), *defaults)
            for name, defaults in DEFAULT_FIELD_MAP.items()
        }


@cache
def setting_groups() -> dict[str, str]:
    """Each flat setting name and the group that holds it."""
    out: dict[str, str] = {}
    for group, info in PipelineConfig.model_fields.items():
        for key in info.annotation.model_fields:  # type: ignore[union-attr]
            out[key] = group
    return out


def setting_field(key: str) -> Any:
    """The pydantic field of a flat setting: its type, default and description."""
    group = PipelineConfig.model_fields[setting_groups()[key]].annotation
    return group.model_fields[key]  # type: ignore[union-attr]


def default_value(key: str) -> Any:
    """A setting's default, from its one declaration."""
    return setting_field(key).get_default(call_default_factory=True)


def default_expectations() -> ExpectationSettings:
    """The default bounds, for callers of the core that pass none."""
    return PipelineConfig().expectations()


def _unknown_key_hint(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, setting_groups(), n=1)
    return f"unknown setting (did you mean {close[0]!r}?)" if close else "unknown setting"


class SettingsError(ValueError):
    """A setting that cannot be used, as one line: the key, the value given, what is
    allowed. Raised before any stage runs."""

    def __init__(self, key: str, value: Any, allowed: str, origin: str | None = None) -> None:
        self.key, self.value, self.allowed, self.origin = key, value, allowed, origin
        where = f" ({origin})" if origin else ""
        super().__init__(f"setting {key} = {value!r}{where}: {allowed}")

    def located(self, origin: str) -> SettingsError:
        """The same error, saying where the value came from (a file, an override)."""
        return SettingsError(self.key, self.value, self.allowed, origin)

    @classmethod
    def from_validation(cls, exc: ValidationError, values: Mapping[str, Any]) -> SettingsError:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        groups = setting_groups()
        key = next((part for part in loc if part in groups), None)
        if key is None:  # a rule across a group's fields: name the first one given
            group = loc[0] if loc else ""
            key = next((k for k in values if groups.get(k) == group), group or "?")
        message = error["msg"].removeprefix("Value error, ")
        if error.get("type") == "missing" and "input" in error:
            message = "missing"
        return cls(key, values.get(key, error.get("input")), message)
