"""The one place every table's schema is declared.

Each table of the pipeline has exactly one polars schema here. Stages build their
frames against it and :func:`conform` checks a frame before it is handed on or
written, so a column that drifts in name, type or order fails loudly at the stage
that broke it instead of in a user's query weeks later.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import polars as pl

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

SOURCE = pl.Struct({"file": pl.String, "index": pl.Int64, "line": pl.Int64})

# One row per input file found under the raw directory.
FILES = pl.Schema(
    {
        "source_file": pl.String,  # path relative to the raw dir, '/'-separated
        "sha256": pl.String,
        "n_bytes": pl.Int64,
        "format": pl.String,  # "text-dump", or "unknown" when rejected before parsing
        "status": pl.String,  # ok | empty | rejected
        "reason": pl.String,  # why empty / rejected; null when ok
        "n_records": pl.Int64,
        "scrape_date": pl.Date,  # a date in the file name (2026-11-23), else its mtime (UTC)
    }
)

# One row per title/abstract entry found by a reader, before any cleaning.
RAW_RECORDS = pl.Schema(
    {
        "source_file": pl.String,
        "source_sha256": pl.String,
        "scrape_date": pl.Date,  # the record's own scrape date when it has one, else the file's
        "record_index": pl.Int64,  # 0-based position of the entry in its file
        "line_start": pl.Int64,  # 1-based line of the title (of the abstract when no title)
        "line_end": pl.Int64,  # 1-based last line of the entry
        "title_raw": pl.String,  # as found, page chrome removed; null when missing
        "abstract_raw": pl.String,  # as found, wrapped lines joined with '\n'; null if missing
        "flags": pl.List(pl.String),  # parser observations, e.g. "undecodable_bytes"
        "format": pl.String,  # the reader: text-dump, hf-daily-papers, arxiv-snapshot, json
        "arxiv_id": pl.String,  # without version suffix; null when the source has none
        "doi": pl.String,  # lowercased, without resolver prefix
        "authors": pl.List(pl.String),
        "published_date": pl.Date,
        "repo_url": pl.String,  # a code repository the source names in a field of its own
        "parse_error": pl.String,  # why a structured record could not be read, with its line
    }
)

# What field extraction adds to every record, and papers take from their canonical record.
FIELDS = pl.Schema(
    {
        "code_urls": pl.List(pl.String),  # canonical repo URLs (GitHub, GitLab, HF, ...)
        "code_url": pl.String,  # the first of them
        "urls": pl.List(pl.String),  # every other URL, cleaned
        "arxiv_ids": pl.List(pl.String),  # arXiv ids the text refers to
        "code_promised": pl.Boolean,  # says code/models/data are or will be released
        "acronym": pl.String,  # the method's short name, when defined
        "datasets": pl.List(pl.String),  # canonical names from pipeline/vocab/datasets.csv
        "tasks": pl.List(pl.String),  # canonical names from pipeline/vocab/tasks.csv
        "n_words": pl.Int64,  # words in the abstract
        "is_reproduction": pl.Boolean,  # a "[Re] ..." reproduction report
        "superseded_by": pl.String,  # arXiv id of the newer version the abstract points to
        "language": pl.String,  # langdetect on the abstract (seeded)
        "language_prob": pl.Float64,
    }
)

# RAW_RECORDS plus cleaned text, keys and the record-level verdict of the rules.
NORMALIZED_RECORDS = pl.Schema(
    {
        **RAW_RECORDS,
        "title": pl.String,  # NFC, whitespace collapsed
        "abstract": pl.String,
        "title_key": pl.String,  # casefolded, punctuation-free: for matching
        "content_hash": pl.String,  # sha256 of the normalised title and abstract
        **FIELDS,
        "reason": pl.String,  # null, or why the record cannot be published (human detail)
        "reason_codes": pl.List(pl.String),  # the rules it broke (rules.REASON_CODES); []
    }
)

# The published record table: every raw record exactly once, with its fate.
RECORDS = pl.Schema(
    {
        **NORMALIZED_RECORDS,
        "status": pl.String,  # published | duplicate | rejected
        "paper_id": pl.String,  # null when rejected
        "duplicate_kind": pl.String,  # null | exact | near
        "matched_on": pl.String,  # what joined a duplicate: content_hash, arxiv_id, doi, similarity
        "similarity": pl.Float64,  # shingle Jaccard to the paper's canonical text (1.0 exact)
    }
)

# One row per paper.
PAPERS = pl.Schema(
    {
        "paper_id": pl.String,
        "title": pl.String,
        "abstract": pl.String,
        "title_key": pl.String,
        "content_hash": pl.String,
        "arxiv_id": pl.String,  # from any record of the paper
        "doi": pl.String,
        "authors": pl.List(pl.String),
        "published_date": pl.Date,  # the earliest any record states
        "repo_url": pl.String,
        **FIELDS,
        "n_records": pl.Int64,
        "n_variants": pl.Int64,  # distinct title/abstract versions (see VARIANTS)
        "first_seen": pl.Date,  # earliest scrape date among the paper's records
        "last_seen": pl.Date,
        "n_sightings": pl.Int64,  # distinct (raw file, scrape date) pairs it appeared in
        "sources": pl.List(SOURCE),
    }
)

# Every distinct title/abstract version of each paper: no version of a text is lost.
VARIANTS = pl.Schema(
    {
        "paper_id": pl.String,
        "content_hash": pl.String,
        "title": pl.String,
        "abstract": pl.String,
        "is_canonical": pl.Boolean,  # the version papers.parquet shows
        "similarity": pl.Float64,  # to the canonical version; null for the canonical
        "n_records": pl.Int64,
        "first_seen": pl.Date,
        "last_seen": pl.Date,
        "sources": pl.List(SOURCE),
    }
)

# Each record's fate as dedup decides it: RECORDS is NORMALIZED_RECORDS plus these
# columns, so a large records table can be written by pairing the stored normalised
# records with its fates, row by row, without holding both.
FATES = pl.Schema(
    {
        "source_file": pl.String,
        "record_index": pl.Int64,
        **{name: RECORDS[name] for name in ("status", "paper_id", "duplicate_kind")},
        **{name: RECORDS[name] for name in ("matched_on", "similarity")},
    }
)

# What each column of a published table means, in the words README's tables use: the
# dataset card, the report and the UI's column schema are generated from these.
_SHARED_DOCS = {
    "paper_id": "16 hex characters of the content hash of the paper's first sighting "
    "(earliest scrape date, then file and position): stable across runs and machines",
    "title": "clean text: Unicode NFC, whitespace collapsed, LaTeX remnants resolved",
    "abstract": "clean text: Unicode NFC, whitespace collapsed, LaTeX remnants resolved",
    "title_key": "lowercased, punctuation-free title, for matching",
    "content_hash": "sha256 of the title and abstract after NFC and whitespace collapsing",
    "arxiv_id": "arXiv id without version suffix (null for text dumps alone)",
    "doi": "DOI, lowercased, without resolver prefix",
    "authors": "author names as the source lists them",
    "published_date": "the earliest publication date a record states",
    "repo_url": "a code repository a source names in a field of its own (HF githubRepo)",
    "code_urls": "canonical repository URLs found in the text, and repo_url (GitHub, "
    "GitLab, Gitee, Bitbucket, Hugging Face)",
    "code_url": "the first of code_urls, or null",
    "urls": "every other URL in the text, cleaned",
    "arxiv_ids": "arXiv ids the text refers to (version suffix split off)",
    "code_promised": "the abstract says code, models or data are or will be released",
    "acronym": "the method's short name when the title or abstract defines one",
    "datasets": "canonical dataset names from pipeline/vocab/, matched on word boundaries",
    "tasks": "canonical task names from pipeline/vocab/, matched on word boundaries",
    "n_words": "words in the abstract",
    "is_reproduction": 'a "[Re] ..." reproduction report',
    "superseded_by": "the arXiv id of the newer version the abstract points to",
    "language": "langdetect on the abstract (seeded, reproducible)",
    "language_prob": "langdetect's probability for language",
    "first_seen": "the earliest scrape date of the paper's records",
    "last_seen": "the latest scrape date of the paper's records",
    "sources": "every raw record: file (relative to raw/), position in it, first line",
    "scrape_date": "the scrape's date: a date in the file name, else its modification time",
    "source_file": "the raw file, relative to raw/",
}
COLUMN_DOCS: dict[str, dict[str, str]] = {
    "papers": {
        **_SHARED_DOCS,
        "title": "the canonical version's title: " + _SHARED_DOCS["title"],
        "abstract": "the canonical version's abstract (the most complete abstract, then "
        "the latest sighting, then the first position): " + _SHARED_DOCS["abstract"],
        "arxiv_id": "from any record of the paper (null for text dumps alone)",
        "authors": "from the first record of the paper that lists them",
        "n_records": "raw records merged into this paper",
        "n_variants": "distinct title/abstract versions (rows in variants.parquet)",
        "n_sightings": "distinct raw files the paper appeared in: the trend signal",
    },
    "records": {
        **_SHARED_DOCS,
        "source_sha256": "sha256 of the raw file",
        "record_index": "0-based position of the entry in its file",
        "line_start": "1-based line of the title (of the abstract when no title)",
        "line_end": "1-based last line of the entry",
        "title_raw": "the title as found (page chrome removed); null when missing",
        "abstract_raw": "the abstract as found, wrapped lines kept; null when missing",
        "flags": "parser observations: undecodable_bytes, chrome_removed, wrapped_abstract",
        "format": "the reader: text-dump, hf-daily-papers, arxiv-snapshot, json",
        "parse_error": "why a structured record could not be read, with its line",
        "reason": "why a rejected record cannot be published; null otherwise",
        "reason_codes": "the stable codes of the rules a rejected record breaks "
        "(abstract_missing, bot_comment, language_not_allowed, ...); empty otherwise",
        "status": "published (the paper's canonical record), duplicate, or rejected",
        "paper_id": "the paper this record belongs to; null when rejected",
        "duplicate_kind": "null; exact (same normalised content as the canonical record) "
        "or near (different text: a revision, a retitle, formatting or LaTeX noise)",
        "matched_on": "for duplicates, what joined them: content_hash, arxiv_id, doi or similarity",
        "similarity": "word-3-shingle Jaccard similarity to the paper's canonical text "
        "(1.0 for exact copies; null when rejected)",
    },
    "variants": {
        **_SHARED_DOCS,
        "is_canonical": "the version papers.parquet shows",
        "similarity": "word-3-shingle Jaccard to the canonical version; null for it",
        "n_records": "raw records with this version's text",
        "first_seen": "the earliest scrape date of this version's records",
        "last_seen": "the latest scrape date of this version's records",
        "sources": "every raw record with this text: file, position, first line",
    },
    "files": {
        "source_file": "path relative to raw/, '/'-separated",
        "sha256": "sha256 of the file's bytes",
        "n_bytes": "size of the file",
        "format": "the detected format, or unknown when rejected before parsing",
        "status": "ok, empty or rejected",
        "reason": "why the file is empty or rejected; null when ok",
        "n_records": "records read from the file",
        "scrape_date": _SHARED_DOCS["scrape_date"],
    },
}


class SchemaMismatchError(ValueError):
    """A frame does not have the columns and types its table declares."""


def conform(df: Frame, schema: pl.Schema, table: str) -> Frame:
    """Return ``df`` (eager or lazy) with exactly ``schema``'s columns in order, or raise.

    Missing or extra columns and wrong types are programming errors in the stage that
    produced the frame, so they raise instead of being silently cast.
    """
    actual = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
    _check(actual, schema, table)
    return df.select(schema.names())


def conform_file(path: Path, schema: pl.Schema, table: str) -> Path:
    """Return ``path`` if the Parquet file there has exactly ``schema``, in order, or raise.
    Reads the file's footer only."""
    actual = pl.read_parquet_schema(path)
    _check(pl.Schema(actual), schema, table)
    if list(actual) != schema.names():
        raise SchemaMismatchError(f"table {table!r}: columns out of order in {path}")
    return path


def _check(actual: pl.Schema, schema: pl.Schema, table: str) -> None:
    missing = [c for c in schema.names() if c not in actual]
    extra = [c for c in actual.names() if c not in schema]
    wrong = [
        f"{name}: {actual[name]} (expected {dtype})"
        for name, dtype in schema.items()
        if name in actual and actual[name] != dtype
    ]
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    if wrong:
        problems.append(f"wrong types {wrong}")
    if problems:
        raise SchemaMismatchError(f"table {table!r}: " + "; ".join(problems))


PUBLISHED_TABLES = {"papers": PAPERS, "records": RECORDS, "variants": VARIANTS, "files": FILES}
"""Every table of a published version, by name (its file is ``<name>.parquet``)."""


def column_doc(table: str, column: str) -> str:
    """What ``column`` of the published ``table`` means (empty when undocumented)."""
    return COLUMN_DOCS.get(table, {}).get(column, "")


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of the given table schema."""
    return pl.DataFrame(schema=schema)
