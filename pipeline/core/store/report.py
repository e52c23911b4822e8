"""The report of a version: ``vNNNN/report.html``, one self-contained page of plots.

It opens offline: every plot is an inline SVG drawn by matplotlib (Agg backend, text
kept as SVG text), the style sheet is inline, nothing is fetched. Every piece of
scraped text that reaches the page (reject reasons, dataset and task names, file
names) is escaped. matplotlib is imported only here, when a version is published.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core.store.card import CARD, REPORT
from pipeline.core.store.counts import record_rates

TOP_N = 15
LABEL_CHARS = 60
_STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; }
th { text-align: left; } .plot svg { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class VersionRates:
    """One version's duplicate and reject rates, from its manifest's counts."""

    version: str
    duplicate_rate: float
    reject_rate: float

    @classmethod
    def of(cls, manifest: Mapping) -> VersionRates:
        rates = record_rates(manifest["counts"])
        return cls(manifest["version"], rates["duplicate_rate"], rates["reject_rate"])


# Fixed margins instead of tight_layout, which measured every label again (about a
# third of the report's time): a share of the figure's width per label character.
_CHAR_WIDTH = 0.0085
FIGURE_WIDTH = 9.0


def _figure(height: float = 3.2, label_chars: int = 0):
    """A figure and its axes; ``label_chars``: the longest y tick label, for the left
    margin."""
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    plt.rcParams["svg.hashsalt"] = "papers-pipeline"  # the same ids on every run
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, height))
    bottom = min(0.45, 0.9 / height)  # room for rotated dates or the x label
    fig.subplots_adjust(left=min(0.55, 0.08 + _CHAR_WIDTH * label_chars), right=0.97)
    fig.subplots_adjust(bottom=bottom, top=1 - min(0.3, 0.4 / height))
    return fig, ax


def _svg(fig) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no doctype)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _label(text: object) -> str:
    value = str(text)
    return value if len(value) <= LABEL_CHARS else value[: LABEL_CHARS - 1] + "…"


def _bars(title: str, counts: Sequence[tuple[object, int]]) -> str:
    """A horizontal bar chart, largest on top; labels shortened (matplotlib escapes
    them in the SVG)."""
    labels = [_label(k) for k, _ in counts][::-1]
    longest = max((len(label) for label in labels), default=0)
    fig, ax = _figure(height=max(1.8, 0.28 * len(counts) + 1.1), label_chars=longest)
    ax.barh(range(len(labels)), [v for _, v in counts][::-1], color="#4c72b0")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_title(title)
    ax.set_xlabel("count")
    if not counts:
        ax.set_xticks([])
        ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
    return _svg(fig)


def _per_day(records: pl.DataFrame) -> str:
    days = (
        records.group_by("scrape_date")
        .agg(records=pl.len(), papers=pl.col("paper_id").drop_nulls().n_unique())
        .sort("scrape_date")
    )
    fig, ax = _figure()
    x = range(days.height)
    ax.bar([i - 0.2 for i in x], days["records"], width=0.4, label="records", color="#4c72b0")
    ax.bar([i + 0.2 for i in x], days["papers"], width=0.4, label="papers", color="#dd8452")
    ax.set_xticks(list(x), [str(d) for d in days["scrape_date"]], rotation=45, ha="right")
    ax.set_title("Records and papers per scrape day")
    ax.legend()
    return _svg(fig)


def _rates(history: Sequence[VersionRates]) -> str:
    fig, ax = _figure()
    names = [h.version for h in history]
    ax.plot(names, [h.duplicate_rate for h in history], marker="o", label="duplicate rate")
    ax.plot(names, [h.reject_rate for h in history], marker="s", label="reject rate")
    ax.set_ylim(0, max(0.05, *(max(h.duplicate_rate, h.reject_rate) for h in history)) * 1.15)
    ax.set_title("Duplicate and reject rates across versions (share of records)")
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    return _svg(fig)


def _code_over_time(papers: pl.DataFrame) -> str:
    by_day = (
        papers.group_by("first_seen")
        .agg(
            links_code=pl.col("code_url").is_not_null().mean(),
            promises_code=pl.col("code_promised").fill_null(False).mean(),
        )
        .sort("first_seen")
    )
    fig, ax = _figure()
    days = [str(d) for d in by_day["first_seen"]]
    ax.plot(days, by_day["links_code"], marker="o", label="links a code repository")
    ax.plot(days, by_day["promises_code"], marker="s", label="says code/data are released")
    ax.set_ylim(0, 1)
    ax.set_title("Share of papers with code, by the day they were first seen")
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    return _svg(fig)


def _top(papers: pl.DataFrame, column: str) -> list[tuple[object, int]]:
    """The ``TOP_N`` most frequent values of a column (lists exploded), by count."""
    values = papers.select(pl.col(column).explode().drop_nulls())
    counts = values.group_by(column).len().sort(["len", column], descending=[True, False])
    return list(counts.head(TOP_N).iter_rows())


def _summary(manifest: Mapping) -> str:
    counts = manifest["counts"]
    rows = [
        ("papers", counts["papers"]),
        ("records", counts["records"]),
        ("duplicates", counts["duplicate"]),
        ("rejected", counts["rejected"]),
        ("files", counts["files"]),
    ]
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{v:,}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def render_report(
    manifest: Mapping, papers: pl.DataFrame, records: pl.DataFrame, history: Sequence[Mapping]
) -> str:
    """The page for the version ``manifest`` describes. ``papers``: its language,
    datasets, tasks, code_url, code_promised, first_seen; ``records``: scrape_date,
    paper_id; ``history``: the manifests of the versions before it, oldest first."""
    rates = [VersionRates.of(m) for m in [*history, manifest]]
    reasons = list(manifest.get("reject_reasons", {}).items())[:TOP_N]
    plots = [
        ("Records and papers per scrape day", _per_day(records)),
        ("Duplicate and reject rates across versions", _rates(rates)),
        ("Reject reasons", _bars("Rejected records by reason", reasons)),
        ("Language mix", _bars("Papers by abstract language", _top(papers, "language"))),
        ("Top tasks", _bars(f"Top {TOP_N} tasks (papers)", _top(papers, "tasks"))),
        ("Top datasets", _bars(f"Top {TOP_N} datasets (papers)", _top(papers, "datasets"))),
        ("Papers with code over time", _code_over_time(papers)),
    ]
    version = html.escape(str(manifest["version"]))
    sections = "".join(
        f'<h2>{html.escape(title)}</h2><div class="plot">{svg}</div>' for title, svg in plots
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>ML papers {version}: report</title><style>{_STYLE}</style></head><body>"
        f"<h1>ML papers {version}</h1>"
        f"<p>Made {html.escape(str(manifest['created_at']))}; parent "
        f"{html.escape(str(manifest.get('parent') or 'none'))}. "
        f'The <a href="{CARD}">dataset card</a> describes every table and column; the '
        '<a href="data_docs/index.html">Data Docs</a> show the Great Expectations '
        f"results.</p>{_summary(manifest)}{sections}</body></html>\n"
    )


PAPER_COLUMNS = ["language", "datasets", "tasks", "code_url", "code_promised", "first_seen"]
RECORD_COLUMNS = ["scrape_date", "paper_id"]


def write_report(manifest: Mapping, version_dir: Path, history: Sequence[Mapping]) -> Path:
    """Write ``version_dir/report.html`` from the tables already staged there."""
    papers = pl.read_parquet(version_dir / "papers.parquet", columns=PAPER_COLUMNS)
    records = pl.read_parquet(version_dir / "records.parquet", columns=RECORD_COLUMNS)
    path = version_dir / REPORT
    path.write_text(render_report(manifest, papers, records, history), encoding="utf-8")
    return path
