"""A version's record counts and the rates made from them, computed in one place for
the manifest, the UI's metadata and the report."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipeline.core.names import RECORD_STATUSES


def record_counts(records: pl.DataFrame) -> dict[str, int]:
    """Records per status and per duplicate kind, zeros included, for summaries."""
    by_status = dict(records.group_by("status").len().iter_rows())
    by_kind = dict(
        records.drop_nulls("duplicate_kind").group_by("duplicate_kind").len().iter_rows()
    )
    return {
        "records": records.height,
        **{s: by_status.get(s, 0) for s in RECORD_STATUSES},
        "duplicates_exact": by_kind.get("exact", 0),
        "duplicates_near": by_kind.get("near", 0),
    }


def record_rates(counts: Mapping[str, int]) -> dict[str, float]:
    """Duplicates (all, exact, near) and rejects as shares of all records, from
    :func:`record_counts` (or a manifest's ``counts``), rounded to 4 places."""
    n = max(counts["records"], 1)
    shares = {
        "duplicate_rate": counts["duplicate"],
        "duplicate_rate_exact": counts["duplicates_exact"],
        "duplicate_rate_near": counts["duplicates_near"],
        "reject_rate": counts["rejected"],
    }
    return {name: round(value / n, 4) for name, value in shares.items()}
