"""pipeline/core/transform/latex.py on the LaTeX that real abstracts carry.

The sample (a trending-page dump), an arXiv metadata snapshot and an OAI-PMH listing
keep their sources' markup: formatting commands, escaped characters, accents, math.
Each case below is a fragment of a real abstract or title, with what a reader of the
rendered paper sees.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.latex import CONTROL_WORD, clean_latex
from tests.conftest import SAMPLE, TEST_DATA

REAL_FILES = ["arxiv-metadata-snapshot-sample.json", "arxiv-oai-pmh-listrecords.xml"]


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """Every real record's title and abstract, raw and through :func:`clean_latex`
    (whitespace collapsed, as the record stage does), keyed by arXiv id or sample line."""
    raw_dir = tmp_path_factory.mktemp("raw")
    shutil.copy(SAMPLE, raw_dir / SAMPLE.name)
    for name in REAL_FILES:
        shutil.copy(TEST_DATA / "realdata" / name, raw_dir / name)
    records = ingest(Path(raw_dir)).records
    assert set(records["source_file"]) == {SAMPLE.name, *REAL_FILES}
    return records.select(
        key=pl.coalesce("arxiv_id", pl.format("line {}", "line_start")),
        title_raw="title_raw",
        abstract_raw="abstract_raw",
        title=clean_latex(pl.col("title_raw")).str.replace_all(r"\s+", " ").str.strip_chars(),
        abstract=clean_latex(pl.col("abstract_raw")).str.replace_all(r"\s+", " "),
    )


def text_of(cleaned: pl.DataFrame, key: str, column: str) -> tuple[str, str]:
    (row,) = cleaned.filter(pl.col("key") == key).select(f"{column}_raw", column).rows()
    return row


@pytest.mark.parametrize(
    ("key", "column", "raw", "clean"),
    [
        # formatting commands keep their argument
        (
            "line 5",
            "abstract",
            r"Lion (Evo\textbf{Lved Sign Momentum})",
            "Lion (EvoLved Sign Momentum)",
        ),
        ("math/0611918", "abstract", r"the \emph{BKL} presentation", "the BKL presentation"),
        # escaped characters
        ("line 73", "abstract", r"F1-score(\%)", "F1-score(%)"),
        ("line 123", "abstract", r"Embedding\&MLP", "Embedding&MLP"),
        # control words with a fixed rendering, and an unknown one keeps its word
        ("line 217", "abstract", r"augmentations, \eg, random", "augmentations, e.g., random"),
        ("line 85", "abstract", r"the \overfeat network", "the overfeat network"),
        # accents, composed (NFC): bare, braced, in a title
        ("0704.0019", "title", r"Gr\"obner basis", "Gröbner basis"),
        ("0704.0073", "abstract", r"Koll\'ar's injectivity", "Kollár's injectivity"),
        ("0704.0082", "abstract", r"Schr\"{o}dinger equation", "Schrödinger equation"),
        ("0704.0114", "abstract", r"N\'eel order", "Néel order"),
        # math: delimiters dropped, symbols rendered, escaped braces kept as braces
        ("line 421", "abstract", r"(S\(^2\)-Attn)", "(S^2-Attn)"),
        ("0704.0002", "abstract", r"the $(k,\ell)$-pebble game", "the (k,ℓ)-pebble game"),
        ("math/0701261", "abstract", r"\{X_i\}_{i\geq 1}", "{X_i}_i≥ 1"),
    ],
)
def test_a_real_remnant_reads_as_the_rendered_text(
    cleaned: pl.DataFrame, key: str, column: str, raw: str, clean: str
) -> None:
    raw_text, clean_text = text_of(cleaned, key, column)
    assert raw in raw_text
    assert clean in clean_text
    assert raw not in clean_text


@pytest.mark.parametrize(
    ("key", "raw", "clean", "not_read"),
    [
        # old-style font switches: the switch is no word of the text
        ("0704.0083", r"{\em Lorentzian}", "the Lorentzian path integral", "em Lorentzian"),
        ("0704.0094", r"{\it Marginally consistent}", "data. Marginally consistent", "it Marg"),
        ("0704.0114", r"{\bf 98}", "Phys. Rev. Lett. 98, 227202", "bf 98"),
        ("0704.0115", r"{\cal K}-invariant", "of a given K-invariant class", "cal K"),
        # a citation's key is no word either: it goes with the space before it
        ("0704.0041", r"\cite{hajac}", "torus defined in as the", "hajac"),
        ("0704.0111", r"\cite{G2}", "the remark made in that the", "G2"),
    ],
)
def test_font_switches_and_citation_keys_are_not_read_as_words(
    cleaned: pl.DataFrame, key: str, raw: str, clean: str, not_read: str
) -> None:
    raw_text, clean_text = text_of(cleaned, key, "abstract")
    assert raw in raw_text
    assert clean in clean_text
    assert not_read not in clean_text


def test_no_control_word_is_left_in_any_real_text(cleaned: pl.DataFrame) -> None:
    """The record rules and the GX suite reject a text with a backslash command left
    (CONTROL_WORD): no real abstract or title may keep one after cleaning."""
    marked = cleaned.filter(pl.col("abstract_raw").str.contains(CONTROL_WORD))
    assert marked.height >= 50  # the real files do carry markup
    left = cleaned.filter(
        pl.col("abstract").str.contains(CONTROL_WORD) | pl.col("title").str.contains(CONTROL_WORD)
    )
    assert left["key"].to_list() == []


def test_text_without_markup_is_left_as_it_is(cleaned: pl.DataFrame) -> None:
    plain = cleaned.filter(~pl.col("abstract_raw").str.contains(r"[\\{}$]"))
    assert plain.height >= 200
    unchanged = plain["abstract_raw"].str.replace_all(r"\s+", " ") == plain["abstract"]
    assert unchanged.all()
