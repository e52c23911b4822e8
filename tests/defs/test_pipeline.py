"""The whole Dagster graph and the command line, end to end on the real sample."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.cli import main
from pipeline.core.store.versions import VersionStore
from pipeline.definitions import ASSETS, CHECKS, GLOBAL_ASSETS, build_resources
from pipeline.settings import PipelineSettings
from tests.conftest import SAMPLE, TEST_DATA


def materialize_all(
    data_dir: Path, raise_on_error: bool = True, **settings: object
) -> dg.ExecuteInProcessResult:
    """What papers_job runs: every stage but the per-file partitions it reuses;
    ``settings`` override PipelineSettings fields."""
    resources = build_resources(str(data_dir))
    if settings:
        resources["settings"] = PipelineSettings(data_dir=str(data_dir), **settings)
    return dg.materialize(
        [*ASSETS, *CHECKS],
        selection=GLOBAL_ASSETS,
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def test_materialize_on_the_sample_publishes_every_record(data_dir: Path) -> None:
    result = materialize_all(data_dir)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "records_accounted_for": True,
        "rejected_have_reasons": True,
        "paper_ids_unique": True,
        "papers_match_records": True,
        "cluster_size_bounded": True,
        "great_expectations": True,
    }
    version = VersionStore(data_dir / "processed" / "papers").latest()
    assert version == "v0001"
    # The record tables are the per-file entries, linked: no row was rewritten.
    entries = {p.stat().st_ino for p in (data_dir / "processed" / "_files").glob("*.parquet")}
    for table in ("raw_records", "normalized_records"):
        parts = list((data_dir / "processed" / "_assets" / table).glob("part-*.parquet"))
        assert parts and {p.stat().st_ino for p in parts} <= entries
    vdir = data_dir / "processed" / "papers" / version
    records = pl.read_parquet(vdir / "records.parquet")
    papers = pl.read_parquet(vdir / "papers.parquet")
    assert records.height == 242
    assert dict(records.group_by("status").len().iter_rows()) == {
        "published": 240,
        "duplicate": 2,
    }
    # The accounting invariant: each raw record exactly once, keyed by provenance.
    assert records.select("source_file", "record_index").n_unique() == 242
    assert records["record_index"].sort().to_list() == list(range(242))
    assert papers.height == 240
    assert papers["paper_id"].n_unique() == 240
    # The two FCN entries (two versions of the abstract) are one paper with 2 variants;
    # so are the conference and journal versions of Channel Pruning (retitled).
    fcn = records.filter(
        pl.col("title") == "Fully Convolutional Networks for Semantic Segmentation"
    )
    assert fcn["paper_id"].n_unique() == 1
    assert set(fcn["duplicate_kind"].to_list()) == {None, "near"}
    assert papers.filter(pl.col("paper_id") == fcn["paper_id"][0])["n_variants"].item() == 2
    variants = pl.read_parquet(vdir / "variants.parquet")
    assert variants.filter(pl.col("paper_id") == fcn["paper_id"][0]).height == 2
    assert variants.height == 242
    manifest = json.loads((vdir / "manifest.json").read_text())
    assert (
        manifest["inputs"][0]["sha256"]
        == __import__("hashlib").sha256(SAMPLE.read_bytes()).hexdigest()
    )
    assert manifest["counts"]["records"] == 242
    assert all(c["passed"] for c in manifest["checks"])
    assert set(manifest["tables"]) == {"papers", "records", "files", "variants"}
    # The evidence of the checks travels with the version.
    names = {c["name"] for c in manifest["checks"]}
    assert {"records_accounted_for", "papers.paper_id_unique", "records.reject_rate"} <= names
    validation = json.loads((vdir / "validation.json").read_text())
    assert validation["passed"] is True
    assert (vdir / "data_docs" / "index.html").is_file()
    _assert_metadata_people_read(result, vdir)


def _assert_metadata_people_read(result: dg.ExecuteInProcessResult, vdir: Path) -> None:
    """Top lists by count as markdown, rates as floats, links into the version."""
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    normalized = events["normalized_records"].materialization.metadata
    rows = normalized["top_tasks"].value.splitlines()[2:]
    counts = [int(row.rsplit("|", 2)[1]) for row in rows]
    assert counts and counts == sorted(counts, reverse=True)
    assert rows[0].startswith("| Image Classification |")
    clusters = events["clusters"].materialization.metadata
    assert isinstance(clusters["duplicate_rate"], dg.FloatMetadataValue)
    assert clusters["duplicate_rate"].value == round(2 / 242, 4)
    published = events["published_version"].materialization.metadata
    assert isinstance(published["reject_rate"], dg.FloatMetadataValue)
    for name, file in (("report", "report.html"), ("dataset_card", "README.md")):
        assert Path(published[name].value) == vdir.resolve() / file
    assert Path(published["data_docs"].value) == vdir.resolve() / "data_docs" / "index.html"


def test_a_messy_corpus_accounts_for_every_record(data_dir: Path) -> None:
    raw = data_dir / "raw"
    (raw / "noise.bin").write_bytes(bytes(range(256)) * 8)
    copy = SAMPLE.read_bytes().replace(b"\n", b"\r\n")
    (raw / "2026-11-24-trending.txt").write_bytes(b"\xef\xbb\xbf" + copy + b"\r\nOrphan Title\r\n")
    result = materialize_all(data_dir)
    assert result.success
    vdir = data_dir / "processed" / "papers" / "v0001"
    records = pl.read_parquet(vdir / "records.parquet")
    files = pl.read_parquet(vdir / "files.parquet")
    assert files.select("source_file", "status").rows() == [
        ("2026-11-23-trending.txt", "ok"),
        ("2026-11-24-trending.txt", "ok"),
        ("noise.bin", "rejected"),
    ]
    assert records.height == 242 + 243
    counts = dict(records.group_by("status").len().iter_rows())
    assert counts == {"published": 240, "duplicate": 244, "rejected": 1}
    rejected = records.filter(pl.col("status") == "rejected")
    assert rejected.select("title", "reason").rows() == [("Orphan Title", "abstract missing")]


def test_two_cli_runs_give_one_version(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    first = capsys.readouterr().out
    assert "records found: 242" in first
    assert "published v0001" in first
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert "unchanged v0001" in capsys.readouterr().out
    assert VersionStore(data_dir / "processed" / "papers").versions() == ["v0001"]
    # The raw file's hash is remembered by stat for the next run.
    hashes = json.loads((data_dir / "processed" / "_cache" / "file_hashes.json").read_text())
    raw = (data_dir / "raw" / SAMPLE.name).resolve()
    assert hashes[str(raw)]["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert main(["path", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(data_dir / "processed" / "papers" / "v0001")
    # The run is recorded in the persistent instance the UI reads; the unchanged rerun
    # stopped before launching one (same raw files, code and settings).
    instance = dg.DagsterInstance.from_config(str(data_dir / ".dagster"))
    assert len(instance.get_run_records()) == 1
    # --force runs the whole job anyway, and the store still finds the content unchanged.
    assert main(["run", "--data-dir", str(data_dir), "--force"]) == 0
    assert "unchanged v0001" in capsys.readouterr().out
    assert len(instance.get_run_records()) == 2
    # Materializing every asset (what the UI's "Materialize all" does) finds the same content.
    assert materialize_all(data_dir).success
    assert VersionStore(data_dir / "processed" / "papers").versions() == ["v0001"]


def test_new_code_that_keeps_the_content_leaves_reruns_instant(
    data_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade whose output is the same, the first run finds the content
    unchanged and remembers its inputs; the reruns after it must not run the job."""
    from pipeline.core import provenance

    assert main(["run", "--data-dir", str(data_dir)]) == 0
    monkeypatch.setattr(provenance, "code_version", lambda: "0.2.0+other")
    instance = dg.DagsterInstance.from_config(str(data_dir / ".dagster"))
    capsys.readouterr()
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert "unchanged v0001" in capsys.readouterr().out
    assert len(instance.get_run_records()) == 2  # new code: the job ran once more
    for _ in range(2):
        assert main(["run", "--data-dir", str(data_dir)]) == 0
        assert "unchanged v0001" in capsys.readouterr().out
    assert len(instance.get_run_records()) == 2  # and not again
    store = VersionStore(data_dir / "processed" / "papers")
    assert store.versions() == ["v0001"]
    assert len(store.inputs_fingerprints("v0001")) == 2
    # Other inputs still run the job: they are not taken for the remembered ones.
    raw = data_dir / "raw" / SAMPLE.name
    raw.write_bytes(raw.read_bytes() + b"\n")  # same records, other bytes: other inputs
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert len(instance.get_run_records()) == 3


def test_cli_path_without_a_version_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["path", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: no version published yet")


def test_cli_run_without_raw_dir_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "--data-dir", str(tmp_path)]) == 1
    assert (
        capsys.readouterr().err == f"error: no raw directory: {tmp_path / 'raw'} does not exist\n"
    )


def test_text_and_json_scrapes_publish_together(data_dir: Path) -> None:
    for name in ("hf-daily-papers-api-2025-09-30.json", "arxiv-metadata-snapshot-sample.json"):
        shutil.copy(TEST_DATA / "realdata" / name, data_dir / "raw" / name)
    assert materialize_all(data_dir).success
    vdir = data_dir / "processed" / "papers" / "v0001"
    files = pl.read_parquet(vdir / "files.parquet")
    assert files.select("format", "n_records").rows() == [
        ("text-dump", 242),
        ("arxiv-snapshot", 127),
        ("hf-daily-papers", 50),
    ]
    records = pl.read_parquet(vdir / "records.parquet")
    papers = pl.read_parquet(vdir / "papers.parquet")
    assert records.height == 419
    assert dict(records.group_by("status").len().iter_rows()) == {
        "published": 417,
        "duplicate": 2,
    }
    assert papers.height == 417
    # "Placeholder Substructures II" and "III" share long passages but have different
    # arXiv ids: two papers, whatever their similarity.
    series = papers.filter(pl.col("title").str.starts_with("Placeholder Substructures"))
    assert series.height == 2
    assert papers["arxiv_id"].drop_nulls().len() == 177
    assert papers.schema["published_date"] == pl.Date


def test_versions_diff_and_changelog_after_a_new_scrape(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    # A new day: the first 10 entries again, one of them revised, and a new paper.
    day2 = lines[2:22]
    day2[1] = day2[1] + " We also release a new benchmark."
    day2 += ["A Brand New Paper About Things", "We study things. " * 10]
    (data_dir / "raw" / "2026-11-24-trending.txt").write_text("\n".join(day2) + "\n")
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    assert main(["versions", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == ["v0001", "v0002"]
    assert out[2].endswith("<- LATEST")
    assert main(["diff", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    # The revised entry is a near duplicate of its first sighting: same paper (same id),
    # now with the longer abstract as its canonical text. The new paper is added.
    assert out.splitlines()[0] == "v0001 -> v0002: 1 added, 0 removed, 10 changed"
    assert "n_records 10" in out and "n_sightings 10" in out and "abstract 1" in out
    manifest = json.loads((data_dir / "processed/papers/v0002/manifest.json").read_text())
    assert manifest["changelog"]["added"] == 1
    assert manifest["changelog"]["changed"] == 10
    assert manifest["parent"] == "v0001"
    papers = pl.read_parquet(data_dir / "processed/papers/v0002/papers.parquet")
    seen_twice = papers.filter(pl.col("n_sightings") == 2)
    assert seen_twice.height == 10
    assert seen_twice["n_variants"].sum() == 11
    assert seen_twice["first_seen"].unique().to_list() == [date(2026, 11, 23)]
    assert seen_twice["last_seen"].unique().to_list() == [date(2026, 11, 24)]
    # v0001 passed the same suite: the row-wise expectations ran on the 11 new or
    # changed papers only (n_records moved for the 10), the table-wide ones on all 241.
    validation = json.loads((data_dir / "processed/papers/v0002/validation.json").read_text())
    checks = {c["name"]: c for c in validation["checks"]}
    assert (checks["papers.abstract_length"]["details"]["rows"], papers.height) == (11, 241)
    assert checks["papers.abstract_length"]["details"]["rows_unchanged"] == 230
    assert checks["papers.paper_id_unique"]["details"]["rows"] == 241
    assert all(c["passed"] for c in validation["checks"])


GERMAN = (
    "Wir stellen ein neues Verfahren für das Training tiefer neuronaler Netze vor, das ohne "
    "Gradienten auskommt und auf großen Datensätzen schneller konvergiert als bisherige Methoden."
)


def test_a_refused_publish_keeps_latest_and_the_candidate(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    store = VersionStore(data_dir / "processed" / "papers")
    # The next scrape replaces the day with ten German entries: all rejected, and the
    # dataset would fall from 242 papers to none.
    (data_dir / "raw" / SAMPLE.name).unlink()
    entries = "".join(f"Ein Titel Nummer {i}\n{GERMAN} Teil {i}.\n" for i in range(10))
    (data_dir / "raw" / "2026-11-24-trending.txt").write_text(entries)
    capsys.readouterr()
    assert main(["run", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines
    assert err.startswith("error: run ")
    assert "failed checks: great_expectations" in err
    # ... and names the failed expectations with their counts, not only the check.
    assert "great_expectations (papers.not_empty: observed 0, " in err
    assert "records.reject_rate: 10 of 10 unexpected)" in err
    assert store.latest() == "v0001"
    assert store.versions() == ["v0001"]
    [kept] = list((store.root / "_refused").iterdir())
    assert str(kept) in err
    records = pl.read_parquet(kept / "records.parquet")
    assert records["status"].to_list() == ["rejected"] * 10
    assert records["reason"][0].startswith("abstract language is 'de'")
    validation = json.loads((kept / "validation.json").read_text())
    failed = {c["name"] for c in validation["checks"] if not c["passed"]}
    assert failed == {
        "papers.not_empty",
        "papers.row_count_not_dropping",
        "records.reject_rate",
    }


def test_a_giant_cluster_blocks_the_tables_and_the_publish(data_dir: Path) -> None:
    """The cluster-size check runs on clusters, before any table is built from them."""
    result = materialize_all(data_dir, raise_on_error=False, max_cluster_size=1)
    assert not result.success
    [check] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert check.check_name == "cluster_size_bounded"
    assert check.metadata["largest_cluster"].value == 2
    assert check.metadata["titles"].value == [
        "Fully Convolutional Networks for Semantic Segmentation"
    ]
    built = {m.asset_key.path[-1] for m in result.get_asset_materialization_events()}
    assert "clusters" in built
    assert not built & {"records", "variants", "papers", "published_version"}
    assert not (data_dir / "processed" / "papers" / "LATEST").exists()


def test_publish_materialized_alone_validates_the_full_tables_itself(data_dir: Path) -> None:
    """Without this run's check evidence, publish validates the stored tables itself
    (all columns: the schema expectations need them), not the ids it loads."""
    assert materialize_all(data_dir).success
    evidence = data_dir / "processed" / "_assets" / "validation"
    shutil.rmtree(evidence)
    (data_dir / "processed" / "papers" / "LATEST").unlink()
    shutil.rmtree(data_dir / "processed" / "papers" / "v0001")
    alone = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=["published_version"],
        resources=build_resources(str(data_dir)),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert alone.success
    validation = json.loads((evidence / "validation.json").read_text())
    assert validation["passed"] and len(validation["checks"]) >= 20
    store = VersionStore(data_dir / "processed" / "papers")
    assert store.latest() == "v0001"
    assert pl.read_parquet(store.path("v0001") / "papers.parquet").height == 240


def test_published_records_equal_the_in_memory_pipeline(data_dir: Path) -> None:
    """records.parquet is streamed from the stored normalised records beside dedup's
    fates; it must be exactly what the in-memory core functions give."""
    from pipeline.core.dedup.clustering import cluster_duplicates
    from pipeline.core.ingest.raw_files import ingest
    from pipeline.core.transform.records import transform_records

    assert materialize_all(data_dir).success
    vdir = VersionStore(data_dir / "processed" / "papers").path("v0001")
    expected = cluster_duplicates(transform_records(ingest(data_dir / "raw").records).records)
    assert pl.read_parquet(vdir / "records.parquet").equals(expected.records)
    assert pl.read_parquet(vdir / "papers.parquet").equals(expected.papers)
    assert pl.read_parquet(vdir / "variants.parquet").equals(expected.variants)


def test_gx_rechecks_rows_only_against_a_version_that_passed_the_same_suite(
    data_dir: Path,
) -> None:
    """Unchanged data under the same suite: no paper is rechecked row by row. Other
    bounds make another suite: every paper is checked again."""

    def rechecked(result: dg.ExecuteInProcessResult) -> int:
        (gx,) = [
            e for e in result.get_asset_check_evaluations() if e.check_name == "great_expectations"
        ]
        assert gx.passed
        return gx.metadata["papers_rechecked"].value

    assert rechecked(materialize_all(data_dir)) == 240  # the first version: everything
    assert rechecked(materialize_all(data_dir)) == 0
    other_bounds = materialize_all(data_dir, abstract_max_chars=9_999)
    assert rechecked(other_bounds) == 240
