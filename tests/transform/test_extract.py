"""Field extraction: one test per URL decoration and per LaTeX remnant, plus the fields."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.latex import CONTROL_WORD


def extract(abstract: str, title: str = "A Study of Things") -> dict:
    df = pl.DataFrame({"title": [title], "abstract": [abstract]})
    return extract_fields(df).row(0, named=True)


@pytest.mark.parametrize(
    ("text", "code_urls"),
    [
        (
            "Code: https://github.com/OPTML-Group/DeepZero.",
            ["https://github.com/OPTML-Group/DeepZero"],
        ),
        ("see https://github.com/a/b, and more", ["https://github.com/a/b"]),
        ("(code at https://github.com/a/b)", ["https://github.com/a/b"]),
        (
            "here blue{https://github.com/RUCAIBox/FMLP-Rec}.",
            ["https://github.com/RUCAIBox/FMLP-Rec"],
        ),
        (
            "at https://github.com/SKDDJ/LoLDU{https://github.com/SKDDJ/LoLDU}.",
            ["https://github.com/SKDDJ/LoLDU"],
        ),
        (
            "at https://github.com/selfsupervised-ai/Natural-GaLore.git",
            ["https://github.com/selfsupervised-ai/Natural-GaLore"],
        ),
        (
            "https://github.com/tensorflow/models/tree/master/research/deeplab.",
            ["https://github.com/tensorflow/models"],
        ),
        (
            "https://github.com/tensorflow/addons/blob/master/tensorflow_addons/optimizers/lamb.py",
            ["https://github.com/tensorflow/addons"],
        ),
        (
            "our frameworkhttps://github.com/amirgholami/ZeroQ.",
            ["https://github.com/amirgholami/ZeroQ"],
        ),
        (
            "available at:https://github.com/HZAI-ZJNU/Mamba-YOLO",
            ["https://github.com/HZAI-ZJNU/Mamba-YOLO"],
        ),
        (
            "visit:https://github.com/iperov/DeepFaceLab/.",
            ["https://github.com/iperov/DeepFaceLab"],
        ),
        ("http://www.github.com/a/b", ["https://github.com/a/b"]),
        (
            "https://github.com/huawei-noah/Efficient-Computing/tree/master/Detection/Gold-YOLO, "
            "https://gitee.com/mindspore/models/tree/master/research/cv/Gold_YOLO.",
            [
                "https://github.com/huawei-noah/Efficient-Computing",
                "https://gitee.com/mindspore/models",
            ],
        ),
        (
            "https://gitlab.com/grp/proj and https://bitbucket.org/o/r.",
            ["https://gitlab.com/grp/proj", "https://bitbucket.org/o/r"],
        ),
        (
            "Demo: https://huggingface.co/spaces/org/demo, weights https://huggingface.co/org/model.",
            ["https://huggingface.co/spaces/org/demo", "https://huggingface.co/org/model"],
        ),
        ("twice https://github.com/a/b and https://github.com/a/b/", ["https://github.com/a/b"]),
        ("an owner page https://github.com/OPTML-Group only", []),
        ("a paper page https://huggingface.co/papers/2401.00001", []),
    ],
)
def test_code_urls_are_canonical_whatever_the_decoration(text: str, code_urls: list[str]) -> None:
    row = extract(text)
    assert row["code_urls"] == code_urls
    assert row["code_url"] == (code_urls[0] if code_urls else None)


def test_other_urls_are_cleaned_and_kept_whole() -> None:
    row = extract(
        "Project page: https://md4all.github.io. Paper http://www.cs.berkeley.edu/~rbg/rcnn. "
        "Short https://tinyurl.com/FCOSv1 and (https://git.io/AdelaiDet), "
        "owner https://github.com/OPTML-Group; code https://github.com/a/b."
    )
    assert row["urls"] == [
        "https://md4all.github.io",
        "http://www.cs.berkeley.edu/~rbg/rcnn",
        "https://tinyurl.com/FCOSv1",
        "https://git.io/AdelaiDet",
        "https://github.com/OPTML-Group",
    ]
    assert row["code_urls"] == ["https://github.com/a/b"]


def test_arxiv_references_and_superseded_by() -> None:
    row = extract(
        "Note: This paper describes an older version of DeepLIFT. See "
        "https://arxiv.org/abs/1704.02685 for the new version. Compare arXiv:2101.00001v2 and "
        "arxiv.org/pdf/cs/0501001v1."
    )
    assert row["arxiv_ids"] == ["1704.02685", "2101.00001", "cs/0501001"]
    assert row["superseded_by"] == "1704.02685"
    assert extract("We cite arXiv:1704.02685 here.")["superseded_by"] is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "algorithm, Lion (Evo\\textbf{Lved Sign Momentum}).",
            "algorithm, Lion (EvoLved Sign Momentum).",
        ),
        ("augmentations, \\eg, random crops", "augmentations, e.g., random crops"),
        ("augmentations, \\ie the crops", "augmentations, i.e. the crops"),
        ("improves by 2.5\\% mAP", "improves by 2.5% mAP"),
        ("the Embedding\\&MLP paradigm", "the Embedding&MLP paradigm"),
        ("attention (S\\(^2\\)-Attn), effectively", "attention (S^2-Attn), effectively"),
        ("features of the \\overfeat network", "features of the overfeat network"),
        ("code blue{https://github.com/a/b}.", "code https://github.com/a/b."),
        ("LoLDU{https://github.com/a/b}.", "LoLDU https://github.com/a/b."),
        ("a \\emph{\\textbf{nested}} word", "a nested word"),
        ("the $(k,\\ell)$-pebble game", "the (k,ℓ)-pebble game"),
        ("\\href{https://x.org}{our site}", "our site (https://x.org)"),
        ("\\textcolor{red}{warning} text", "warning text"),
        ("costs $O(n \\log n)$ time", "costs O(n log n) time"),
    ],
)
def test_latex_remnants_are_resolved(raw: str, clean: str) -> None:
    row = extract(raw, title="A \\textit{Clean} Title")
    assert row["abstract"] == clean
    assert row["title"] == "A Clean Title"
    assert not pl.Series([row["abstract"]]).str.contains(CONTROL_WORD).any()


def test_text_without_markup_is_untouched() -> None:
    text = "Plain text with 5% gains, (parentheses) and e.g. abbreviations."
    assert extract(text)["abstract"] == text


@pytest.mark.parametrize(
    ("title", "abstract", "acronym"),
    [
        ("DeepZero: Scaling up Zeroth-Order Optimization", "We scale ZO.", "DeepZero"),
        ("lo-fi: distributed fine-tuning", "We fine-tune.", "lo-fi"),
        ("Survey: Deep Learning", "We review deep learning.", None),
        (
            "Fully Convolutional One-Stage Object Detection",
            "We propose a fully convolutional one-stage object detector (FCOS) to solve it.",
            "FCOS",
        ),
        (
            "Long Context Inference",
            "We introduce a method, called MInference, that speeds up long inputs.",
            "MInference",
        ),
        ("A Title Without Names", "Convolutional networks (CNNs) are popular.", None),
    ],
)
def test_acronym(title: str, abstract: str, acronym: str | None) -> None:
    assert extract(abstract, title=title)["acronym"] == acronym


@pytest.mark.parametrize(
    ("abstract", "promised"),
    [
        ("Code is available at https://github.com/a/b.", True),
        ("The code will be made publicly available.", True),
        ("We will release our models and data.", True),
        ("Our implementation is open-sourced.", True),
        ("See https://github.com/a/b", True),
        ("We study the availability of data in general.", False),
        ("Models are evaluated on ImageNet.", False),
    ],
)
def test_code_promised(abstract: str, promised: bool) -> None:
    assert extract(abstract)["code_promised"] is promised


def test_reproduction_and_word_count() -> None:
    row = extract("We reproduce the paper. It works.", title="[Re] Reproducing a Result")
    assert row["is_reproduction"] is True
    assert row["n_words"] == 6
    assert extract("Text.", title="Re-thinking [Re] Things")["is_reproduction"] is False
