"""The method-name rules of pipeline/core/transform/acronym.py on the sample's own papers.

Each rule is shown deciding a real paper (the earlier rules silent on it), the order of
the rules is shown on a paper two rules name differently, and the general terms that
abstracts define in passing ("(CNNs)", "(OOD)") are shown never to become a name.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform import acronym
from pipeline.core.transform.normalize import normalize_text
from tests.conftest import SAMPLE

RULES = [
    "_acronym_title",
    "_acronym_call_our",
    "_acronym_expansion",
    "_acronym_introduced",
    "_acronym_for_short",
    "_acronym_coined",
]


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    """The sample's records, normalised, with each rule's candidate and the chosen name."""
    raw = ingest(SAMPLE.parent).records.filter(pl.col("source_file") == SAMPLE.name)
    df = normalize_text(raw)
    rules = acronym.acronym_rules(df)
    assert list(rules) == RULES
    return df.with_columns(**rules).with_columns(acronym=acronym.acronym(df))


def row(sample: pl.DataFrame, line: int) -> dict:
    (found,) = sample.filter(pl.col("line_start") == line).to_dicts()
    return found


@pytest.mark.parametrize(
    ("line", "rule", "name"),
    [
        (3, "_acronym_title", "DeepZero"),  # "DeepZero: Scaling up Zeroth-Order ..."
        (413, "_acronym_call_our", "R-CNN"),  # "We call our method R-CNN"
        (5, "_acronym_expansion", "Lion"),  # "Lion (EvoLved Sign Momentum)"
        (191, "_acronym_expansion", "TAILOR"),  # "TAILOR (Thompson ActIve ... algORithm ...)"
        (11, "_acronym_introduced", "DiscoFOS"),  # "we propose a novel ... (DiscoFOS)"
        (203, "_acronym_for_short", "AbeT"),  # "(or AbeT for short)"
        (13, "_acronym_coined", "FMLP-Rec"),  # "we propose ... called FMLP-Rec"
        (39, "_acronym_coined", "deepflash2"),  # a lowercase coined name with a digit
    ],
)
def test_each_rule_names_the_method_of_a_real_paper(
    sample: pl.DataFrame, line: int, rule: str, name: str
) -> None:
    found = row(sample, line)
    earlier = RULES[: RULES.index(rule)]
    assert {r: found[r] for r in earlier} == dict.fromkeys(earlier)
    assert found[rule] == name
    assert found["acronym"] == name


def test_the_first_rule_with_a_name_wins(sample: pl.DataFrame) -> None:
    """BGF-YOLO's abstract also introduces its attention block (BRA): the title's name,
    rule 1, is the paper's method, not the block."""
    found = row(sample, 25)
    assert (found["_acronym_title"], found["_acronym_introduced"]) == ("BGF-YOLO", "BRA")
    assert found["acronym"] == "BGF-YOLO"


@pytest.mark.parametrize("line", [53, 121, 155, 195, 251, 473])
def test_a_general_term_introduced_in_passing_is_no_name(sample: pl.DataFrame, line: int) -> None:
    """These abstracts say "we propose ... (CNN)" or "(OOD)" and name nothing else."""
    found = row(sample, line)
    introduced = (
        pl.Series([found["abstract"]])
        .str.extract_all(acronym._INTRODUCED_ACRONYM)
        .list.eval(pl.element().str.extract(r"\(([^()]+)\)$", 1))
        .to_list()[0]
    )
    assert set(introduced) & set(acronym.GENERAL_TERMS)
    assert {r: found[r] for r in RULES} == dict.fromkeys(RULES)
    assert found["acronym"] is None


def test_no_paper_of_the_sample_is_named_by_a_general_term(sample: pl.DataFrame) -> None:
    names = sample["acronym"].drop_nulls()
    assert names.len() >= 100  # most papers of the sample have a name
    assert not names.is_in(acronym.GENERAL_TERMS).any()


@pytest.mark.parametrize(
    ("line", "description"),
    [(379, "CAM-based"), (423, "U-Net-like")],  # "the proposed CAM-based", "proposing U-Net-like"
)
def test_a_descriptive_compound_is_no_coined_name(
    sample: pl.DataFrame, line: int, description: str
) -> None:
    found = row(sample, line)
    assert description in found["abstract"]
    assert found["_acronym_coined"] is None
    assert found["acronym"] != description


@pytest.mark.parametrize(
    ("name", "expansion", "spells"),
    [
        ("TAILOR", "Thompson ActIve Learning algORithm selection", True),
        ("Lion", "EvoLved Sign Momentum", True),
        ("DELF", "DEep Local Feature", True),
        ("FOCUS", "Familiar Objects in Common and Uncommon Settings", True),
        ("DeepLIFT", "Learning Important FeaTures", False),  # no D in the expansion
        ("XFeat", "Accelerated Features", False),  # no X
        ("BERT", "Devlin et al., 2019", False),  # a citation, not an expansion
        ("Networks", "GOTURN", False),  # one word is no expansion
        ("Networks", "Convolutional KANs", False),  # a short form, not an expansion
        # Expansions that end in a short form, and the names they define:
        ("ALBERT", "A Lite BERT", True),
        ("WGAN", "Wasserstein GAN", True),
        ("SDXL", "Stable Diffusion XL", True),
        ("LLaMA", "Large Language Model Meta AI", True),
        ("Networks", "Graph Neural Networks, GNNs", False),
    ],
)
def test_a_name_is_spelled_by_its_expansions_capitals(
    name: str, expansion: str, spells: bool
) -> None:
    """Rule 3's test, on "Name (Expansion)" pairs of the sample's abstracts (lines 191, 5,
    309, 255, 93, 345, 427, 75, 461) and on well-known names."""
    assert acronym._spells(name, expansion) is spells
