"""Where a run's settings come from, and the Dagster resource that hands them to assets.

The settings themselves (types, bounds, defaults) are declared once, in
:mod:`pipeline.core.config`. This module resolves them for a data directory, with this
precedence for the settings file:

1. ``--config FILE`` of the command line (the resource's ``config_file``);
2. ``$PAPERS_PIPELINE_CONFIG``;
3. ``DIR/pipeline.toml`` beside ``raw/`` and ``processed/`` (the data directory carries
   its own settings, so the CLI, cron, the UI, the schedule and the sensor agree);
4. the defaults.

A launchpad override (a resource field set in a run's config) wins over the file for
that run. Every value's origin is kept, for the manifest and ``pipeline config``.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import dagster as dg
from pydantic import Field, create_model

from pipeline.core.config import PipelineConfig, SettingsError, setting_field, setting_groups
from pipeline.core.ingest.entries import FileOutputStore, RecordSettings
from pipeline.core.ingest.hash_cache import HashCache
from pipeline.core.store.versions import VersionStore
from pipeline.core.validate.expectation_settings import ExpectationSettings

DATA_DIR_ENV = "PAPERS_PIPELINE_DATA_DIR"
CONFIG_ENV = "PAPERS_PIPELINE_CONFIG"
CONFIG_FILE_NAME = "pipeline.toml"
DEFAULT_DATA_DIR = "data"
# A settings file is a few hundred bytes; a bound keeps a wrong path (a log, a dump)
# from being read whole.
MAX_CONFIG_BYTES = 1024 * 1024
SOURCE_DEFAULT = "default"
SOURCE_OVERRIDE = "override"


def default_data_dir() -> str:
    """``$PAPERS_PIPELINE_DATA_DIR``, else ``./data``, as an absolute path."""
    return str(Path(os.environ.get(DATA_DIR_ENV, DEFAULT_DATA_DIR)).resolve())


@dataclass(frozen=True)
class ResolvedSettings:
    """The settings of a run, where each came from, and the file that was read."""

    config: PipelineConfig
    sources: dict[str, str]
    file: Path | None

    def record(self) -> dict[str, Any]:
        """What a manifest keeps: every value and its source."""
        return {
            "file": None if self.file is None else str(self.file),
            "values": self.config.flat(),
            "sources": self.sources,
        }


def settings_file(data_dir: Path, config_file: str | Path | None = None) -> Path | None:
    """The file to read, by the precedence above; None when there is none.

    A file named explicitly (flag or environment) must exist; ``DIR/pipeline.toml`` is
    optional.
    """
    named = config_file or os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            origin = "--config" if config_file else f"${CONFIG_ENV}"
            raise SettingsError("config", str(named), f"no such settings file (from {origin})")
        return path
    default = data_dir / CONFIG_FILE_NAME
    return default.resolve() if default.is_file() else None


def read_settings_file(path: Path) -> dict[str, Any]:
    """The flat keys of a TOML settings file; one-line errors for unreadable files."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise SettingsError("config", str(path), f"larger than {MAX_CONFIG_BYTES} bytes")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError("config", str(path), f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError("config", str(path), f"unreadable: {exc}") from None


def resolve_settings(
    data_dir: Path,
    config_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> ResolvedSettings:
    """Defaults, then the settings file, then ``overrides``: validated, with sources.

    Raises :class:`SettingsError` (one line: key, value, what is allowed, where it came
    from) for anything that cannot be used, before any stage runs.
    """
    path = settings_file(data_dir, config_file)
    from_file = read_settings_file(path) if path else {}
    origin = f"file {path}"
    try:
        PipelineConfig.from_flat(from_file)
    except SettingsError as exc:
        raise exc.located(origin) from None
    overrides = overrides or {}
    try:
        config = PipelineConfig.from_flat({**from_file, **overrides})
    except SettingsError as exc:
        raise exc.located(SOURCE_OVERRIDE if exc.key in overrides else origin) from None
    sources = {
        key: SOURCE_OVERRIDE if key in overrides else origin if key in from_file else SOURCE_DEFAULT
        for key in setting_groups()
    }
    return ResolvedSettings(config=config, sources=sources, file=path)


class _SettingsBase(dg.ConfigurableResource):
    """Where the raw scrapes are read from and where versions are published; the
    settings of the run are :meth:`resolved` from the data directory's settings file
    and any launchpad override (the other fields of this resource)."""

    data_dir: str = DEFAULT_DATA_DIR
    config_file: Optional[str] = None  # noqa: UP045 (Dagster's config schema needs Optional)
    """A settings file to read instead of ``$PAPERS_PIPELINE_CONFIG`` or
    ``<data_dir>/pipeline.toml``."""

    def overrides(self) -> dict[str, Any]:
        """The settings this run's config sets explicitly."""
        return {key: value for key in setting_groups() if (value := getattr(self, key)) is not None}

    def resolved(self) -> ResolvedSettings:
        return resolve_settings(self.root, self.config_file, self.overrides())

    def config(self) -> PipelineConfig:
        """The validated settings of this run (read from the file each time: a settings
        file edited between runs applies to the next run without reloading the code)."""
        return self.resolved().config

    def output_config(self) -> dict:
        """The settings that shape a version's content: part of the inputs fingerprint."""
        return self.config().output_config()

    def record_settings(self, config: PipelineConfig | None = None) -> RecordSettings:
        """What shapes each file's transformed records: part of their stored entries' key."""
        config = config or self.config()
        return RecordSettings(
            field_map=config.field_map,
            languages=tuple(config.language.languages),
            bounds=config.expectations(),
        )

    def file_outputs(self, config: PipelineConfig | None = None) -> FileOutputStore:
        """Each raw file's transformed records, kept between runs."""
        return FileOutputStore(self.processed_dir / "_files", self.record_settings(config))

    def expectations(self, config: PipelineConfig | None = None) -> ExpectationSettings:
        """The bounds of the Great Expectations suites for the next version: the
        record rules' bounds, and the latest version's papers as the base of the
        row-count-drop expectation."""
        config = config or self.config()
        return config.expectations(VersionStore(self.store_root).latest_rows("papers"))

    @property
    def root(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def raw_dir(self) -> Path:
        """Raw scrapes, one file per scrape: ``<data_dir>/raw``."""
        return self.root / "raw"

    @property
    def processed_dir(self) -> Path:
        return self.root / "processed"

    @property
    def store_root(self) -> Path:
        """The versioned dataset: ``<data_dir>/processed/papers``."""
        return self.processed_dir / "papers"

    @property
    def language_cache(self) -> Path:
        """Language per content hash, kept between runs: ``<data_dir>/processed/_cache``."""
        return self.processed_dir / "_cache" / "language.parquet"

    @property
    def hash_cache_file(self) -> Path:
        """sha256 of the raw files by stat, kept between runs:
        ``<data_dir>/processed/_cache/file_hashes.json``."""
        return self.processed_dir / "_cache" / "file_hashes.json"

    def hash_cache(self) -> HashCache:
        return HashCache(self.hash_cache_file)

    @property
    def near_index_dir(self) -> Path:
        """MinHash signatures and verified similarities by text, kept between runs:
        ``<data_dir>/processed/_cache/near``."""
        return self.processed_dir / "_cache" / "near"

    @property
    def evidence_dir(self) -> Path:
        """The latest validation's validation.json and Data Docs, until a publish copies
        them into the version."""
        return self.asset_dir / "validation"

    @property
    def asset_dir(self) -> Path:
        """Intermediate tables handed between assets: ``<data_dir>/processed/_assets``."""
        return self.processed_dir / "_assets"


def _override_type(annotation: Any) -> Any:
    """The launchpad type of a setting: Dagster's config schema knows neither Literal
    nor unions, so those widen (to str, or to Any for "a number or false"); the core
    model still validates the value."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return str
    if origin in (typing.Union, types.UnionType):
        return Any
    if origin is list:
        return list[_override_type(typing.get_args(annotation)[0])]
    return annotation


def _override_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in setting_groups():
        info = setting_field(key)
        kind = _override_type(info.annotation)
        kind = kind if kind is Any else Optional[kind]  # noqa: UP045
        description = f"Override for this run (default: the settings file). {info.description}"
        fields[key] = (kind, Field(None, description=description))
    return fields


PipelineSettings = create_model(  # one launchpad field per setting, generated from its type
    "PipelineSettings", __base__=_SettingsBase, __module__=__name__, **_override_fields()
)
PipelineSettings.__doc__ = _SettingsBase.__doc__
