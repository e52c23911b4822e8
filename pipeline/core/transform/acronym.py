"""The method's short name, when a paper defines one.

Tried in order, the first hit wins:

1. the title's leading name: "DeepZero: ...", "STEREOFOG -- ...", "Qwen2.5-1M Technical Report";
2. "we call our method R-CNN";
3. a name followed by its expansion, whose capitals spell the name:
   "TAILOR (Thompson ActIve Learning algORithm selection)", "Lion (EvoLved Sign Momentum)";
4. a parenthesised acronym in a sentence that introduces the paper's own method:
   "we propose a fully convolutional one-stage object detector (FCOS)";
5. a coined name without parentheses: "we propose DeepTime, a ...", "which we call EfficientLab".

General terms ("(CNN)", "(mAP)") are never names. Rules 1, 2, 4 and 5 are polars regex
extractions; rule 3 needs a subsequence test, run in Python on the rows whose text
has a candidate only.
"""

from __future__ import annotations

import re

import polars as pl

_GENERIC_TITLE_WORDS = [
    "review", "survey", "tutorial", "position", "editorial", "overview", "introduction",
    "correction", "erratum", "note", "perspective", "commentary", "abstract", "preprint",
]  # fmt: skip
# Acronyms of general terms that abstracts define in passing.
GENERAL_TERMS = [
    "AI", "ML", "DL", "RL", "NLP", "CV", "NN", "NNs", "CNN", "CNNs", "DNN", "DNNs", "RNN",
    "RNNs", "GNN", "GNNs", "LLM", "LLMs", "MLLM", "MLLMs", "VLM", "VLMs", "GAN", "GANs",
    "MLP", "MLPs", "SOTA", "OOD", "ID", "mAP", "AP", "IoU", "mIoU", "FLOPs", "GPU", "GPUs",
    "SGD", "ZO", "FO", "KD", "NAS", "SSL", "ViT", "ViTs", "FPS", "API", "APIs", "PEFT",
    "NTK",
]  # fmt: skip
_TOKEN = r"[^\W_][\w.+-]*[\w+]"
_TITLE_NAME = rf"^({_TOKEN})(?:\s*:|\s+--?\s|\s+Technical Report$)"
_CALL_OUR = (
    r"(?i:(?-u:\b)we\s+call\s+(?:our|the|this)\s+(?:method|approach|model|framework|system|network"
    rf"|algorithm|architecture|detector))\s+({_TOKEN})"
)
_NAME_EXPANSION = r"(?-u:\b)([A-Z][\w-]*)\s+\(([A-Z][^()]{5,100})\)"
_SHORT_FORM = re.compile(r"[A-Z]{2,}s?$")  # KAN, CNNs, BERT: an acronym, not a spelled-out word
# A sentence where the authors introduce their own method: "we (then) propose",
# "we embrace this and introduce", "our proposed", "the proposed".
_INTRODUCING = (
    r"(?:(?-u:\b)[Ww]e(?: [^ .]+){0,6}? (?:propose|present|introduce|develop|design|call"
    r"|dub|name|term|coin)\w*|(?-u:\b)(?:[Oo]ur|[Tt]he) proposed)"
)
# Case is spelled out ([Ww]e) rather than asked of the engine with (?i): a
# case-insensitive pattern this long is several times slower in polars' regex engine.
# For the same reason the two hot patterns below match a literal space, not \s: the
# text they read is normalised (whitespace runs are one space), and Unicode \s
# doubles their cost.
_INTRODUCED_ACRONYM = (
    rf"{_INTRODUCING}(?-u:\b)[^.]*?\(([A-Za-z0-9][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\)"
)
_FOR_SHORT = r"\(or\s+[\"“']?([^\s\"”']+)[\"”']?\s+for\s+short\)"
# A coined name: a token (hyphenated parts allowed) with a capital after its first
# letter or a digit: DeepTime, YOLO, Mamba-YOLO, md4all.
_COINED = r"[^\W_][\w+]*(?:-[\w+]+)*"
_COINED_SHAPE = r"^.+[A-Z0-9]"
# "CAM-based", "U-Net-like": descriptions, not names.
_DESCRIPTIVE_SUFFIX = r"-(?:based|like|style|aware|free|wise|driven|guided|level|specific)$"
_COINED_NAME = (
    r"(?:(?-u:\b)(?:[Ww]e (?:propose|present|introduce|call)|[Ww]hich we call"
    r"|to propose|[Pp]roposing|called|named|dubbed|termed|(?:[Tt]he|[Oo]ur) proposed"
    r"(?: \w+,)?)) (?:(?:[Aa]n?|[Tt]he) )?[`'\"“]?"
    rf"({_COINED})(?:[ ,.;:'\"”]|$)"
)


def _spells(name: str, expansion: str) -> bool:
    """The name's capitals appear, in order, among the expansion's capitals. When the
    expansion ends in a short form ("A Lite BERT", "Wasserstein GAN") the name must
    also start with the expansion's first capital: in "Kolmogorov-Arnold Networks
    (Convolutional KANs)" the N of "Networks" is in "KANs", and no name is defined."""
    capitals = [c for c in name if c.isupper()]
    words = expansion.split()
    if not capitals or len(words) < 2:
        return False
    pool = [c for c in expansion if c.isupper()]
    if _SHORT_FORM.match(words[-1]) and capitals[0] != pool[0]:
        return False
    remaining = iter(pool)
    return all(c in remaining for c in capitals)


def _named_by_expansion(abstract: pl.Series) -> pl.Series:
    """Rule 3 on each abstract: the first "Name (Expansion)" whose capitals fit."""
    pairs = abstract.str.extract_all(_NAME_EXPANSION)
    out = []
    for candidates in pairs.to_list():
        found = None
        for text in candidates or ():
            name, _, rest = text.partition(" (")
            if _spells(name, rest.rstrip(")")):
                found = name
                break
        out.append(found)
    return pl.Series(out, dtype=pl.String)


def acronym_rules(df: pl.DataFrame) -> dict[str, pl.Expr]:
    """Each rule's candidate name for every row of ``df`` (columns title, abstract), in
    rule order; :func:`first_name` picks the winner.

    Separate expressions rather than one ``coalesce``: polars runs the top-level
    expressions of a ``with_columns`` on parallel threads, and one expression tree
    on one thread. Only rule 3's Python pass runs here, eagerly, on ``df``.
    """
    title_name = pl.col("title").str.extract(_TITLE_NAME, 1)
    not_general = ~pl.element().is_in(GENERAL_TERMS)

    def usable(expr: pl.Expr) -> pl.Expr:
        return pl.when(~expr.is_in(GENERAL_TERMS)).then(expr)

    coined = (
        pl.col("abstract")
        .str.extract_all(_COINED_NAME)
        .list.eval(pl.element().str.extract(_COINED_NAME, 1))
        .list.eval(
            pl.element().filter(
                pl.element().str.contains(_COINED_SHAPE)
                & ~pl.element().str.contains(_DESCRIPTIVE_SUFFIX)
            )
        )
        .list.first()
    )
    introduced = (
        pl.col("abstract")
        .str.extract_all(_INTRODUCED_ACRONYM)
        .list.eval(pl.element().str.extract(r"\(([^()]+)\)$", 1))
        .list.eval(pl.element().filter(not_general))
        .list.first()
    )
    return {
        "_acronym_title": pl.when(~title_name.str.to_lowercase().is_in(_GENERIC_TITLE_WORDS)).then(
            title_name
        ),
        "_acronym_call_our": pl.col("abstract").str.extract(_CALL_OUR, 1),
        "_acronym_expansion": usable(pl.lit(_named_by_expansion(df["abstract"].fill_null("")))),
        "_acronym_introduced": introduced,
        "_acronym_for_short": pl.col("abstract").str.extract(_FOR_SHORT, 1),
        "_acronym_coined": usable(coined),
    }


def first_name(rules: dict[str, pl.Expr]) -> pl.Expr:
    """The first rule's hit, over the columns :func:`acronym_rules` added."""
    return pl.coalesce(list(rules))


def acronym(df: pl.DataFrame) -> pl.Series:
    """The method name of each row of ``df`` (columns title, abstract), or null."""
    rules = acronym_rules(df)
    return df.with_columns(**rules).select(first_name(rules).alias("acronym")).to_series()
