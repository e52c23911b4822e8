"""The benchmark corpus generator: reproducible, labelled truthfully, read as labelled.

Benchmark figures (speed, duplicate detection scores) are only as good as the corpus and
its answer key, so these tests hold the key against the text itself and against what the
project's own reader finds in the files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bench.corpus import shape, text
from bench.corpus.shape import (
    CHROME_LINES,
    EDITS,
    EXACT_RATE,
    MALFORMED_KINDS,
    NEAR_EDITS,
    NEAR_RATE,
    PAGE_GLUE,
    TITLE_COLLISION_RATE,
)
from bench.corpus.stats import SIMILARITY_PAIRS, CorpusStats, jaccard, shingles
from bench.make_corpus import make_corpus
from pipeline.core.ingest.raw_files import ingest

N_RECORDS = 3000
DAYS = 4
# Distinct papers must not look alike: the bounds the benchmark relies on.
DISTINCT_P99_MAX = 0.2
DISTINCT_MAX = 0.5
LATEX_OR_URL_NOISE = re.compile(
    r"\\(?:textbf|emph|textit|texttt|eg|ie|cite|blue|textcolor)\b|\b(?:blue|red)\{|\Shttps?://"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusStats:
    return make_corpus(N_RECORDS, tmp_path_factory.mktemp("corpus"), seed=0, days=DAYS)


@pytest.fixture(scope="module")
def truth(corpus: CorpusStats) -> pl.DataFrame:
    return pl.read_parquet(corpus.out_dir / "truth.parquet")


@pytest.fixture(scope="module")
def read(corpus: CorpusStats, truth: pl.DataFrame) -> pl.DataFrame:
    """Every truth row next to the record the project's reader found at its place."""
    records = ingest(corpus.out_dir / "raw").records.select(
        "source_file",
        "record_index",
        pl.col("line_start").alias("line_start_read"),
        "line_end",
        "title_raw",
        "abstract_raw",
        "flags",
    )
    return truth.join(records, on=["source_file", "record_index"], how="full", coalesce=True)


def _clean(read: pl.DataFrame) -> pl.DataFrame:
    """Records whose text the reader returns exactly as generated: not malformed."""
    return read.filter(pl.col("malformed").is_null())


def _with_original(read: pl.DataFrame, edit: str) -> pl.DataFrame:
    """Clean records of one edit type, each next to its paper's clean original record."""
    clean = _clean(read)
    originals = clean.filter(pl.col("edit").is_null()).select(
        "paper", orig_title="title_raw", orig_abstract="abstract_raw"
    )
    return clean.filter(pl.col("edit") == edit).join(originals, on="paper")


def _skeleton(text: str) -> str:
    """Text without whitespace, punctuation or case: what a format edit may not change."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# --- Reproducibility ----------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(corpus: CorpusStats, tmp_path: Path) -> None:
    again = make_corpus(N_RECORDS, tmp_path, seed=0, days=DAYS)
    first, second = _files(corpus.out_dir), _files(again.out_dir)
    assert first.keys() == second.keys()
    assert {"truth.parquet", "stats.json"} <= first.keys()
    for name in first:
        assert first[name] == second[name], name


def test_another_seed_gives_another_corpus(corpus: CorpusStats, tmp_path: Path) -> None:
    other = make_corpus(N_RECORDS, tmp_path, seed=1, days=DAYS)
    first, second = _files(corpus.out_dir / "raw"), _files(other.out_dir / "raw")
    assert first.keys() == second.keys()  # same days, so the same file names
    assert all(first[name] != second[name] for name in first)
    # The texts differ, not only their order: no abstract line in common.
    abstracts = [
        {line for line in b"".join(files.values()).split(b"\n") if len(line) > 300}
        for files in (first, second)
    ]
    assert len(abstracts[0]) > 0.9 * N_RECORDS
    assert not abstracts[0] & abstracts[1]


# --- The reader finds exactly what the truth says -----------------------------------------


def test_reader_finds_every_record_where_the_truth_puts_it(
    read: pl.DataFrame, truth: pl.DataFrame
) -> None:
    assert truth.height == N_RECORDS
    assert read.height == N_RECORDS  # a full join: no record only one side has
    assert read.get_column("line_start").null_count() == 0
    assert read.get_column("line_start_read").null_count() == 0
    assert (read.get_column("line_start") == read.get_column("line_start_read")).all()
    # A record is its title line and, unless the abstract is missing, the next line.
    one_line = read.get_column("malformed").fill_null("") == "missing_abstract"
    assert one_line.sum() > 5
    expected_end = read.get_column("line_start") + (~one_line).cast(pl.Int64)
    assert (read.get_column("line_end") == expected_end).all()


def test_reader_flags_match_the_malformed_labels(read: pl.DataFrame) -> None:
    flags = read.get_column("flags")
    malformed = read.get_column("malformed").fill_null("")  # no nulls: all() would skip them
    assert flags.null_count() == 0
    assert ((malformed == "bad_bytes") == flags.list.contains("undecodable_bytes")).all()
    assert ((malformed == "missing_abstract") == read.get_column("abstract_raw").is_null()).all()
    glued = malformed == "chrome_glued"
    removed = flags.list.contains("chrome_removed")
    assert (glued == removed).all()
    assert (glued & removed).sum() >= 5
    assert not read.get_column("title_raw").str.contains("Subscribe|Get trending").any()


def test_heavy_damage_is_still_read_as_labelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Malformed entries and lowercase-initial titles at many times their rates: every
    record must still be found where the truth puts it (the generator keeps clear of
    the layouts the reader cannot cut, such as two title-only entries in a row)."""
    for kind, rate in (("missing_abstract", 0.05), ("chrome_glued", 0.03), ("bad_bytes", 0.03)):
        monkeypatch.setitem(shape.MALFORMED_RATES, kind, rate)
    monkeypatch.setattr(text, "LOWERCASE_NAME_SHARE", 0.3)  # where it is read
    result = make_corpus(2000, tmp_path, seed=3, days=2)
    truth = pl.read_parquet(tmp_path / "truth.parquet")
    found = ingest(tmp_path / "raw").records.select(
        "source_file", "record_index", "line_start", "title_raw"
    )
    both = truth.join(found, on=["source_file", "record_index"], how="full", coalesce=True)
    assert both.height == truth.height == found.height == 2000
    assert (both.get_column("line_start") == both.get_column("line_start_right")).all()
    assert result.stats["malformed"]["missing_abstract"] > 60
    assert found.get_column("title_raw").str.contains(r"^[a-z]").sum() > 50


def test_every_page_dump_starts_with_chrome_and_a_glued_subscribe(
    corpus: CorpusStats, truth: pl.DataFrame
) -> None:
    page_titles = []  # (file, 1-based line) of every page's first title
    for path in sorted((corpus.out_dir / "raw").glob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        assert tuple(lines[:2]) == CHROME_LINES
        assert lines[-1] == ""  # '\n' ends every line
        starts = [i for i, line in enumerate(lines) if line == CHROME_LINES[0]]
        assert all(lines[i + 1] == CHROME_LINES[1] for i in starts)
        assert all(lines[i + 2].startswith(PAGE_GLUE) for i in starts)
        page_titles += [(path.name, i + 3) for i in starts]
    assert len(page_titles) == corpus.stats["n_pages"] == corpus.stats["chrome_glued_page_starts"]
    assert corpus.stats["n_pages"] > corpus.n_files  # some files hold several page dumps
    firsts = truth.join(
        pl.DataFrame(page_titles, schema=["source_file", "line_start"], orient="row"),
        on=["source_file", "line_start"],
    )
    assert firsts.height == len(page_titles)
    assert (firsts.get_column("malformed").fill_null("") == "chrome_glued").all()


# --- Labels say what the text shows -------------------------------------------------------


def test_exact_resightings_repeat_their_original_exactly(read: pl.DataFrame) -> None:
    pairs = _with_original(read, "exact")
    assert pairs.height > 100
    assert (pairs.get_column("title_raw") == pairs.get_column("orig_title")).all()
    assert (pairs.get_column("abstract_raw") == pairs.get_column("orig_abstract")).all()


def test_retitles_keep_the_abstract_and_change_the_title(read: pl.DataFrame) -> None:
    pairs = _with_original(read, "retitle")
    assert pairs.height > 20
    assert (pairs.get_column("abstract_raw") == pairs.get_column("orig_abstract")).all()
    for row in pairs.iter_rows(named=True):
        assert _skeleton(row["title_raw"]) != _skeleton(row["orig_title"])


def test_format_edits_change_only_whitespace_punctuation_and_case(read: pl.DataFrame) -> None:
    pairs = _with_original(read, "format")
    assert pairs.height > 20
    for row in pairs.iter_rows(named=True):
        assert _skeleton(row["title_raw"]) == _skeleton(row["orig_title"])
        assert _skeleton(row["abstract_raw"]) == _skeleton(row["orig_abstract"])
        assert (row["title_raw"], row["abstract_raw"]) != (row["orig_title"], row["orig_abstract"])


def test_revisions_change_the_abstract_but_stay_near_duplicates(read: pl.DataFrame) -> None:
    pairs = _with_original(read, "revision")
    assert pairs.height > 20
    assert (pairs.get_column("title_raw") == pairs.get_column("orig_title")).all()
    for row in pairs.iter_rows(named=True):
        assert row["abstract_raw"] != row["orig_abstract"]
        assert jaccard(shingles(row["abstract_raw"]), shingles(row["orig_abstract"])) > 0.3


def test_noise_edits_add_latex_remnants_or_glued_urls(read: pl.DataFrame) -> None:
    pairs = _with_original(read, "noise")
    assert pairs.height > 20
    for row in pairs.iter_rows(named=True):
        new = row["title_raw"] + "\n" + row["abstract_raw"]
        old = row["orig_title"] + "\n" + row["orig_abstract"]
        assert len(LATEX_OR_URL_NOISE.findall(new)) > len(LATEX_OR_URL_NOISE.findall(old)), new


def test_title_collisions_share_a_title_phrase_but_not_the_work(
    read: pl.DataFrame, truth: pl.DataFrame
) -> None:
    clean = _clean(read).filter(pl.col("edit").is_null())
    colliders = clean.filter(pl.col("title_collision"))
    partners = clean.select(
        pl.col("paper").alias("collides_with"),
        pl.col("title_collision").alias("partner_collides"),
        partner_title="title_raw",
        partner_abstract="abstract_raw",
    )
    pairs = colliders.join(partners, on="collides_with")
    assert pairs.height >= 10
    assert (pairs.get_column("paper") != pairs.get_column("collides_with")).all()
    assert not pairs.get_column("partner_collides").any()
    for row in pairs.iter_rows(named=True):
        assert shingles(row["title_raw"], 3) & shingles(row["partner_title"], 3), row
        assert jaccard(shingles(row["abstract_raw"]), shingles(row["partner_abstract"])) < 0.2
    # Only colliders name a partner, and they are labelled on all their records.
    assert truth.filter(pl.col("title_collision")).get_column("collides_with").null_count() == 0
    assert truth.filter(~pl.col("title_collision")).get_column("collides_with").is_null().all()


def test_distinct_papers_do_not_share_titles_by_accident(read: pl.DataFrame) -> None:
    originals = read.filter(pl.col("edit").is_null() & ~pl.col("title_collision"))
    keys = [_skeleton(t) for t in originals.get_column("title_raw").to_list()]
    assert originals.get_column("paper").is_unique().all()
    assert len(set(keys)) == len(keys) > 2000


def test_resightings_come_after_their_original(truth: pl.DataFrame) -> None:
    day = pl.col("source_file").str.slice(0, 10).str.to_date()
    originals = truth.filter(pl.col("edit").is_null()).select(
        "paper", orig_day=day, orig_index="record_index"
    )
    dups = truth.filter(pl.col("edit").is_not_null()).with_columns(day=day)
    dups = dups.join(originals, on="paper")
    assert dups.height == truth.filter(pl.col("edit").is_not_null()).height
    later = dups.get_column("day") > dups.get_column("orig_day")
    same_day = dups.filter(pl.col("day") == pl.col("orig_day"))
    assert (dups.get_column("day") >= dups.get_column("orig_day")).all()
    assert (same_day.get_column("record_index") > same_day.get_column("orig_index")).all()
    assert 0.7 < later.mean() < 1.0  # mostly later, sometimes the same day


def test_rates_and_stats_match_the_truth(corpus: CorpusStats, truth: pl.DataFrame) -> None:
    stats = corpus.stats
    assert json.loads((corpus.out_dir / "stats.json").read_text()) == stats
    edits = truth.get_column("edit").fill_null("original").value_counts()
    assert dict(edits.iter_rows()) == {k: v for k, v in stats["edit"].items() if v}
    malformed = truth.get_column("malformed").drop_nulls().value_counts()
    assert dict(malformed.iter_rows()) == stats["malformed"]
    assert set(stats["malformed"]) == set(MALFORMED_KINDS)
    assert stats["n_records"] == truth.height == N_RECORDS
    assert stats["n_papers"] == truth.get_column("paper").n_unique() == corpus.n_papers
    assert stats["edit"]["exact"] == pytest.approx(EXACT_RATE * N_RECORDS, abs=1)
    for edit in NEAR_EDITS:
        assert stats["edit"][edit] == pytest.approx(NEAR_RATE / 4 * N_RECORDS, abs=1)
    assert set(stats["edit"]) == {"original", *EDITS}
    collided = truth.filter(pl.col("title_collision")).get_column("paper").n_unique()
    assert collided == stats["title_collision_papers"] == round(TITLE_COLLISION_RATE * N_RECORDS)
    injected = sum(stats["malformed"].values()) - stats["chrome_glued_page_starts"]
    assert injected == pytest.approx(0.005 * N_RECORDS, abs=2)


# --- Realism ------------------------------------------------------------------------------


def test_distinct_papers_stay_distinct(read: pl.DataFrame, corpus: CorpusStats) -> None:
    originals = _clean(read).filter(pl.col("edit").is_null() & pl.col("abstract_raw").is_not_null())
    texts = (
        originals.get_column("title_raw") + " " + originals.get_column("abstract_raw")
    ).to_list()
    papers = originals.get_column("paper").to_numpy()
    partner = originals.get_column("collides_with").fill_null(-1).to_numpy()
    sets = [shingles(t) for t in texts]
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, len(sets), (2, 2 * SIMILARITY_PAIRS))
    keep = (a != b) & (partner[a] != papers[b]) & (partner[b] != papers[a])
    sims = np.asarray([jaccard(sets[i], sets[j]) for i, j in zip(a[keep], b[keep], strict=True)])
    assert sims.size >= SIMILARITY_PAIRS
    assert np.percentile(sims, 99) < DISTINCT_P99_MAX
    assert sims.max() < DISTINCT_MAX
    reported = corpus.stats["similarity"]["corpus"]["distinct_papers"]
    assert reported["n_pairs"] >= SIMILARITY_PAIRS
    assert reported["p99"] < DISTINCT_P99_MAX and reported["max"] < DISTINCT_MAX
    sample = corpus.stats["similarity"]["sample_distinct_papers"]
    assert sample["n_pairs"] == 242 * 241 // 2


def test_lengths_follow_the_sample(corpus: CorpusStats) -> None:
    lengths = corpus.stats["lengths"]
    for field, tolerance in (("title_chars", 0.25), ("abstract_chars", 0.12)):
        ours, theirs = lengths[field]["corpus"], lengths[field]["sample"]
        for p in ("p5", "p50", "p95"):
            assert ours[p] == pytest.approx(theirs[p], rel=tolerance), (field, p)
    full_stop = lengths["abstract_ends_with_full_stop"]
    assert full_stop["corpus"] == pytest.approx(full_stop["sample"], abs=0.05)
