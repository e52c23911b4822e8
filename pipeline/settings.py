"""The one place the pipeline's settings live, as a Dagster resource.

Every asset reads paths and knobs from :class:`PipelineSettings`, so the UI's
launchpad, the CLI and the tests configure a run the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipeline.core.ingest.file_outputs import FileOutputStore, RecordSettings
from pipeline.core.ingest.hash_cache import HashCache
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.store.card import DEFAULT_LICENSE
from pipeline.core.validate.expectation_settings import ExpectationSettings

DATA_DIR_ENV = "PAPERS_PIPELINE_DATA_DIR"
DEFAULT_DATA_DIR = "data"


def default_data_dir() -> str:
    """``$PAPERS_PIPELINE_DATA_DIR``, else ``./data``, as an absolute path."""
    return str(Path(os.environ.get(DATA_DIR_ENV, DEFAULT_DATA_DIR)).resolve())


class PipelineSettings(dg.ConfigurableResource):
    """Where the raw scrapes are read from and where versions are published."""

    data_dir: str = DEFAULT_DATA_DIR
    json_fields: dict[str, list[str]] = {}  # noqa: RUF012 (pydantic copies defaults)
    """Extra field paths for generic JSON scrapes, tried before the defaults, e.g.
    ``{"title": ["name"], "abstract": ["description"], "arxiv_id": ["ids.arxiv"]}``."""

    languages: list[str] = ["en"]  # noqa: RUF012
    """Abstract languages the dataset accepts; others are rejected. Empty: accept all."""
    workers: int = 0
    """Worker processes for language detection; 0 uses every core."""
    keep_versions: int = 0
    """Keep only the newest N versions after a publish (never LATEST); 0 keeps all."""
    title_min_chars: int = 3
    title_max_chars: int = 400
    abstract_min_chars: int = 50
    abstract_max_chars: int = 10_000
    """Length bounds: a record outside them is rejected; a paper outside them fails the
    checks."""
    max_reject_rate: float = 0.5
    """Largest share of records that may be rejected before a version is refused."""
    max_duplicate_rate: float = 0.9
    min_language_share: float = 0.95
    """Smallest share of papers whose language is in ``languages``."""
    near_threshold: float | None = 0.5
    """Shingle Jaccard from which two texts are near duplicates (one paper); None: off."""
    canonical_preference: list[str] = ["longest_abstract", "latest_sighting"]  # noqa: RUF012
    """How a paper's canonical record is chosen, in order of precedence, from
    ``longest_abstract``, ``shortest_abstract``, ``latest_sighting``,
    ``earliest_sighting``; the first position (file, index) breaks the last tie."""
    max_cluster_size: int = 100
    """A paper with more records than this fails a blocking check (chaining guard)."""
    max_row_drop: float = 0.5
    """Largest fall in papers against the previous version before a publish is refused."""
    license: str = DEFAULT_LICENSE
    """The licence the dataset card of each new version states (a Hugging Face licence
    id such as ``cc-by-4.0``); ``unknown`` by default: the scraped texts' licences vary."""

    def output_config(self) -> dict:
        """The settings that shape a version's content (not where files live or how many
        workers compute them): part of the inputs fingerprint."""
        return self.model_dump(exclude={"data_dir", "workers", "keep_versions"})

    def record_settings(self) -> RecordSettings:
        """What shapes each file's transformed records: part of their stored entries' key."""
        return RecordSettings(
            field_map=self.field_map, languages=tuple(self.languages), bounds=self.expectations()
        )

    def file_outputs(self) -> FileOutputStore:
        """Each raw file's transformed records, kept between runs."""
        return FileOutputStore(self.processed_dir / "_files", self.record_settings())

    def expectations(self, previous_papers: int | None = None) -> ExpectationSettings:
        """The bounds shared by the record rules and the Great Expectations suites."""
        return ExpectationSettings(
            title_min_chars=self.title_min_chars,
            title_max_chars=self.title_max_chars,
            abstract_min_chars=self.abstract_min_chars,
            abstract_max_chars=self.abstract_max_chars,
            max_reject_rate=self.max_reject_rate,
            max_duplicate_rate=self.max_duplicate_rate,
            languages=tuple(self.languages),
            min_language_share=self.min_language_share,
            max_row_drop=self.max_row_drop,
            previous_papers=previous_papers,
        )

    @property
    def field_map(self) -> dict[str, tuple[str, ...]]:
        """The generic JSON reader's field paths: configured ones first, then defaults."""
        return {
            name: (*self.json_fields.get(name, ()), *defaults)
            for name, defaults in DEFAULT_FIELD_MAP.items()
        }

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
