"""The dataset card of a version: ``vNNNN/README.md`` in the Hugging Face format.

Someone who finds a version directory, or uploads it to the Hugging Face Hub as it
is, gets YAML front matter the Hub reads (one config per table, the features from
``schema.py``) and a page saying what the version holds, where it came from, which
checks it passed, what changed since its parent, and how to read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import yaml

from pipeline.core import schema
from pipeline.core.config import default_value
from pipeline.core.markdown import markdown_cell

CARD = "README.md"
REPORT = "report.html"
DEFAULT_LICENSE: str = default_value("license")
"""The card's ``license`` when none is configured (declared in core/config.py)."""
MAX_LISTED_INPUTS = 50
# The Hub's size buckets, by number of rows of the main table.
_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]
_PRIMITIVES = {
    pl.String: "string",
    pl.Int64: "int64",
    pl.Float64: "float64",
    pl.Boolean: "bool",
    pl.Date: "date32",
}


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket for a table of ``rows`` rows."""
    for bound, name in _SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>100M"


def feature(name: str, dtype: pl.DataType) -> dict:
    """One entry of ``dataset_info.features`` for a column of the polars type ``dtype``:
    ``dtype`` for a scalar, ``sequence`` for a list of scalars, ``list`` of fields for a
    list of structs (the Hub's notation)."""
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if isinstance(inner, pl.Struct):
            return {"name": name, "list": [feature(f.name, f.dtype) for f in inner.fields]}
        return {"name": name, "sequence": _PRIMITIVES[inner.base_type()]}
    return {"name": name, "dtype": _PRIMITIVES[dtype.base_type()]}


def front_matter(manifest: Mapping, license_id: str) -> dict:
    """The card's YAML header: name, licence, size, one config per table, features."""
    tables = manifest["tables"]
    names = [n for n in schema.PUBLISHED_TABLES if n in tables]
    return {
        "pretty_name": f"ML papers {manifest['version']}",
        "license": license_id,
        "size_categories": [size_category(tables.get("papers", {}).get("rows", 0))],
        "configs": [
            {
                "config_name": n,
                "data_files": tables[n]["file"],
                **({"default": True} if i == 0 else {}),
            }
            for i, n in enumerate(names)
        ],
        "dataset_info": [
            {
                "config_name": n,
                "features": [feature(c, t) for c, t in schema.PUBLISHED_TABLES[n].items()],
                "splits": [{"name": "train", "num_examples": tables[n]["rows"]}],
            }
            for n in names
        ],
    }


def _table(header: list[str], rows: list[list[object]], prose: bool = False) -> list[str]:
    """A markdown table; cells escaped as scraped text, or as our own ``prose``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = ("| " + " | ".join(markdown_cell(v, prose=prose) for v in row) + " |" for row in rows)
    return lines + list(cells)


def _holds(manifest: Mapping) -> list[str]:
    counts = manifest["counts"]
    return [
        "## What this version holds",
        "",
        f"{counts['papers']:,} papers from {counts['records']:,} raw records in "
        f"{counts['files']:,} raw files: {counts['published']:,} published, "
        f"{counts['duplicate']:,} duplicates ({counts['duplicates_exact']:,} exact, "
        f"{counts['duplicates_near']:,} near), {counts['rejected']:,} rejected.",
        "",
        *_table(
            ["file", "table", "rows", "bytes"],
            [
                [t["file"], name, f"{t['rows']:,}", f"{t['bytes']:,}"]
                for name, t in manifest["tables"].items()
            ],
        ),
        "",
        f"Plots of this version: [{REPORT}]({REPORT}). Great Expectations Data Docs: "
        "[data_docs/index.html](data_docs/index.html).",
    ]


def _inputs(manifest: Mapping) -> list[str]:
    inputs = manifest.get("inputs", [])
    rows = [
        [f["source_file"], f["format"], f["status"], f["n_records"], (f["sha256"] or "")[:12]]
        for f in inputs[:MAX_LISTED_INPUTS]
    ]
    more = len(inputs) - len(rows)
    return [
        "## Inputs",
        "",
        *_table(["raw file", "format", "status", "records", "sha256"], rows),
        *(["", f"… and {more:,} more files (all in files.parquet)."] if more > 0 else []),
    ]


def _checks(manifest: Mapping) -> list[str]:
    checks = manifest.get("checks", [])
    rows = [[c["name"], "passed" if c["passed"] else "FAILED", c["description"]] for c in checks]
    return ["## Checks", "", *_table(["check", "outcome", "what it checks"], rows)]


def _changes(manifest: Mapping) -> list[str]:
    log = manifest.get("changelog")
    if not log:
        return ["## Changes", "", "The first version: no parent."]
    fields = ", ".join(f"{k} {v:,}" for k, v in log.get("changed_fields", {}).items())
    return [
        "## Changes",
        "",
        f"Against {manifest['parent']}: {log['added']:,} papers added, "
        f"{log['removed']:,} removed, {log['changed']:,} changed"
        + (f" (fields changed: {fields})." if fields else "."),
    ]


def _columns() -> list[str]:
    lines = ["## Columns", ""]
    for name, table_schema in schema.PUBLISHED_TABLES.items():
        rows = [[c, str(t), schema.column_doc(name, c)] for c, t in table_schema.items()]
        table = _table(["column", "type", "meaning"], rows, prose=True)
        lines += [f"### {name}.parquet", "", *table, ""]
    return lines


_READING = """## Reading it

Paths are relative to this directory; the files are plain Parquet.

```python
import polars as pl
papers = pl.read_parquet("papers.parquet")

import pandas as pd
papers = pd.read_parquet("papers.parquet")

import duckdb  # the Python package; no command-line binary needed
duckdb.sql("select paper_id, title, n_records from 'papers.parquet' limit 5").show()

from datasets import load_dataset
papers = load_dataset("parquet", data_files="papers.parquet", split="train")
```

```python
# Spark
papers = spark.read.parquet("papers.parquet")
```
"""


def render_card(manifest: Mapping, license_id: str = DEFAULT_LICENSE) -> str:
    """The card's text for the version ``manifest`` describes (its full manifest)."""
    header = yaml.safe_dump(front_matter(manifest, license_id), sort_keys=False)
    body = [
        f"# ML papers {manifest['version']}",
        "",
        f"Made {manifest['created_at']} by papers-pipeline {manifest['code_version']}; "
        f"content hash `{manifest['content_hash']}`.",
        "",
        *_holds(manifest),
        "",
        *_inputs(manifest),
        "",
        *_checks(manifest),
        "",
        *_changes(manifest),
        "",
        _READING,
        *_columns(),
    ]
    return f"---\n{header}---\n\n" + "\n".join(body).rstrip() + "\n"


def write_card(manifest: Mapping, version_dir: Path, license_id: str = DEFAULT_LICENSE) -> Path:
    """Write ``version_dir/README.md`` (a staged version, before it is renamed in)."""
    path = version_dir / CARD
    path.write_text(render_card(manifest, license_id), encoding="utf-8")
    return path
