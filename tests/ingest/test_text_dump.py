"""The text-dump reader, one test per kind of mess real dumps contain."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.core.ingest.decode import split_lines
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.ingest.readers.text_dump import parse_text_dump
from tests.conftest import SAMPLE

CHROME = (
    "Get trending papers in your email inbox once a day!\n"
    "Get trending papers in your email inbox!\n"
)
A1 = (
    "We present a method to formulate algorithm discovery as program search. It discovers a "
    "simple and effective optimizer, Lion, that is more memory-efficient than Adam as it only "
    "keeps track of the momentum. On image classification Lion boosts the accuracy of ViT by "
    "up to 2% on ImageNet and saves up to 5x the pre-training compute on JFT."
)
A2 = (
    "Convolutional networks are powerful visual models that yield hierarchies of features. We "
    "show that convolutional networks by themselves, trained end-to-end, pixels-to-pixels, "
    "exceed the state-of-the-art in semantic segmentation. Our key insight is to build fully "
    "convolutional networks that take input of arbitrary size."
)
T1 = "Symbolic Discovery of Optimization Algorithms"
T2 = "Fully Convolutional Networks for Semantic Segmentation"


def parse(text: str | bytes) -> list[tuple]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [
        (r.line_start, r.line_end, r.title_raw, r.abstract_raw, r.flags)
        for r in parse_text_dump(split_lines(data))
    ]


def test_the_sample_gives_242_title_abstract_pairs_with_exact_line_spans() -> None:
    records = parse_text_dump(split_lines(SAMPLE.read_bytes()))
    assert len(records) == 242
    # Two chrome lines, then strictly alternating title/abstract lines from line 3.
    assert [(r.line_start, r.line_end) for r in records] == [
        (3 + 2 * i, 4 + 2 * i) for i in range(242)
    ]
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    for r in records[1:]:
        assert r.title_raw == lines[r.line_start - 1]
        assert r.abstract_raw == lines[r.line_end - 1]
    assert records[0].title_raw == (
        "DeepZero: Scaling up Zeroth-Order Optimization for Deep Model Training"
    )
    assert records[0].flags == ("chrome_removed",)
    assert all(r.flags == () for r in records[1:])


def test_the_two_fcn_entries_of_the_sample_are_distinct_records() -> None:
    records = parse_text_dump(split_lines(SAMPLE.read_bytes()))
    fcn = [r for r in records if r.title_raw == T2]
    assert [(r.line_start, r.line_end) for r in fcn] == [(151, 152), (319, 320)]
    assert fcn[0].abstract_raw != fcn[1].abstract_raw


def test_subscribe_glued_to_a_title_is_removed() -> None:
    assert parse(f"{CHROME}Subscribe{T1}\n{A1}\n") == [(3, 4, T1, A1, ("chrome_removed",))]


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("SubscribexT: Nested Tokenization", "xT: Nested Tokenization"),
        ("Subscribep-MoD: Building MLLMs", "p-MoD: Building MLLMs"),
        ("Subscribelo-fi: distributed fine-tuning", "lo-fi: distributed fine-tuning"),
        ("Get trending papers in your email inbox!xT: Nested", "xT: Nested"),
        ("Get trending papers in your email inbox!SubscribeDeepZero: X", "DeepZero: X"),
    ],
)
def test_chrome_glued_to_a_lowercase_title_is_removed(line: str, title: str) -> None:
    assert parse(f"{line}\n{A1}\n") == [(1, 2, title, A1, ("chrome_removed",))]


def test_subscribe_as_a_word_in_a_title_is_kept() -> None:
    title = "Subscribers and Churn: Predicting Cancellations"
    assert parse(f"{title}\n{A1}\n")[0][2] == title


def test_chrome_anywhere_and_concatenated_page_dumps() -> None:
    text = f"{CHROME}Subscribe{T1}\n{A1}\n{CHROME}Subscribe{T2}\n{A2}\n{CHROME}\n"
    assert [(s, e, t) for s, e, t, _, _ in parse(text)] == [(3, 4, T1), (7, 8, T2)]


def test_chrome_after_a_title_closes_that_entry_without_an_abstract() -> None:
    text = f"{T1}\n{CHROME}{T2}\n{A2}\n"
    assert [(s, e, t, a) for s, e, t, a, _ in parse(text)] == [
        (1, 1, T1, None),
        (4, 5, T2, A2),
    ]


def test_crlf_and_cr_line_ends_give_the_same_entries_and_lines() -> None:
    lf = f"{T1}\n{A1}\n\n{T2}\n{A2}\n"
    expected = [(1, 2, T1, A1, ()), (4, 5, T2, A2, ())]
    assert parse(lf) == expected
    assert parse(lf.replace("\n", "\r\n")) == expected
    assert parse(lf.replace("\n", "\r")) == expected


def test_a_utf8_bom_is_dropped() -> None:
    assert parse(b"\xef\xbb\xbf" + f"{T1}\n{A1}\n".encode()) == [(1, 2, T1, A1, ())]


def test_blank_lines_between_entries_and_between_title_and_abstract() -> None:
    text = f"\n\n{T1}\n\n{A1}\n\n\n{T2}\n{A2}\n\n"
    assert parse(text) == [(3, 5, T1, A1, ()), (8, 9, T2, A2, ())]


def test_trailing_and_leading_spaces_are_trimmed() -> None:
    assert parse(f"  {T1}   \n{A1}\t \n") == [(1, 2, T1, A1, ())]


def test_an_abstract_wrapped_over_several_lines_is_one_entry() -> None:
    wrapped = [
        "We present a method to formulate algorithm discovery as program search, and",
        "apply it to discover optimization algorithms for deep neural network training.",
        "Our method discovers a simple and effective optimization algorithm, Lion. It is",
        "more memory-efficient than Adam as it only keeps track of the momentum.",
    ]
    text = T1 + "\n" + "\n".join(wrapped) + "\n" + T2 + "\n" + A2 + "\n"
    assert parse(text) == [
        (1, 5, T1, "\n".join(wrapped), ("wrapped_abstract",)),
        (6, 7, T2, A2, ()),
    ]


def test_a_wrapped_abstract_whose_line_starts_a_sentence_stays_together() -> None:
    wrapped = [
        "Deep networks are hard to train when they are very deep and narrow.",
        "We show that the problem is caused by the initialisation of the",
        "Residual blocks and fix it with a one-line change to the code.",
    ]
    text = T1 + "\n" + "\n".join(wrapped) + "\n"
    assert parse(text) == [(1, 4, T1, "\n".join(wrapped), ("wrapped_abstract",))]


def test_a_title_with_no_abstract_is_its_own_entry() -> None:
    text = f"{T1}\n{T2}\n{A2}\n"
    assert parse(text) == [(1, 1, T1, None, ()), (2, 3, T2, A2, ())]


def test_a_title_starting_lowercase_after_an_abstract_is_a_title() -> None:
    title = "lo-fi: distributed fine-tuning without communication"
    assert [t for _, _, t, _, _ in parse(f"{T1}\n{A1}\n{title}\n{A2}\n")] == [T1, title]


def test_a_title_only_entry_before_a_lowercase_title() -> None:
    lowercase = "lo-fi: distributed fine-tuning without communication"
    text = f"{T1}\n{A1}\nSecond Title Here\n{lowercase}\n{A2}\n"
    assert [(s, e, t, a) for s, e, t, a, _ in parse(text)] == [
        (1, 2, T1, A1),
        (3, 3, "Second Title Here", None),
        (4, 5, lowercase, A2),
    ]


def test_a_title_ending_in_a_full_stop_after_a_long_abstract() -> None:
    text = f"{T1}\n{A1}\nDeeply-Supervised Nets.\n{A2}\n"
    assert [(s, e, t) for s, e, t, _, _ in parse(text)] == [
        (1, 2, T1),
        (3, 4, "Deeply-Supervised Nets."),
    ]


def test_several_title_only_entries_in_a_row() -> None:
    text = f"{T1}\nAnother Paper Without Abstract\nA Third Title Alone\n{T2}\n{A2}\n"
    assert [(s, e, t, a) for s, e, t, a, _ in parse(text)] == [
        (1, 1, T1, None),
        (2, 2, "Another Paper Without Abstract", None),
        (3, 3, "A Third Title Alone", None),
        (4, 5, T2, A2),
    ]


def test_a_file_ending_after_a_title() -> None:
    assert parse(f"{T1}\n{A1}\n{T2}") == [(1, 2, T1, A1, ()), (3, 3, T2, None, ())]


def test_an_abstract_without_a_title_is_kept_as_an_entry() -> None:
    text = f"{T1}\n{A1}\n\n{A2}\n"
    assert parse(text) == [(1, 2, T1, A1, ()), (4, 4, None, A2, ())]


def test_undecodable_bytes_are_replaced_and_only_their_record_flagged() -> None:
    data = f"{T1}\n".encode() + A1.encode().replace(b"Lion", b"Li\xff\xfen") + b"\n"
    data += f"{T2}\n{A2}\n".encode()
    records = parse(data)
    assert records[0][3] == A1.replace("Lion", "Li\ufffd\ufffdn")
    assert records[0][4] == ("undecodable_bytes",)
    assert records[1] == (3, 4, T2, A2, ())


def test_an_empty_file_has_no_entries() -> None:
    assert parse(b"") == []
    assert parse("\n\n \n") == []


def _write(raw: Path, name: str, data: bytes) -> None:
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_ingest_rejects_a_binary_file_as_a_whole_and_reads_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "a-binary.txt", bytes(range(256)) * 40)
    _write(tmp_path, "b-empty.txt", b"")
    _write(tmp_path, "c-chrome-only.txt", CHROME.encode())
    _write(tmp_path, "sub/d-good.txt", f"{T1}\n{A1}\n".encode())
    _write(tmp_path, ".hidden", b"ignored")
    result = ingest(tmp_path)
    files = result.files.select("source_file", "status", "reason", "n_records").rows()
    assert files == [
        ("a-binary.txt", "rejected", "binary file: contains NUL bytes", 0),
        ("b-empty.txt", "empty", "empty file", 0),
        ("c-chrome-only.txt", "empty", "no entries found (only page chrome)", 0),
        ("sub/d-good.txt", "ok", None, 1),
    ]
    assert result.records.select("source_file", "record_index", "title_raw").rows() == [
        ("sub/d-good.txt", 0, T1)
    ]


def test_ingest_rejects_a_non_utf8_file_whose_lines_are_mostly_undecodable(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "latin1.txt", ("Ünïcödé façade ÿ\n" * 20).encode("latin-1"))
    files = ingest(tmp_path).files
    assert files["status"].to_list() == ["rejected"]
    assert files["reason"][0] == "not UTF-8 text: 20 of 20 non-blank lines have undecodable bytes"


def test_ingest_provenance_columns(tmp_path: Path) -> None:
    _write(tmp_path, "day.txt", f"{CHROME}Subscribe{T1}\n{A1}\n{T2}\n{A2}\n".encode())
    records = ingest(tmp_path).records
    assert records.select("record_index", "line_start", "line_end").rows() == [
        (0, 3, 4),
        (1, 5, 6),
    ]
    sha = ingest(tmp_path).files["sha256"][0]
    assert records["source_sha256"].to_list() == [sha, sha]
    assert records.schema["flags"] == pl.List(pl.String)
