"""What a person finds in a version directory: the dataset card, the report, and the
``diff`` command, on two versions made from the real sample and a second scrape day."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipeline.cli import main
from pipeline.core.store.card import render_card
from pipeline.core.store.report import render_report
from tests.conftest import REPO, SAMPLE

GERMAN = (
    "Wir stellen ein neues Verfahren für das Training tiefer neuronaler Netze vor, das ohne "
    "Gradienten auskommt und auf großen Datensätzen schneller konvergiert als bisherige Methoden."
)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with v0001 (the sample) and v0002 (plus a day re-sighting ten papers,
    revising one, adding one, and one German entry that is rejected)."""
    data_dir = tmp_path_factory.mktemp("docs") / "data"
    (data_dir / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE, data_dir / "raw" / SAMPLE.name)
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    day2 = lines[2:22]
    day2[1] = day2[1] + " We also release a new benchmark."
    day2 += ["A Brand New Paper About Things", "We study things. " * 10]
    day2 += ["Ein neues Verfahren", GERMAN]
    (data_dir / "raw" / "2026-11-24-trending.txt").write_text("\n".join(day2) + "\n")
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    return data_dir


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    header, _, _ = card[4:].partition("\n---\n")
    return yaml.safe_load(header)


def test_the_card_lists_every_table_with_a_file_that_exists(two_versions: Path) -> None:
    vdir = two_versions / "processed" / "papers" / "v0002"
    card = (vdir / "README.md").read_text(encoding="utf-8")
    meta = _front_matter(card)
    assert meta["license"] == "unknown"
    assert meta["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c["data_files"] for c in meta["configs"]}
    assert configs == {
        "papers": "papers.parquet",
        "records": "records.parquet",
        "variants": "variants.parquet",
        "files": "files.parquet",
    }
    for name, file in configs.items():
        # Every feature the card declares is a column of the file, in order.
        features = next(d for d in meta["dataset_info"] if d["config_name"] == name)["features"]
        assert [f["name"] for f in features] == pl.read_parquet_schema(vdir / file).names()
    papers = next(d for d in meta["dataset_info"] if d["config_name"] == "papers")
    assert papers["splits"][0]["num_examples"] == pl.read_parquet(vdir / "papers.parquet").height
    assert {"name": "authors", "sequence": "string"} in papers["features"]
    manifest = json.loads((vdir / "manifest.json").read_text())
    assert f"{manifest['counts']['papers']:,} papers" in card
    assert "Against v0001: 1 papers added" in card
    assert "2026-11-24-trending.txt" in card  # its inputs
    assert "records_accounted_for | passed" in card  # its checks
    for reader in (
        "pl.read_parquet",
        "pd.read_parquet",
        "duckdb.sql",
        "spark.read",
        "load_dataset",
    ):
        assert reader in card
    assert "[report.html](report.html)" in card


def test_the_card_escapes_scraped_names_and_takes_the_license(two_versions: Path) -> None:
    vdir = two_versions / "processed" / "papers" / "v0002"
    manifest = json.loads((vdir / "manifest.json").read_text())
    manifest["inputs"][0]["source_file"] = "<script>alert(1)</script>|x.txt"
    card = render_card(manifest, "cc-by-4.0")
    assert _front_matter(card)["license"] == "cc-by-4.0"
    assert "<script>" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x.txt" in card


def test_the_report_opens_offline_and_holds_the_plots(two_versions: Path) -> None:
    vdir = two_versions / "processed" / "papers" / "v0002"
    page = (vdir / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 7
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    # The rates across versions plot both versions; the reject reason is named.
    assert ">v0001<" in page and ">v0002<" in page
    assert "language_not_allowed" in page  # reasons are counted by their code
    assert 'href="README.md"' in page and 'href="data_docs/index.html"' in page


def test_the_report_escapes_scraped_text(two_versions: Path) -> None:
    vdir = two_versions / "processed" / "papers" / "v0002"
    manifest = json.loads((vdir / "manifest.json").read_text())
    manifest["reject_reasons"] = {"<script>alert(1)</script>": 3}
    manifest["version"] = "<b>v9</b>"
    papers = pl.read_parquet(vdir / "papers.parquet")
    records = pl.read_parquet(vdir / "records.parquet", columns=["scrape_date", "paper_id"])
    page = render_report(manifest, papers, records, [])
    assert "<script" not in page and "<b>v9" not in page
    assert "&lt;script&gt;" in page


def test_an_unchanged_rerun_writes_no_card_and_no_version(two_versions: Path, capsys) -> None:
    card = two_versions / "processed" / "papers" / "v0002" / "README.md"
    before = card.stat().st_mtime_ns
    assert main(["run", "--data-dir", str(two_versions), "--force"]) == 0
    assert "unchanged v0002" in capsys.readouterr().out
    assert card.stat().st_mtime_ns == before
    assert not (two_versions / "processed" / "papers" / "v0003").exists()


def test_diff_puts_the_summary_first_and_counts_papers_only_seen_again(
    two_versions: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["diff", "--data-dir", str(two_versions)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "v0001 -> v0002: 1 added, 0 removed, 10 changed"
    assert out[1].startswith("changed fields: ")
    # Nine papers were only seen again; the one whose abstract was revised is listed.
    assert out[2] == (
        "only seen again (last_seen, n_records, n_sightings, sources changed): 9; revised: 1"
    )
    assert out[3:5] == ["added (1):", out[4]] and out[4].startswith("  + ")
    revised = [line for line in out if line.startswith("  ~ ")]
    assert len(revised) == 1 and "abstract" in revised[0]
    assert main(["diff", "--data-dir", str(two_versions), "--limit", "0"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_diff_on_a_closed_pipe_ends_quietly(two_versions: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GX_ANALYTICS_ENABLED": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "diff", "--data-dir", str(two_versions)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before a line is written (`| head -0`)
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""
