"""Small scrape files for the deployment test, cut from the shipped sample.

Each file is the sample's page header and a slice of its entries (cut at title
lines, so no entry is split), named with its own scrape date: re-sightings of the
same papers, as a daily scrape of a trending page is. Small, so runs take seconds.
"""

from __future__ import annotations

import itertools
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "raw" / "2026-11-23-trending.txt"


def _entries(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """The header lines and the entries (title line, abstract lines) of a page dump."""
    starts = [i for i in range(len(lines) - 1) if len(lines[i]) < 300 <= len(lines[i + 1])]
    bounds = [*starts, len(lines)]
    return lines[: starts[0]], [lines[a:b] for a, b in itertools.pairwise(bounds)]


def scrape_files(sample: Path = SAMPLE) -> list[tuple[str, str]]:
    """(file name, text) of six scrapes: the sample and a slice of it for the sensor's
    runs, four overlapping slices for the backfill."""
    header, entries = _entries(sample.read_text(encoding="utf-8").splitlines())

    def page(part: list[list[str]]) -> str:
        return "\n".join(header + [line for entry in part for line in entry]) + "\n"

    files = [
        (sample.name, sample.read_text(encoding="utf-8")),
        ("2026-11-24-trending.txt", page(entries[40:])),
    ]
    for day in range(4):
        files.append((f"2026-11-{26 + day}-trending.txt", page(entries[day * 40 : day * 40 + 120])))
    return files


def drop(raw_dir: Path, name: str, text: str) -> Path:
    """Write a scrape into ``raw_dir`` the way a scraper should: a hidden temporary file
    (the pipeline ignores hidden files) renamed into place, so no reader sees half."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    tmp = raw_dir / f".{name}.partial"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(raw_dir / name)
    return raw_dir / name
