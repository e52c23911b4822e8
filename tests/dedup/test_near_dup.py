"""Near-duplicate detection: LSH parameters, verified pairs, and scores on labelled data."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from bench.make_corpus import make_corpus
from bench.run import duplicate_scores
from pipeline.core import schema
from pipeline.core.dedup import near_index, near_tier, record_texts, tables
from pipeline.core.dedup.clustering import NARROW_COLUMNS, cluster_duplicates, cluster_fates
from pipeline.core.dedup.fates import DEFAULT_CANONICAL
from pipeline.core.dedup.near_dup import NUM_BINS, find_near_duplicates, lsh_params
from pipeline.core.dedup.near_index import NearIndex, load_index, params_fingerprint, save_index
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from tests.conftest import SAMPLE
from tests.dedup.test_normalize_dedup import raw

BASE = (
    "We propose a simple method for training deep networks with sparse gradients that "
    "scales to large models and reduces memory by half while keeping accuracy on ImageNet "
    "and COCO within one point of dense training across all of our experiments"
)


def test_lsh_parameters_follow_the_threshold() -> None:
    low, high = lsh_params(0.3), lsh_params(0.8)
    assert low[0] * low[1] == high[0] * high[1] == 128
    # A higher threshold takes more rows per band: a steeper, later S-curve.
    assert high[1] > low[1]
    assert lsh_params(0.5) == (32, 4)  # what README documents for the default
    for impossible in (0.0, -0.2, 1.7):
        with pytest.raises(ValueError, match=r"lies in \(0, 1\]"):
            lsh_params(impossible)


def test_near_duplicate_text_never_joins_two_different_arxiv_ids() -> None:
    """The sample's FCN revision (Jaccard 0.71) is one paper; given two different arXiv
    ids it is two, and the guard is counted."""
    records = normalize_records(ingest(SAMPLE.parent).records)
    fcn = pl.col("title_key") == "fully convolutional networks for semantic segmentation"
    assert cluster_duplicates(records).records.filter(fcn)["paper_id"].n_unique() == 1
    rows = records.with_row_index("i").filter(fcn)["i"].to_list()
    ids = pl.Series([None] * records.height, dtype=pl.String).scatter(
        rows, ["1411.4038", "1605.06211"]
    )
    result = cluster_duplicates(records.with_columns(arxiv_id=ids))
    assert result.records.filter(fcn)["paper_id"].n_unique() == 2
    assert result.stats["blocked_by_ids"] >= 1


def test_only_verified_similar_pairs_are_returned() -> None:
    revised = BASE.replace("by half", "by sixty percent") + " and we release the code"
    other = (
        "A survey of graph neural networks for molecules covering message passing, "
        "pooling, equivariance and benchmarks on chemistry datasets with open problems"
    )
    texts = pl.Series([BASE, other, revised, BASE.upper()])
    found = find_near_duplicates(texts, threshold=0.5)
    pairs = {(a, b): s for a, b, s in found.pairs.iter_rows()}
    assert set(pairs) == {(0, 2), (0, 3), (2, 3)}
    assert pairs[(0, 3)] == 1.0  # case does not matter
    assert 0.5 <= pairs[(0, 2)] < 1.0
    assert found.stats["verified"] == 3


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A 3000-record benchmark corpus: its normalised records and its ground truth."""
    out = tmp_path_factory.mktemp("corpus") / "c"
    make_corpus(3000, out, seed=3)
    normalized = normalize_records(ingest(out / "raw").records)
    return normalized, pl.read_parquet(out / "truth.parquet")


def test_precision_and_recall_on_a_labelled_corpus(labelled) -> None:
    normalized, truth = labelled
    scores = duplicate_scores(cluster_duplicates(normalized).records, truth)
    assert scores["precision"] >= 0.995
    assert scores["recall"] >= 0.95
    assert scores["title_collisions_merged"] == 0
    for edit in ("exact", "format", "revision", "retitle", "noise"):
        assert scores["recall_by_edit"][edit]["recall"] >= 0.9, edit


def test_clusters_do_not_depend_on_input_order(labelled) -> None:
    normalized, _ = labelled
    first = cluster_duplicates(normalized)
    shuffled = cluster_duplicates(normalized.sample(fraction=1.0, shuffle=True, seed=11))
    assert first.records.equals(shuffled.records)
    assert first.papers.equals(shuffled.papers)
    assert first.variants.equals(shuffled.variants)


def test_incremental_run_with_an_index_equals_a_run_from_scratch(labelled, tmp_path) -> None:
    normalized, _ = labelled
    files = normalized["source_file"].unique().sort()
    earlier = normalized.filter(pl.col("source_file").is_in(files.head(len(files) * 2 // 3)))
    first = cluster_duplicates(earlier)
    save_index(first.index, tmp_path / "near")
    index = load_index(tmp_path / "near")
    assert index is not None and index.signatures.height == first.index.signatures.height

    scratch = cluster_duplicates(normalized)
    incremental = cluster_duplicates(normalized, index=index)
    assert incremental.records.equals(scratch.records)
    assert incremental.papers.equals(scratch.papers)
    assert incremental.variants.equals(scratch.variants)
    # Only the new texts were signed and only new pairs verified.
    stats, fresh = incremental.stats, scratch.stats
    assert stats["signatures_reused"] == index.signatures.height > 0
    assert stats["signatures_reused"] + stats["signatures_computed"] == fresh["texts"]
    assert stats["pairs_reused"] > 0
    assert stats["pairs_verified"] < fresh["pairs_verified"]
    # The grown index covers every text; a second run reuses all and verifies nothing.
    again = cluster_duplicates(normalized, index=incremental.index)
    assert again.stats["signatures_computed"] == 0 and again.stats["pairs_verified"] == 0
    assert again.records.equals(scratch.records)


@pytest.mark.parametrize("stream_from", [0, 10**9], ids=["streamed", "filtered-scans"])
def test_records_left_on_disk_give_the_same_result_as_records_held(
    labelled, tmp_path, monkeypatch: pytest.MonkeyPatch, stream_from: int
) -> None:
    """The dedup step holds a few columns and reads texts and wide columns from the
    stored file; that must decide exactly what the in-memory path decides, whether
    signatures come from one streamed pass or from filtered scans."""
    monkeypatch.setattr(near_tier, "STREAM_SIGNATURES_FROM", stream_from)
    monkeypatch.setattr(record_texts, "BATCH_ROWS", 700)  # several batches
    normalized, _ = labelled
    ordered = normalized.sort("source_file", "record_index")
    ordered.write_parquet(tmp_path / "normalized.parquet")
    stored = pl.scan_parquet(tmp_path / "normalized.parquet")
    narrow = ordered.select(*NARROW_COLUMNS, abstract_len=pl.col("abstract").str.len_chars())
    held = cluster_duplicates(normalized)
    source = record_texts.ScannedRecords(stored)
    on_disk = cluster_fates(narrow, source)
    assert on_disk.records.equals(held.records.select(schema.FATES.names()))
    assert on_disk.papers.equals(held.papers)
    assert on_disk.variants.equals(held.variants)
    assert on_disk.stats == held.stats
    with pytest.raises(ValueError, match="file order"):
        cluster_fates(narrow.reverse(), source)
    # The separate steps build papers and variants from the fates alone, with the same
    # result; fates of other records are refused, not paired row by row.
    build = ordered.select(tables.BUILD_COLUMNS)
    fates = on_disk.records
    assert tables.papers_from_fates(fates, build, source).equals(held.papers)
    assert tables.variants_from_fates(fates, build, source).equals(held.variants)
    with pytest.raises(tables.StaleFatesError, match="materialize clusters again"):
        tables.papers_from_fates(fates.head(-1), build.head(-1).reverse(), source)
    with pytest.raises(tables.StaleFatesError):
        tables.variants_from_fates(fates.head(-1), build, source)


def test_a_save_appends_only_the_new_facts_and_compacts_past_the_part_limit(
    labelled, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalized, _ = labelled
    files = normalized["source_file"].unique().sort()
    earlier = normalized.filter(pl.col("source_file").is_in(files.head(len(files) // 2)))
    directory = tmp_path / "near"
    save_index(cluster_duplicates(earlier).index, directory)
    first = load_index(directory)
    grown = cluster_duplicates(normalized, index=first).index
    save_index(grown, directory)
    signature_parts = sorted(directory.glob("signatures-*.parquet"))
    assert len(signature_parts) == 2
    # The new part holds just the texts the second run signed.
    sizes = sorted(pl.read_parquet(p).height for p in signature_parts)
    added = grown.signatures.height - first.signatures.height
    assert sizes == sorted([first.signatures.height, added]) and added > 0
    again = load_index(directory)
    assert again.saved == (grown.signatures.height, grown.pairs.height)
    assert again.signatures.sort("content_hash").equals(grown.signatures.sort("content_hash"))
    assert again.pairs.sort("hash_a", "hash_b").equals(grown.pairs.sort("hash_a", "hash_b"))
    # Nothing new: nothing written. Past the part limit: one part again.
    save_index(again, directory)
    assert len(list(directory.glob("signatures-*.parquet"))) == 2
    monkeypatch.setattr(near_index, "MAX_PARTS", 2)
    save_index(again, directory)
    assert len(list(directory.glob("signatures-*.parquet"))) == 1
    assert load_index(directory).signatures.height == grown.signatures.height


def test_an_index_made_with_other_parameters_is_ignored(labelled, tmp_path) -> None:
    normalized, _ = labelled
    scratch = cluster_duplicates(normalized)
    good = scratch.index
    # Same texts, but signatures that would make every pair a candidate if used.
    bogus = NearIndex(
        params="near-v0-other",
        signatures=good.signatures.with_columns(
            pl.lit([0] * NUM_BINS, dtype=good.signatures.schema["signature"]).alias("signature")
        ),
        pairs=good.pairs.with_columns(similarity=pl.lit(1.0)),
    )
    result = cluster_duplicates(normalized, index=bogus)
    assert result.stats["index"] == "ignored: other parameters"
    assert result.stats["signatures_reused"] == result.stats["pairs_reused"] == 0
    assert result.records.equals(scratch.records)
    assert result.index.params == params_fingerprint()
    # On disk, files of other parameters are not even read.
    assert not near_index.saved_with_other_parameters(tmp_path)
    save_index(bogus, tmp_path)
    assert load_index(tmp_path) is None
    assert near_index.saved_with_other_parameters(tmp_path)  # the step says it rebuilds
    save_index(result.index, tmp_path)  # the next save removes them
    assert not near_index.saved_with_other_parameters(tmp_path)


def _words(start: int, stop: int) -> str:
    return " ".join(VOCABULARY[start:stop])


VOCABULARY = (  # noqa: SIM905
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu apple "
    "banana cherry grape lemon mango olive peach pear plum river stone cloud storm field "
    "forest garden harbor island meadow mountain ocean prairie valley desert canyon glacier "
    "lagoon marsh summit tundra volcano"
).split()


def test_a_chain_of_near_duplicates_is_split_at_the_canonical() -> None:
    # A ~ B and B ~ C, but A and C are far apart: C must not ride into A's paper.
    a, b, c = _words(0, 44), _words(10, 50), _words(20, 58)
    texts = pl.Series([a, b, c])
    pairs = find_near_duplicates(texts, 0.5).pairs
    assert set(zip(pairs["a"], pairs["b"], strict=True)) == {(0, 1), (1, 2)}
    rows = [("f.txt", 0, "A study", a), ("f.txt", 1, "A study", b), ("g.txt", 0, "A study", c)]
    normalized = normalize_records(raw(rows)).with_columns(reason=pl.lit(None, pl.String))
    # (reverse() loses the type of an all-null list column: cast it back.)
    for frame in (normalized, normalized.reverse().cast(dict(normalized.schema))):
        result = cluster_duplicates(frame)
        got = result.records.select("record_index", "status", "duplicate_kind").rows()
        # A has the longest abstract: canonical. B joins it; C is its own paper.
        assert len(a) > len(b) > len(c)
        assert got == [(0, "published", None), (1, "duplicate", "near"), (0, "published", None)]
        assert result.papers.height == 2
        assert result.stats["near_records_detached"] == 1


@pytest.mark.parametrize(
    ("preference", "canonical_file"),
    [
        (DEFAULT_CANONICAL, "c.txt"),  # the longest abstract
        (["latest_sighting", "longest_abstract"], "b.txt"),
        (["earliest_sighting"], "a.txt"),
        (["shortest_abstract"], "a.txt"),
        ([], "a.txt"),  # the first position alone
    ],
)
def test_the_canonical_record_follows_the_configured_preference(
    preference, canonical_file: str
) -> None:
    rows = [
        ("c.txt", 0, "A study", _words(0, 44)),
        ("b.txt", 0, "A study", _words(0, 40)),
        ("a.txt", 0, "A study", _words(0, 36)),
    ]
    dates = pl.Series([date(2026, 2, 1), date(2026, 3, 1), date(2026, 1, 1)])
    normalized = normalize_records(raw(rows)).with_columns(
        reason=pl.lit(None, pl.String), scrape_date=dates
    )
    result = cluster_duplicates(normalized, canonical=preference)
    published = result.records.filter(pl.col("status") == "published")
    assert published["source_file"].to_list() == [canonical_file]
    # The id comes from the first sighting, whichever record is canonical.
    default = cluster_duplicates(normalized)
    assert result.papers["paper_id"].to_list() == default.papers["paper_id"].to_list()
    assert result.papers["n_records"].to_list() == [3]


def test_an_unknown_canonical_criterion_is_refused() -> None:
    normalized = normalize_records(raw([("a.txt", 0, "A study", _words(0, 44))]))
    with pytest.raises(ValueError, match="unknown canonical criteria \\['newest'\\]"):
        cluster_duplicates(
            normalized.with_columns(reason=pl.lit(None, pl.String)), canonical=["newest"]
        )
