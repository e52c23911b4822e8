"""A seeded benchmark corpus of raw trending-page text dumps, with its ground truth.

Why: the one real sample holds 242 distinct, clean papers: far too few to measure the
pipeline's speed and memory, and with no duplicates to score deduplication against.
This module builds corpora of any size (1k to 2M records) that look like the sample to
the reader (same page chrome, line layout, title and abstract lengths, vocabulary) and
come with the answer key: which records are the same work, which edit produced each
re-sighting, which titles collide on purpose, which entries are malformed and how.

How text is made, and why that way:

* Abstracts are walks of a word Markov chain over the sample's abstracts: the next word
  follows the last two (and, on a share of the steps, only the last one, so that walks
  leave the runs they copy). Numbers, dataset and model names are drawn again for each
  paper, and each paper's own method name and code URL are put in. Every word pair
  is one the sample has, yet two papers rarely share five words in a row.
* Titles are walks of the same kind over the sample's titles, behind a generated method
  name ("DeepZero: ...") about as often as in the sample, and made unique.
* Every random choice about a paper's text is a counter-based hash of (seed, paper), so
  any paper's text can be regenerated on its own: re-sightings need no memory of earlier
  files, and generation runs file by file, vectorised with numpy/polars over the records
  of one file. Per-record Python work is kept to the few records that are edited.

Output in DIR (``python -m bench.make_corpus --records N --out DIR [--seed 0] [--days D]``
or :func:`make_corpus`):

* ``raw/YYYY-MM-DD-trending.txt``: one file per scrape day from START_DATE, each one or
  more page dumps (chrome lines, "Subscribe" glued to the first title), then a title
  line and an abstract line per entry, LF line ends.
* ``truth.parquet``, one row per record: ``source_file`` (relative to raw/),
  ``record_index`` and ``line_start`` (as the reader numbers them), ``paper`` (the work),
  ``edit`` (null for the first sighting, else one of EDITS), ``title_collision`` (a
  distinct paper that took another's title phrase: must not be merged),
  ``collides_with`` (that other paper), ``malformed`` (null or one of MALFORMED_KINDS).
* ``stats.json``: counts, length distributions and similarity figures, corpus vs sample.

Layouts the reader cannot cut (see tests/test_bench_corpus.py) are never written: two
title-only entries in a row, or one followed by a title that starts with a lowercase
letter; titles are never too long, closed by a full stop or a function word.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from bench.corpus_formats import format_of_day, write_day_as
from bench.memory import peak_rss_mib
from pipeline.core.names import SENTENCE_BREAK

# --- Corpus shape. Rates are shares of all records written. -----------------------------

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "raw" / "2026-11-23-trending.txt"
START_DATE = date(2026, 1, 1)
# Default number of days (files) is n_records / RECORDS_PER_FILE: files of ~5-20k records.
RECORDS_PER_FILE = 10_000
MIN_DEFAULT_DAYS = 3

EXACT_RATE = 0.08  # exact re-sightings, mostly on later days
NEAR_RATE = 0.06  # near duplicates, split evenly over NEAR_EDITS
NEAR_EDITS = ("revision", "format", "retitle", "noise")
EDITS = ("exact", *NEAR_EDITS)
TITLE_COLLISION_RATE = 0.005  # distinct papers that take another paper's title phrase
SAME_TITLE_COLLISION_SHARE = 0.5  # of those, the share taking the whole title
MALFORMED_RATES = {"missing_abstract": 0.002, "chrome_glued": 0.0015, "bad_bytes": 0.0015}
MALFORMED_KINDS = tuple(MALFORMED_RATES)
SAME_DAY_DUPLICATE_SHARE = 0.12  # re-sightings on the original's own day (after it)
MULTI_PAGE_FILE_SHARE = 0.35  # files holding several page dumps concatenated
MAX_PAGES_PER_FILE = 4
MIN_RECORDS_PER_PAGE = 20

# Text generation.
ABSTRACT_ORDER1_SHARE = 0.1  # Markov steps on a one-word context: walks leave copied runs
TITLE_ORDER1_SHARE = 0.3  # titles: the sample has few, so leave copied runs sooner
LOWERCASE_NAME_SHARE = 0.012  # "xT", "p-MoD", "lo-fi": the sample has 3 of 242
GREEK_NAME_SHARE = 0.004  # "γ-MoD"
ACRONYM_NAME_SHARE = 0.15  # "TLOB", "CBAM"
MIN_ABSTRACT_CHARS = 420  # the sample's shortest abstract has 540
ABSTRACT_OVERSHOOT_CHARS = 70  # walks stop at the first sentence end past their target
ABSTRACT_END_FLOOR = 0.85  # ... or where a sample abstract ends, past this share of it
ABSTRACT_MAX_TOKENS = 640
CODE_LINK_ENDING_SHARE = 0.06  # abstracts ending on a bare code link (the sample: 7%)
CODE_LINK_ENDINGS = (
    "Code is available at ",
    "Code: ",
    "Our code is available at ",
    "The code is publicly available at ",
    "Code and models are available at: ",
)
MIN_TITLE_CHARS = 18  # the sample's shortest title
TITLE_MAX_CHARS = 200  # the sample's longest has 154; the reader takes >300 for abstract text
TITLE_TARGET_SCALE = 0.75  # title walks end at the first title end past this share of a
TITLE_CEILING_SCALE = 1.0  # sampled length, and past this share on any title-final word
TITLE_END_FLOOR = 0.4  # ... or where a sample title ends, past this share of it
TITLE_MAX_TOKENS = 40
TITLE_ATTEMPTS = 30  # rounds of re-walking titles that repeat another paper's
REVISION_EXTRA_CHARS = 160  # length of the walk a revision takes an added sentence from
WALK_CHUNK = 8192  # walks advanced together; bounds the token matrix to ~20 MB

# stats.json
SIMILARITY_PAIRS = 20_000  # distinct-paper pairs whose similarity stats.json reports
SIMILARITY_PAPERS = 4_000  # papers those pairs are drawn from
SHINGLE_WORDS = 5
SAMPLE_CLOSEST_PAIRS = 3  # the sample's most similar pairs, listed in stats.json
NEAR_SIMILARITY_SAMPLE = 1_000  # per edit type, for the near-duplicate similarity figures

CHROME_LINES = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
)
PAGE_GLUE = "Subscribe"  # glued to the first title of every page dump
GLUED_CHROME = (
    "Subscribe",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!Subscribe",
)
BAD_BYTES = b"\xff\xfe"
_BAD_MARK = "\ue000"  # private-use placeholder, swapped for BAD_BYTES after encoding
_NAME_MARK = "\x01"  # where the paper's method name goes in an abstract
_URL_MARK = "\x02"  # where the paper's code URL goes

# Streams of the counter-based hash: one per independent kind of choice.
(
    _S_TITLE,
    _S_TITLE_META,
    _S_NAME,
    _S_ABSTRACT,
    _S_ABSTRACT_LEN,
    _S_SUBST,
    _S_RETITLE,
    _S_EXTRA,
    _S_EDIT,
    _S_MALFORM,
    _S_UNIQUE,
) = range(1, 12)

NAME_PARTS = (
    "Deep", "Zero", "Lo", "RA", "Ve", "Track", "Net", "Former", "Seg", "Diff", "Flow",
    "Graph", "Mamba", "YOLO", "Bench", "Mix", "Fuse", "Sparse", "Quant", "Gen", "Mo",
    "Hyper", "Meta", "Auto", "Omni", "Uni", "Pix", "Point", "Vox", "Depth", "Edit",
    "Align", "Dino", "Lang", "Code", "Mem", "Pro", "Fast", "Lite", "Nano", "Tiny", "Mega",
    "Lumi", "Astra", "Nova", "Orion", "Zeta", "Sigma", "Delta", "Tau", "Rex", "Vid", "Aud",
    "Spec", "Prism", "Echo", "Atlas", "Flux", "Core", "Scale", "Prune", "Distill", "Cast",
    "Sense", "Vision", "Mind", "Chain", "Ray", "Splat", "Fold", "Mesh", "Kern", "Gate",
    "Route", "Pilot", "Sync", "Loop", "Drop", "Shift", "Warp", "Bridge", "Hop", "Lens",
    "Trek", "Sage", "Opt", "Rank", "Tok", "Clip", "Cap", "Act", "Quill", "Vec", "Tab",
    "Geo", "Mol", "Bio", "Med", "Stack", "Walk", "Face", "Spark", "Lion", "Hawk", "Fira",
)  # fmt: skip
NAME_SUFFIXES = ("-v2", "++", "-XL", "2", "-1.0", "v3", "-Lite", "-Pro", "-S", "3D", "-R1", "X")
LOWER_PREFIXES = ("p-", "x", "lo-", "i", "m", "q-", "d", "e")
GREEK_PREFIXES = ("γ-", "μ-", "ε-", "λ-")
ORG_TAILS = ("", "", "", "-ai", "-lab", "-group", "-research", "-nlp", "-cv", "ml", "-hub")

DATASET_NAMES = (
    "ImageNet", "ImageNet-1K", "ImageNet-21K", "CIFAR-10", "CIFAR-100", "COCO", "MS COCO",
    "PASCAL VOC", "ADE20K", "Cityscapes", "KITTI", "NYU Depth v2", "ScanNet", "LVIS",
    "Objects365", "Kinetics-400", "Something-Something v2", "UCF101", "HMDB51",
    "LibriSpeech", "GLUE", "SuperGLUE", "SQuAD", "MMLU", "GSM8K", "HumanEval",
    "WikiText-103", "C4", "The Pile", "LAION-400M", "CelebA", "FFHQ", "LSUN", "MNIST",
    "Fashion-MNIST", "SVHN", "Tiny ImageNet", "Places365", "iNaturalist", "Open Images",
    "nuScenes", "Waymo Open", "SemanticKITTI", "ShapeNet", "ModelNet40", "DAVIS",
    "YouTube-VOS", "LaSOT", "GOT-10k", "TrackingNet", "MOT17", "WIDER FACE",
    "FaceForensics++", "Celeb-DF", "VQAv2", "GQA", "TextVQA", "MSR-VTT", "Flickr30K",
    "Conceptual Captions", "OGB", "Cora", "PubMed", "MovieLens", "Criteo", "ETTh1",
    "BraTS", "CheXpert", "MIMIC-CXR", "Omniglot", "STL-10", "Caltech-101",
)  # fmt: skip
# Dataset spellings in the sample that are not pool names, to recognise them.
DATASET_ALIASES = (
    "CIFAR10", "CIFAR100", "ImageNet-1k", "ImageNet1k", "NYUDv2", "NYUv2", "VOC", "PASCAL",
    "ILSVRC2012", "ILSVRC", "JFT", "JFT-300M", "Celeb-DFv2", "CelebDFv2", "Celeb-A",
    "MS-COCO", "DeeperForensics-1.0", "Br35H", "WIDER", "LFW", "YTF", "MegaFace",
)  # fmt: skip
MODEL_NAMES = (
    "ResNet-50", "ResNet-101", "ViT-B/16", "ViT-L/14", "Swin-T", "ConvNeXt-B",
    "EfficientNet-B4", "MobileNetV3", "DeiT-S", "BERT-base", "RoBERTa-large", "T5-XL",
    "GPT-2", "LLaMA-2-7B", "Llama-3-8B", "Qwen2-7B", "Mistral-7B", "YOLOv5s", "YOLOv8n",
    "DETR", "Mask R-CNN", "Faster R-CNN", "U-Net", "CLIP ViT-B/32", "Stable Diffusion",
    "DINOv2", "SAM", "Whisper", "GPT-4", "Vicuna-13B", "OPT-1.3B", "Phi-2", "Gemma-2B",
    "DenseNet-121", "VGG-16", "Inception-v3", "RegNetY-16GF", "PointNet++", "GraphSAGE",
)  # fmt: skip
_MODEL_TOKEN = re.compile(
    r"(?:ResNet|VGG|MobileNet|EfficientNet|DenseNet|Inception|AlexNet|ViT|DeiT|Swin|BERT"
    r"|RoBERTa|GPT|LLaMA|Llama|Qwen|Mistral|DeepSeek|LLaVA|CLIP|T5|Vicuna"
    r"|YOLO(?:v\d+|\d+))[\w.\-]*"
)

# Reword pairs for "revision" edits: a word the authors changed in a new version.
REWORDS = {
    "propose": "present", "present": "introduce", "novel": "new", "significantly":
    "substantially", "improves": "boosts", "method": "approach", "approach": "framework",
    "show": "demonstrate", "demonstrate": "show", "achieves": "attains", "performance":
    "accuracy", "results": "findings", "efficient": "effective", "large": "big",
    "However,": "Nevertheless,", "Moreover,": "Furthermore,", "Furthermore,": "In addition,",
    "outperforms": "surpasses", "existing": "prior", "task": "problem", "tasks": "problems",
    "model": "network", "models": "networks", "extensive": "comprehensive", "use": "employ",
    "simple": "straightforward", "important": "crucial", "various": "diverse",
}  # fmt: skip
LATEX_WRAPPERS = ("\\textbf{", "\\emph{", "\\textit{", "\\texttt{")
COLOR_WRAPPERS = ("blue{", "\\blue{", "red{", "\\textcolor{blue}{")
NOISE_URLS = ("https://arxiv.org/abs/", "https://openreview.net/forum?id=", "http://")
SURNAMES = ("he", "vaswani", "liu", "zhang", "kingma", "chen", "wang", "li", "brown", "dosovitskiy")

# A title never ends on one of these (nor does a real one); the reader reads such a
# line as text that continues on the next line.
_FUNCTION_WORD_END = re.compile(
    r"(?i)(?:[,;:(\-]|\b(?:a|an|the|of|for|and|or|nor|but|in|on|at|to|by|with|from|via|"
    r"into|onto|over|under|than|that|which|who|while|as|is|are|was|were|be|been|has|have|"
    r"can|may|will|we|our|its|their|this|these|those|such|both|not|also))$"
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
_FULL_STOP_END = re.compile(r"\.[\"')\]]?$")
_SENTENCE_BREAK = re.compile(SENTENCE_BREAK)
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "al.", "vs.", "etc.,", "Fig.", "Eq.", "cf.", "Sec."})
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_TOKEN_PARTS = re.compile(r"([(\[\"'<]*)(.*?)((?:'s)?[)\]\"'.,;:!?+]*)", re.DOTALL)
_URL_CORE = re.compile(r"(?:https?://|www\.)|github\.com")
_TITLE_PREFIX = re.compile(r"([^\s:]{1,40}):\s+(.+)")
_NUMBER_KINDS = (
    ("range_pct", re.compile(r"\d+(?:\.\d+)?-\d+(?:\.\d+)?%")),
    ("range", re.compile(r"\d+-\d+")),
    ("percent", re.compile(r"\d+(?:\.\d+)?%")),
    ("factor", re.compile(r"\d+(?:\.\d+)?[x×]")),
    ("year", re.compile(r"(?:19|20)\d\d")),
    ("fraction", re.compile(r"0\.\d+")),
    ("decimal", re.compile(r"\d+\.\d+")),
    ("thousands", re.compile(r"\d{1,3}(?:,\d{3})+")),
    ("integer", re.compile(r"\d+")),
)
_NUMBER_POOL = 256
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"[\W_]+")
_EDIT_CODE = {name: code for code, name in enumerate(EDITS, start=1)}
_MALFORMED_CODE = {name: code for code, name in enumerate(MALFORMED_KINDS, start=1)}
_MASK64 = (1 << 64) - 1


# --- Counter-based randomness --------------------------------------------------------------


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: a strong 64-bit mix (uint64 arrays wrap)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _keys(seed: int, stream: int, ids: np.ndarray) -> np.ndarray:
    """One 64-bit key per id for one stream: the root of every draw about that id.

    A key depends on nothing but (seed, stream, id), which is what lets a paper's text be
    regenerated alone, in any batch, with the same result.
    """
    base = _mix(np.array([(seed * 0x100000001B3 + stream * 0x9E3779B1) & _MASK64], np.uint64))
    return _mix(np.asarray(ids).astype(np.uint64) ^ base)


def _draw(keys: np.ndarray, step: int) -> np.ndarray:
    """The ``step``-th 64-bit draw of each key."""
    return _mix(keys ^ np.uint64((step * 0xD1B54A32D192ED03) & _MASK64))


def _below(h: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Map draws to integers in [0, n) (n < 2**32) without modulo bias worth the name."""
    return (((h >> np.uint64(32)) * np.asarray(n, dtype=np.uint64)) >> np.uint64(32)).astype(
        np.int64
    )


def _unit(h: np.ndarray) -> np.ndarray:
    """Map draws to floats in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


class _Rng:
    """Per-record Python draws for the few edited records.

    Only ``random.random()`` is used: it is the one method whose sequence for an int seed
    Python promises to keep across versions, which byte-identical corpora need.
    """

    def __init__(self, key: int) -> None:
        self._random = random.Random(key).random

    def below(self, n: int) -> int:
        return min(int(self._random() * n), n - 1)

    def chance(self, p: float) -> bool:
        return self._random() < p

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.below(len(seq))]


# --- Similarity ----------------------------------------------------------------------------


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """Word k-shingles of the lowercased text (words: runs of letters, digits, "_")."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {tuple(words)} if words else set()
    return set(zip(*(words[i:] for i in range(k)), strict=False))


def jaccard(a: set[Any], b: set[Any]) -> float:
    """Jaccard similarity of two sets (two empty sets are identical)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _similarity_summary(values: Sequence[float]) -> dict[str, float | int]:
    arr = np.asarray(values, dtype=np.float64)
    if not arr.size:
        return {"n_pairs": 0}
    return {
        "n_pairs": int(arr.size),
        "max": round(float(arr.max()), 4),
        "p99": round(float(np.percentile(arr, 99)), 4),
        "p95": round(float(np.percentile(arr, 95)), 4),
        "p50": round(float(np.percentile(arr, 50)), 4),
        "mean": round(float(arr.mean()), 4),
        "min": round(float(arr.min()), 4),
    }


# --- The sample: what the generated text is made of ---------------------------------------


@dataclass(frozen=True)
class Sample:
    """The real sample's entries, read by its known layout (chrome, then line pairs)."""

    titles: tuple[str, ...]
    abstracts: tuple[str, ...]


def read_sample(path: Path = SAMPLE_PATH) -> Sample:
    """Read the sample by its known layout, and fail loudly if the layout changed.

    Parity is safe here (and only here): this one file is known to be chrome lines
    followed by strict title/abstract pairs, which the checks below confirm.
    """
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = [line for line in lines if line not in CHROME_LINES]
    body[0] = body[0].removeprefix(PAGE_GLUE)
    titles, abstracts = body[0::2], body[1::2]
    if len(titles) != len(abstracts) or not titles:
        raise ValueError(f"{path}: expected title/abstract line pairs")
    if max(map(len, titles)) >= 300 or min(map(len, abstracts)) <= 300:
        raise ValueError(f"{path}: titles and abstracts are not where expected")
    return Sample(tuple(titles), tuple(abstracts))


@dataclass(frozen=True)
class _Chain:
    """A word Markov chain over documents, as flat arrays a vectorised walk can index.

    Every corpus position is a state. The order-2 context of position p is the pair
    (token p-1, token p), its order-1 context token p. Sampling the next word is picking a
    random position q with the same context and moving to q+1.
    """

    vocab: pa.Array  # token id -> text
    seq: np.ndarray  # token id per position; END (0) before and after every document
    ctx1: np.ndarray  # order-1 context id per position
    ctx2: np.ndarray  # order-2 context id per position
    members: np.ndarray  # positions grouped by context id
    first: np.ndarray  # per context id: offset of its group in members
    count: np.ndarray  # per context id: size of its group
    starts: np.ndarray  # positions a walk may start at
    jumps: np.ndarray  # positions a walk continues at after reaching a document's end
    stop_ok: np.ndarray  # per position: a text may end on this token
    soft_ok: np.ndarray  # per position: a text past its ceiling may end on this token
    tok_chars: np.ndarray  # per token id: its length in characters


END = 0


def _build_chain(
    docs: list[list[str]],
    chars: list[list[int]],
    start_ok: list[list[bool]],
    stop_ok: list[list[bool]],
    jump_ok: list[list[bool]],
    soft_ok: list[list[bool]],
) -> _Chain:
    vocab_list = ["", *sorted({t for doc in docs for t in doc})]
    index = {t: i for i, t in enumerate(vocab_list)}
    seq_l, start_l, stop_l, jump_l, soft_l = [END], [False], [False], [False], [False]
    tok_chars = np.zeros(len(vocab_list), np.int64)
    for doc, ch, st, sp, jp, so in zip(
        docs, chars, start_ok, stop_ok, jump_ok, soft_ok, strict=True
    ):
        ids = [index[t] for t in doc]
        tok_chars[ids] = ch
        seq_l += [*ids, END]
        start_l += [*st, False]
        stop_l += [*sp, False]
        jump_l += [*jp, False]
        soft_l += [*so, False]
    seq = np.asarray(seq_l, np.int64)
    prev = np.concatenate([[END], seq[:-1]])
    _, ctx2 = np.unique(prev * len(vocab_list) + seq, return_inverse=True)
    n2 = int(ctx2.max()) + 1
    ctx1 = seq + n2
    keys = np.concatenate([ctx2, ctx1])
    positions = np.concatenate([np.arange(seq.size), np.arange(seq.size)])
    order = np.argsort(keys, kind="stable")
    count = np.bincount(keys, minlength=n2 + len(vocab_list))
    first = np.cumsum(count) - count
    return _Chain(
        vocab=pa.array(vocab_list, pa.large_string()),
        seq=seq,
        ctx1=ctx1,
        ctx2=ctx2,
        members=positions[order],
        first=first,
        count=count,
        starts=np.flatnonzero(start_l),
        jumps=np.flatnonzero(jump_l),
        stop_ok=np.asarray(stop_l, bool),
        soft_ok=np.asarray(soft_l, bool),
        tok_chars=tok_chars,
    )


def _split_token(token: str) -> tuple[str, str, str]:
    m = _TOKEN_PARTS.fullmatch(token)
    assert m is not None  # the pattern matches any string
    return m.group(1), m.group(2), m.group(3)


def _number_kind(core: str) -> str | None:
    for kind, pattern in _NUMBER_KINDS:
        if pattern.fullmatch(core):
            return kind
    return None


def _number_pool(kind: str, rng: np.random.Generator) -> list[str]:
    n = _NUMBER_POOL
    small = rng.integers(1, 13, n)
    mid = rng.integers(13, 513, n)
    if kind == "range_pct":
        lo = rng.integers(1, 40, n)
        return [f"{a}-{a + b}%" for a, b in zip(lo, rng.integers(2, 30, n), strict=True)]
    if kind == "range":
        return [f"{a}-{a + b}" for a, b in zip(small, rng.integers(2, 20, n), strict=True)]
    if kind == "percent":
        return [
            f"{x:.1f}%" if r < 0.6 else f"{int(x) + 1}%"
            for x, r in zip(rng.gamma(1.5, 8.0, n), rng.random(n), strict=True)
        ]
    if kind == "factor":
        return [
            f"{x:.1f}x" if r < 0.5 else f"{int(x) + 2}x"
            for x, r in zip(rng.gamma(2.0, 2.0, n) + 1.1, rng.random(n), strict=True)
        ]
    if kind == "year":
        return [str(y) for y in rng.integers(2010, 2026, n)]
    if kind == "fraction":
        return [f"0.{k:03d}" for k in rng.integers(100, 999, n)]
    if kind == "decimal":
        return [
            f"{x:.1f}" if r < 0.7 else f"{x:.2f}"
            for x, r in zip(rng.uniform(0.5, 95.0, n), rng.random(n), strict=True)
        ]
    if kind == "thousands":
        return [f"{k:,}" for k in rng.integers(1_000, 500_000, n)]
    return [str(a if r < 0.6 else b) for a, b, r in zip(small, mid, rng.random(n), strict=True)]


def _abstract_chain(sample: Sample) -> _Chain:
    """The abstracts' chain; each paper's own name and its URLs become marks to fill in."""
    docs, chars, starts, stops, jumps = [], [], [], [], []
    for title, abstract in zip(sample.titles, sample.abstracts, strict=True):
        m = _TITLE_PREFIX.fullmatch(title)
        name = m.group(1) if m else None
        raw = abstract.split()
        doc = []
        for token in raw:
            lead, core, trail = _split_token(token)
            if _URL_CORE.search(core):
                doc.append(lead + _URL_MARK + trail)
            elif name and core == name:
                doc.append(lead + _NAME_MARK + trail)
            else:
                doc.append(token)
        # A sentence ends on "." "!" "?" before a capital (or the abstract's end).
        ends = [bool(_SENTENCE_END.search(t)) and t not in _ABBREVIATIONS for t in raw]
        capital = [t[:1].isupper() or t[:1].isdigit() for t in raw[1:]] + [True]
        stop = [e and c for e, c in zip(ends, capital, strict=True)]
        docs.append(doc)
        chars.append([len(t) for t in raw])
        starts.append([i == 0 for i in range(len(raw))])
        stops.append(stop)
        jumps.append([i > 0 and stop[i - 1] for i in range(len(raw))])
    return _build_chain(docs, chars, starts, stops, jumps, stops)


@dataclass(frozen=True)
class _Slots:
    """Tokens drawn again per paper: numbers (per occurrence), dataset and model names
    (the same replacement throughout one paper)."""

    ext_tokens: np.ndarray  # (object) the chain's vocabulary, then every pool's variants
    base: np.ndarray  # per token id: first ext id of its pool variant, or -1 (kept)
    size: np.ndarray  # its pool size
    key: np.ndarray  # 0: drawn per occurrence; else an id of the name it replaces


def _substitution_slots(chain: _Chain) -> _Slots:
    rng = np.random.default_rng(20261123)  # pools are fixed; the seed picks from them
    vocab = chain.vocab.to_pylist()
    base = np.full(len(vocab), -1, np.int64)
    size = np.zeros(len(vocab), np.int64)
    key = np.zeros(len(vocab), np.uint64)
    ext: list[str] = []
    variants: dict[tuple[str, str, str], int] = {}
    pools: dict[str, list[str]] = {"dataset": list(DATASET_NAMES), "model": list(MODEL_NAMES)}
    datasets = set(DATASET_NAMES) | set(DATASET_ALIASES)
    names: dict[str, int] = {}
    for tid, token in enumerate(vocab):
        if tid == END:
            continue
        lead, core, trail = _split_token(token)
        kind = _number_kind(core)
        pool = kind or (
            "dataset" if core in datasets else "model" if _MODEL_TOKEN.fullmatch(core) else None
        )
        if pool is None:
            continue
        if pool not in pools:
            pools[pool] = _number_pool(pool, rng)
        variant = (pool, lead, trail)  # "(CIFAR-10)," keeps its brackets and comma
        if variant not in variants:
            variants[variant] = len(vocab) + len(ext)
            ext += [lead + value + trail for value in pools[pool]]
        base[tid] = variants[variant]
        size[tid] = len(pools[pool])
        if not kind:
            key[tid] = names.setdefault(core, len(names) + 1)
    return _Slots(np.asarray(vocab + ext, dtype=object), base, size, key)


def _title_chain(sample: Sample) -> tuple[_Chain, list[int], list[int]]:
    """The titles' chain over the part after a one-word "Name: " prefix (or the whole
    title), with the lengths of those parts for titles with and without a prefix."""
    descs, named, plain = [], [], []
    for title in sample.titles:
        m = _TITLE_PREFIX.fullmatch(title)
        desc = m.group(2) if m else title
        (named if m else plain).append(len(desc))
        descs.append(desc.split())
    # Past its ceiling a title may end on any word some sample title ends on ("Networks").
    ends = {d[-1] for d in descs if not _FUNCTION_WORD_END.search(d[-1])}
    first = [[i == 0 and not d[0][:1].islower() for i in range(len(d))] for d in descs]
    chain = _build_chain(
        descs,
        [[len(t) for t in d] for d in descs],
        first,
        [[i == len(d) - 1 and t in ends for i, t in enumerate(d)] for d in descs],
        first,
        [[t in ends for t in d] for d in descs],
    )
    return chain, named, plain


@dataclass(frozen=True)
class _Model:
    """Everything taken from the sample once per process: chains, pools, distributions."""

    sample: Sample
    abstracts: _Chain
    slots: _Slots
    titles: _Chain
    abstract_chars: np.ndarray  # the sample's abstract lengths
    desc_chars_named: np.ndarray  # title lengths after a "Name: " prefix
    desc_chars_plain: np.ndarray  # lengths of titles with no such prefix
    prefix_share: float  # share of sample titles with a "Name: " prefix


@lru_cache(maxsize=1)
def _model() -> _Model:
    sample = read_sample()
    abstracts = _abstract_chain(sample)
    titles, named, plain = _title_chain(sample)
    return _Model(
        sample=sample,
        abstracts=abstracts,
        slots=_substitution_slots(abstracts),
        titles=titles,
        abstract_chars=np.asarray([len(a) for a in sample.abstracts], np.float64),
        desc_chars_named=np.asarray(named, np.float64),
        desc_chars_plain=np.asarray(plain, np.float64),
        prefix_share=len(named) / len(sample.titles),
    )


# --- Vectorised walks ----------------------------------------------------------------------


def _walk(
    chain: _Chain,
    keys: np.ndarray,
    targets: np.ndarray,
    floors: np.ndarray,
    ceilings: np.ndarray,
    order1_share: float,
    max_tokens: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Walks in chunks, so the token matrix stays small whatever the batch size."""
    flats, lengths = [], []
    for lo in range(0, keys.size, WALK_CHUNK):
        hi = lo + WALK_CHUNK
        flat, length = _walk_chunk(
            chain,
            keys[lo:hi],
            targets[lo:hi],
            floors[lo:hi],
            ceilings[lo:hi],
            order1_share,
            max_tokens,
        )
        flats.append(flat)
        lengths.append(length)
    if not flats:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(flats), np.concatenate(lengths)


def _walk_chunk(
    chain: _Chain,
    keys: np.ndarray,
    targets: np.ndarray,
    floors: np.ndarray,
    ceilings: np.ndarray,
    order1_share: float,
    max_tokens: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One Markov walk per key, all at once: (token ids flattened row by row, counts).

    A walk stops on a token it may end on once it has ``targets`` characters, or at a
    document's end once it has ``floors`` characters; a document's end reached sooner
    sends it on from a jump position. Past ``ceilings`` characters it stops on any
    token it may softly end on (a title word that is not a function word).
    """
    n = keys.size
    out = np.zeros((n, max_tokens), np.int32)
    h = _draw(keys, 0)
    pos = chain.starts[_below(h, chain.starts.size)]
    out[:, 0] = chain.seq[pos]
    chars = chain.tok_chars[out[:, 0]].copy()
    length = np.ones(n, np.int64)
    last_ok = np.where(chain.soft_ok[pos], 1, 0)
    threshold = np.uint64(int(order1_share * 65536))
    active = np.arange(n)
    for step in range(1, max_tokens):
        if not active.size:
            break
        h = _draw(keys[active], step)
        p = pos[active]
        ctx = np.where((h & np.uint64(0xFFFF)) < threshold, chain.ctx1[p], chain.ctx2[p])
        nxt = chain.members[chain.first[ctx] + _below(h, chain.count[ctx])] + 1
        tok = chain.seq[nxt]
        at_end = tok == END
        finished = at_end & (chars[active] >= floors[active])
        jump = at_end & ~finished
        if jump.any():
            nxt[jump] = chain.jumps[_below(_mix(h[jump]), chain.jumps.size)]
            tok = chain.seq[nxt]
        go = ~finished
        rows, nxt, tok = active[go], nxt[go], tok[go]
        out[rows, step] = tok
        pos[rows] = nxt
        chars[rows] += 1 + chain.tok_chars[tok]
        length[rows] = step + 1
        soft = chain.soft_ok[nxt]
        last_ok[rows[soft]] = step + 1
        c = chars[rows]
        stop = (chain.stop_ok[nxt] & (c >= targets[rows])) | (soft & (c >= ceilings[rows]))
        active = rows[~stop]
    # A walk that ran out of tokens is cut back to its last good ending, if it has one.
    capped = active[last_ok[active] > 0]
    length[capped] = last_ok[capped]
    mask = np.arange(max_tokens)[None, :] < length[:, None]
    return out[mask], length


def _join(vocab: pa.Array, flat: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """Join each walk's tokens with single spaces into a polars Series (for titles, which
    are kept as one Series for the whole corpus)."""
    offsets = np.zeros(lengths.size + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = vocab.take(pa.array(flat, pa.int64()))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series("text", lists).list.join(" ")


def _jittered(samples: np.ndarray, keys: np.ndarray, spread: float = 0.1) -> np.ndarray:
    """Lengths drawn from the sample's own lengths, each stretched by up to +/-spread."""
    picked = samples[_below(_draw(keys, 100), samples.size)]
    return picked * (1.0 - spread + 2.0 * spread * _unit(_draw(keys, 101)))


def _gather(values: Sequence[str], idx: np.ndarray) -> pl.Series:
    """``values[idx]`` as a polars Series, to build strings column-wise."""
    return pl.Series(values, dtype=pl.String).gather(idx)


# --- Paper texts ---------------------------------------------------------------------------


class _Texts:
    """The canonical text of every paper, regenerated on demand from (seed, paper).

    Titles (short) are made for all papers up front because they must be unique across
    the corpus and colliding titles copy other papers' titles; abstracts (long) are made
    per batch when a file needs them.
    """

    def __init__(
        self, seed: int, n_papers: int, partner: np.ndarray, same_title: np.ndarray
    ) -> None:
        self.seed = seed
        self.model = _model()
        ids = np.arange(n_papers)
        self.names = self._names(ids)
        meta = _keys(seed, _S_TITLE_META, ids)
        self.has_prefix = _unit(_draw(meta, 0)) < self.model.prefix_share
        descs = self._descs(_keys(seed, _S_TITLE, ids), self.has_prefix, meta)
        self.titles, self.descs = self._unique_titles(descs, partner)
        self._collide(partner, same_title)

    def _names(self, ids: np.ndarray) -> pl.Series:
        k = _keys(self.seed, _S_NAME, ids)
        d = [_draw(k, i) for i in range(10)]
        parts, letters = NAME_PARTS, [chr(c) for c in range(ord("A"), ord("Z") + 1)]
        third = np.where(_unit(d[2]) < 0.25, _below(d[3], len(parts)) + 1, 0)
        suffix = np.where(_unit(d[4]) < 0.3, _below(d[5], len(NAME_SUFFIXES)) + 1, 0)
        camel = (
            _gather(parts, _below(d[0], len(parts)))
            + _gather(parts, _below(d[1], len(parts)))
            + _gather(("", *parts), third)
            + _gather(("", *NAME_SUFFIXES), suffix)
        )
        n_letters = 3 + _below(d[6], 3)
        acronym = _gather(letters, _below(d[7], 26))
        for i in range(1, 5):
            more = np.where(i < n_letters, _below(_draw(k, 20 + i), 26) + 1, 0)
            acronym = acronym + _gather(("", *letters), more)
        u = _unit(d[8])
        lower = _gather(LOWER_PREFIXES, _below(d[9], len(LOWER_PREFIXES)))
        greek = _gather(GREEK_PREFIXES, _below(d[9], len(GREEK_PREFIXES)))
        return pl.select(
            pl.when(pl.lit(u < LOWERCASE_NAME_SHARE))
            .then(lower + camel)
            .when(pl.lit(u < LOWERCASE_NAME_SHARE + GREEK_NAME_SHARE))
            .then(greek + camel)
            .when(pl.lit(u < LOWERCASE_NAME_SHARE + GREEK_NAME_SHARE + ACRONYM_NAME_SHARE))
            .then(acronym)
            .otherwise(camel)
        ).to_series()

    def urls(self, papers: np.ndarray) -> pl.Series:
        """Each paper's code URL: a GitHub repository named after the method."""
        k = _keys(self.seed, _S_NAME, papers)
        org = (
            _gather(NAME_PARTS, _below(_draw(k, 30), len(NAME_PARTS))).str.to_lowercase()
            + _gather(NAME_PARTS, _below(_draw(k, 31), len(NAME_PARTS))).str.to_lowercase()
            + _gather(ORG_TAILS, _below(_draw(k, 32), len(ORG_TAILS)))
        )
        repo = self.names.gather(papers).str.replace_all(r"[^A-Za-z0-9._-]", "")
        return "https://github.com/" + org + "/" + repo

    def _descs(self, keys: np.ndarray, named: np.ndarray, meta: np.ndarray) -> pl.Series:
        m = self.model
        targets = np.where(
            named, _jittered(m.desc_chars_named, meta), _jittered(m.desc_chars_plain, meta)
        )
        floors = np.maximum(targets * TITLE_END_FLOOR, MIN_TITLE_CHARS)
        flat, lengths = _walk(
            m.titles,
            keys,
            np.maximum(targets * TITLE_TARGET_SCALE, MIN_TITLE_CHARS),
            floors,
            np.maximum(targets * TITLE_CEILING_SCALE, MIN_TITLE_CHARS),
            TITLE_ORDER1_SHARE,
            TITLE_MAX_TOKENS,
        )
        return _join(m.titles.vocab, flat, lengths)

    def _compose(self, names: pl.Series, descs: pl.Series, named: np.ndarray) -> pl.Series:
        return pl.select(
            pl.when(pl.lit(named)).then(names + ": " + descs).otherwise(descs)
        ).to_series()

    def _unique_titles(self, descs: pl.Series, partner: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Titles of distinct papers must differ, or "different paper, same title" would
        not be the deliberate, labelled exception. Re-walk duplicates until none is left."""
        titles = self._compose(self.names, descs, self.has_prefix)
        free = pl.Series(partner < 0)
        for attempt in range(1, TITLE_ATTEMPTS + 1):
            # Colliders are left out: their titles are overwritten by _collide.
            dup = (
                pl.DataFrame({"key": title_key(titles)})
                .with_row_index()
                .filter(free)
                .filter(~pl.col("key").is_first_distinct())
                .get_column("index")
                .to_numpy()
                .astype(np.int64)
            )
            dup = np.union1d(dup, np.flatnonzero(_unlike_titles(titles)))
            if not dup.size:
                break
            if attempt == TITLE_ATTEMPTS:
                raise RuntimeError(f"{dup.size} titles still repeat after {attempt} attempts")
            keys = _keys(self.seed, _S_UNIQUE * 1000 + attempt, dup)
            self.has_prefix[dup] |= attempt > 2  # a method name makes a title unique
            new = self._descs(keys, self.has_prefix[dup], keys)
            descs = descs.scatter(dup, new)
            titles = titles.scatter(
                dup, self._compose(self.names.gather(dup), new, self.has_prefix[dup])
            )
        return titles, descs

    def _collide(self, partner: np.ndarray, same_title: np.ndarray) -> None:
        """Colliders take their partner's whole title, or its description behind their
        own method name: different work, same title phrase."""
        coll = np.flatnonzero(partner >= 0)
        if not coll.size:
            return
        src = partner[coll]
        short = self.descs.gather(src).str.count_matches(r"\S+").to_numpy() < 3
        same = same_title[coll] | short
        own = self.names.gather(coll) + ": " + self.descs.gather(src)
        new = pl.select(pl.when(pl.lit(same)).then(self.titles.gather(src)).otherwise(own))
        self.titles = self.titles.scatter(coll, new.to_series())
        self.descs = self.descs.scatter(coll, self.descs.gather(src))
        self.has_prefix[coll] = np.where(same, self.has_prefix[src], True)

    def abstract_texts(
        self,
        papers: np.ndarray,
        walk_keys: np.ndarray,
        targets: np.ndarray,
        endings: list[str] | None = None,
    ) -> list[str]:
        """Abstract walks for ``papers`` (repeats allowed), with that paper's numbers,
        datasets, models, name and URL filled in."""
        m = self.model
        if not papers.size:
            return []
        floors = targets * ABSTRACT_END_FLOOR
        ceilings = np.full(targets.size, np.inf)
        flat, lengths = _walk(
            m.abstracts,
            walk_keys,
            targets,
            floors,
            ceilings,
            ABSTRACT_ORDER1_SHARE,
            ABSTRACT_MAX_TOKENS,
        )
        subst = np.repeat(_keys(self.seed, _S_SUBST, papers), lengths)
        base = m.slots.base[flat]
        slotted = base >= 0
        if slotted.any():
            starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
            occurrence = (np.arange(flat.size) - starts).astype(np.uint64)
            key = m.slots.key[flat]
            salt = np.where(key > 0, key + np.uint64(1 << 40), occurrence)[slotted]
            pick = _below(_mix(subst[slotted] ^ (salt * np.uint64(0x9E3779B97F4A7C15))), 1 << 30)
            flat = flat.copy()
            flat[slotted] = base[slotted] + pick % m.slots.size[flat[slotted]]
        # Plain Python joins: the callers need Python strings, and this beats Arrow here.
        tokens = m.slots.ext_tokens[flat].tolist()
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends[:-1]]
        tails = [""] * papers.size if endings is None else endings
        names = self.names.gather(papers).to_list()
        urls = self.urls(papers).to_list()
        return [
            (" ".join(tokens[a:b]) + tail).replace(_NAME_MARK, name).replace(_URL_MARK, url)
            for a, b, tail, name, url in zip(starts, ends, tails, names, urls, strict=True)
        ]

    def abstracts(self, papers: np.ndarray) -> list[str]:
        """The canonical abstract of each paper."""
        lens = _keys(self.seed, _S_ABSTRACT_LEN, papers)
        targets = _jittered(self.model.abstract_chars, lens) - ABSTRACT_OVERSHOOT_CHARS
        targets = np.maximum(targets, MIN_ABSTRACT_CHARS)
        link = _unit(_draw(lens, 200)) < CODE_LINK_ENDING_SHARE
        choice = np.where(link, _below(_draw(lens, 201), len(CODE_LINK_ENDINGS)) + 1, 0)
        tails = ("", *(" " + e + _URL_MARK for e in CODE_LINK_ENDINGS))
        endings = _gather(tails, choice).to_list()
        return self.abstract_texts(papers, _keys(self.seed, _S_ABSTRACT, papers), targets, endings)

    def new_descs(self, keys: np.ndarray, papers: np.ndarray) -> list[str]:
        """Fresh title descriptions (for retitles), one per key."""
        descs = self._descs(keys, self.has_prefix[papers], keys)
        for attempt in range(1, TITLE_ATTEMPTS + 1):
            bad = np.flatnonzero(_unlike_titles("Name: " + descs))
            if not bad.size:
                break
            salted = _mix(keys[bad] ^ np.uint64(attempt))
            descs = descs.scatter(bad, self._descs(salted, self.has_prefix[papers[bad]], salted))
        return descs.to_list()


def _unlike_titles(titles: pl.Series) -> np.ndarray:
    """Which titles no real listing has, and the reader would not read as titles: too
    long, ending on a full stop or a function word, or holding several sentences."""
    return (
        (titles.str.len_chars() > TITLE_MAX_CHARS)
        | titles.str.contains(_FUNCTION_WORD_END.pattern)
        | titles.str.contains(_FULL_STOP_END.pattern)
        | (titles.str.count_matches(_SENTENCE_BREAK.pattern) >= 2)
    ).to_numpy()


def _unlike_title(title: str) -> bool:
    """:func:`_unlike_titles` for one title."""
    return (
        len(title) > TITLE_MAX_CHARS
        or bool(_FUNCTION_WORD_END.search(title))
        or bool(_FULL_STOP_END.search(title))
        or len(_SENTENCE_BREAK.findall(title)) >= 2
    )


def title_key(titles: pl.Series) -> pl.Series:
    """Lowercase, punctuation-free title: two titles are "the same" when these match."""
    return titles.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


# --- Edits: how a re-sighting differs from the original ------------------------------------


def _sentence_case(title: str) -> str:
    """Lowercase capitalised words after the first; acronyms and CamelCase stay."""

    def fix(word: str) -> str:
        return "-".join(
            p.lower() if p[:1].isupper() and p[1:].islower() else p for p in word.split("-")
        )

    words = title.split(" ")
    return " ".join([words[0], *(fix(w) for w in words[1:])])


def _title_case(title: str) -> str:
    return " ".join(w[:1].upper() + w[1:] if w[:1].islower() else w for w in title.split(" "))


def _replace_one(text: str, old: str, new: str, rng: _Rng) -> str:
    """Replace one random occurrence of ``old`` (text unchanged when there is none)."""
    spots = [m.start() for m in re.finditer(re.escape(old), text)]
    if not spots:
        return text
    i = rng.pick(spots)
    return text[:i] + new + text[i + len(old) :]


def _format_edit(title: str, abstract: str, rng: _Rng) -> tuple[str, str]:
    """Whitespace, punctuation and case only: the words and their order stay."""
    ops = rng.below(3) + 1
    t, a = title, abstract
    for _ in range(ops):
        op = rng.below(11)
        if op == 0:
            t = _sentence_case(t)
        elif op == 1:
            t = _title_case(t) if not rng.chance(0.15) else t.upper()
        elif op == 2 and ": " in t:
            t = t.replace(": ", rng.pick((" - ", " – ", " : ", ":  ")), 1)
        elif op == 3:
            a = _replace_one(a, " ", rng.pick(("  ", "\t", "\u00a0", "   ")), rng)
        elif op == 4:
            a = a[:-1] if a.endswith(".") else a + "."
        elif op == 5:
            a = _replace_one(a, ", ", " ", rng)
        elif op == 6:
            hyphenated = re.findall(r"\b[A-Za-z]+-[A-Za-z]+\b", a)
            if hyphenated:
                word = rng.pick(hyphenated)
                a = a.replace(word, word.replace("-", rng.pick((" ", ""))), 1)
        elif op == 7:
            a = a.replace("e.g. ", "e.g., ", 1) if "e.g. " in a else a.replace(". ", ".  ")
        elif op == 8 and ". " in a:
            a = _replace_one(a, ". ", ".", rng)  # "networks.Given", as in the sample
        elif op == 9:
            caps = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}\b", a)
            if caps:
                word = rng.pick(caps)
                a = a.replace(" " + word, " " + word.lower(), 1)
        else:
            a = a + rng.pick((" ", "  ", "\t"))
    if _unlike_title(t):  # "What? a ..." title-cased into a second sentence break
        t = title
    if t.strip() == title.strip() and a.strip() == abstract.strip():  # nothing visible yet
        a = _replace_one(abstract, ". ", ".  ", rng) if ". " in abstract else abstract + " ."
    return t, a


def _noise_edit(title: str, abstract: str, url: str, rng: _Rng) -> tuple[str, str]:
    """LaTeX remnants and URLs glued to words, as copy-paste from PDFs leaves them."""
    words = abstract.split(" ")
    done = 0
    for _ in range(8):
        if done >= 1 + rng.below(3):
            break
        op = rng.below(5)
        i = rng.below(len(words))
        if op == 0 and words[i].isalpha() and len(words[i]) >= 4:
            words[i] = rng.pick(LATEX_WRAPPERS) + words[i] + "}"
        elif op == 1:
            hits = [j for j, w in enumerate(words) if w.startswith(("e.g.", "i.e."))]
            if not hits:
                continue
            j = rng.pick(hits)
            words[j] = ("\\eg" if words[j].startswith("e.g.") else "\\ie") + words[j][4:]
        elif op == 2 and i + 3 < len(words):
            span = 2 + rng.below(3)
            words[i] = rng.pick(COLOR_WRAPPERS) + words[i]
            words[i + span - 1] = words[i + span - 1] + "}"
        elif op == 3:
            link = url if rng.chance(0.5) else rng.pick(NOISE_URLS) + str(2300 + rng.below(99))
            words[i] = words[i] + link
        elif op == 4:
            cite = f"~\\cite{{{rng.pick(SURNAMES)}{2015 + rng.below(10)}}}"
            words[i] = words[i] + cite
        else:
            continue
        done += 1
    if not done:
        words[-1] = words[-1] + url
    t = title
    if rng.chance(0.1):
        tw = t.split(" ")
        j = rng.below(len(tw))
        if tw[j].isalpha():
            tw[j] = "\\textbf{" + tw[j] + "}"
            t = " ".join(tw)
    return t, " ".join(words)


def _revision_edit(title: str, abstract: str, extra: str, rng: _Rng) -> tuple[str, str]:
    """A new version: a sentence added, dropped or reworded, numbers updated."""
    sentences = _SENTENCE_SPLIT.split(abstract)
    changed = False
    for _ in range(1 + rng.below(2)):
        op = rng.below(4)
        if op == 0 and len(sentences) >= 4:
            j = 1 + rng.below(len(sentences) - 1)
            if len(abstract) - len(sentences[j]) > MIN_ABSTRACT_CHARS:
                del sentences[j]
                changed = True
        elif op == 1:
            j = rng.below(len(sentences))
            words = sentences[j].split(" ")
            hits = [i for i, w in enumerate(words) if w in REWORDS]
            for i in hits[: 1 + rng.below(3)]:
                words[i] = REWORDS[words[i]]
                changed = True
            sentences[j] = " ".join(words)
        elif op == 2:
            nums = [j for j, s in enumerate(sentences) if _NUMBER.search(s)]
            if nums:
                j = rng.pick(nums)
                sentences[j] = _NUMBER.sub(lambda m: _bump(m.group(0), rng), sentences[j], 2)
                changed = True
        else:
            changed |= _add_sentence(sentences, extra, rng)
    revised = " ".join(sentences)
    if not changed or revised == abstract:
        _add_sentence(sentences, extra, rng)
        revised = " ".join(sentences)
    return title, revised


def _add_sentence(sentences: list[str], extra: str, rng: _Rng) -> bool:
    pool = [s for s in _SENTENCE_SPLIT.split(extra) if len(s) > 40] or [extra]
    sentences.insert(1 + rng.below(len(sentences)), rng.pick(pool))
    return True


def _bump(number: str, rng: _Rng) -> str:
    """A different number of the same shape: 85.3 -> 86.1, 12 -> 14."""
    if "." in number:
        whole, frac = number.split(".")
        digits = (int(frac) + 1 + rng.below(8)) % 10 ** len(frac)
        return f"{int(whole) + rng.below(3)}.{digits:0{len(frac)}d}"
    return str(int(number) + 1 + rng.below(5))


def _retitle(title: str, desc: str, new_desc: str, name: str, named: bool, rng: _Rng) -> str:
    """A changed title for the same abstract: a new description, or a name put in front."""
    new = f"{name}: {new_desc}" if named or rng.chance(0.5) else f"{name}: {desc}"
    if _NOT_WORD.sub(" ", new.lower()).strip() == _NOT_WORD.sub(" ", title.lower()).strip():
        new = desc if named else f"{name}: {desc}"
    return new


# --- The plan: which record is which, where ------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    records: pl.DataFrame  # plan_id, paper, edit, day, page_start, malformed; file order
    n_papers: int
    partner: np.ndarray  # per paper: the paper whose title it collides with, or -1
    same_title: np.ndarray  # per paper: the collision copies the whole title


def _plan(n: int, seed: int, days: int) -> _Plan:
    """Decide every record's paper, edit, day, position, page and malformation."""
    rng = np.random.default_rng([seed & _MASK64, 0xC0FFEE])
    n_exact = round(n * EXACT_RATE)
    n_each = round(n * NEAR_RATE / len(NEAR_EDITS))
    n_dup = n_exact + n_each * len(NEAR_EDITS)
    n_papers = n - n_dup
    orig_day = np.sort(rng.integers(0, days, n_papers))
    day_start = np.searchsorted(orig_day, np.arange(days + 1))

    # Title collisions: a later paper takes the title (phrase) of an earlier one.
    partner = np.full(n_papers, -1, np.int64)
    same_title = np.zeros(n_papers, bool)
    n_coll = min(round(n * TITLE_COLLISION_RATE), max(n_papers - 1, 0) // 2)
    if n_coll:
        coll = np.sort(rng.choice(np.arange(1, n_papers), n_coll, replace=False))
        free = np.setdiff1d(np.arange(n_papers), coll)
        below = np.searchsorted(free, coll)  # >= 1: paper 0 is never a collider
        partner[coll] = free[(rng.random(n_coll) * below).astype(np.int64)]
        same_title[coll] = rng.random(n_coll) < SAME_TITLE_COLLISION_SHARE

    # Re-sightings: mostly on a later day (recent papers more often), some the same day.
    codes = np.repeat(np.arange(1, len(EDITS) + 1), [n_exact] + [n_each] * len(NEAR_EDITS)).astype(
        np.int8
    )
    codes = rng.permutation(codes)
    src = rng.integers(0, max(n_papers, 1), n_dup)
    dup_day = orig_day[src] if n_dup else np.zeros(0, np.int64)
    if days > 1 and n_dup:
        later = rng.random(n_dup) >= SAME_DAY_DUPLICATE_SHARE
        d = rng.integers(1, days, n_dup)
        before = day_start[d]
        later &= before > 0
        back = (before * rng.random(n_dup) ** 2).astype(np.int64)
        src = np.where(later, np.maximum(before - 1 - back, 0), src)
        dup_day = np.where(later, d, orig_day[src])

    paper = np.concatenate([np.arange(n_papers), src]).astype(np.int64)
    day = np.concatenate([orig_day, dup_day]).astype(np.int64)
    plan_id = np.arange(n, dtype=np.int64)
    slot = np.argsort(np.lexsort((rng.random(n), day)))  # a random order within each day
    # Within a day the original comes first among the sightings of its paper: the sightings
    # of a (day, paper) take that group's slots in plan order (originals have the lowest ids).
    by_plan = np.lexsort((plan_id, paper, day))
    by_slot = np.lexsort((slot, paper, day))
    slot[by_plan] = slot[by_slot]
    order = np.argsort(slot)
    records = pl.DataFrame(
        {
            "plan_id": plan_id[order],
            "paper": paper[order],
            "edit": np.concatenate([np.zeros(n_papers, np.int8), codes])[order],
            "day": day[order].astype(np.int32),
        }
    )

    # Pages: some files hold several page dumps; each page starts with chrome + "Subscribe".
    per_day = records.group_by("day", maintain_order=True).len().get_column("len").to_numpy()
    per_day = per_day.astype(np.int64)
    offsets = np.cumsum(per_day) - per_day
    roomy = per_day >= 2 * MIN_RECORDS_PER_PAGE
    multi = roomy & (rng.random(per_day.size) < MULTI_PAGE_FILE_SHARE)
    if roomy.any() and not multi.any():  # every corpus has some concatenated dumps
        multi[np.argmax(per_day)] = True
    pages = np.minimum(
        rng.integers(2, MAX_PAGES_PER_FILE + 1, per_day.size), per_day // MIN_RECORDS_PER_PAGE
    )
    page_start = np.zeros(n, bool)
    page_start[offsets] = True
    for d in np.flatnonzero(multi):
        cuts = rng.choice(np.arange(1, per_day[d]), pages[d] - 1, replace=False)
        page_start[offsets[d] + cuts] = True

    # Malformed entries, never on a page's first record (that one has chrome glued anyway).
    malformed = np.where(page_start, _MALFORMED_CODE["chrome_glued"], 0).astype(np.int8)
    want = [round(n * MALFORMED_RATES[k]) for k in MALFORMED_KINDS]
    eligible = np.flatnonzero(~page_start)
    chosen = rng.choice(eligible, min(sum(want), eligible.size), replace=False)
    kinds = np.repeat(np.arange(1, len(MALFORMED_KINDS) + 1), want)[: chosen.size]
    malformed[chosen] = kinds.astype(np.int8)
    # Two title-only entries in a row read as a title wrapped over two lines: keep them apart.
    missing = malformed == _MALFORMED_CODE["missing_abstract"]
    day = day[order]
    clash = missing & np.concatenate([[False], missing[:-1] & (day[1:] == day[:-1])])
    malformed[clash] = _MALFORMED_CODE["bad_bytes"]
    records = records.with_columns(page_start=pl.Series(page_start), malformed=pl.Series(malformed))
    return _Plan(records, n_papers, partner, same_title)


# --- Writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`make_corpus` wrote; ``stats`` is the content of stats.json."""

    out_dir: Path
    n_records: int
    n_papers: int
    n_files: int
    seconds: float
    stats: dict[str, Any]


def default_days(n_records: int) -> int:
    """Days (files) for a corpus: ~RECORDS_PER_FILE records each, at least a few files."""
    return max(1, min(n_records, max(MIN_DEFAULT_DAYS, round(n_records / RECORDS_PER_FILE))))


class _Accumulator:
    """Per-file results gathered for truth.parquet and stats.json."""

    def __init__(self) -> None:
        self.truth: list[pl.DataFrame] = []
        self.title_chars: list[np.ndarray] = []
        self.abstract_chars: list[np.ndarray] = []
        self.full_stop = 0
        self.near_similarity: dict[str, list[float]] = {e: [] for e in EDITS}
        self.pages = 0


def _edit(
    texts: _Texts,
    papers: np.ndarray,
    plan_ids: np.ndarray,
    edit: np.ndarray,
    canon_titles: list[str],
    canon: list[str],
) -> tuple[list[str], list[str]]:
    """The text of each record: its paper's, changed as its edit type says."""
    seed = texts.seed
    titles, abstracts = list(canon_titles), list(canon)
    rngs = _keys(seed, _S_EDIT, plan_ids).tolist()
    retitles = np.flatnonzero(edit == _EDIT_CODE["retitle"])
    if retitles.size:
        new_descs = texts.new_descs(_keys(seed, _S_RETITLE, plan_ids[retitles]), papers[retitles])
        names = texts.names.gather(papers[retitles]).to_list()
        descs = texts.descs.gather(papers[retitles]).to_list()
        for j, new_desc, name, desc in zip(retitles, new_descs, names, descs, strict=True):
            named = bool(texts.has_prefix[papers[j]])
            titles[j] = _retitle(titles[j], desc, new_desc, name, named, _Rng(rngs[j]))
    revisions = np.flatnonzero(edit == _EDIT_CODE["revision"])
    extras = texts.abstract_texts(
        papers[revisions],
        _keys(seed, _S_EXTRA, plan_ids[revisions]),
        np.full(revisions.size, REVISION_EXTRA_CHARS, np.float64),
    )
    for j, extra in zip(revisions, extras, strict=True):
        titles[j], abstracts[j] = _revision_edit(titles[j], abstracts[j], extra, _Rng(rngs[j]))
    for j in np.flatnonzero(edit == _EDIT_CODE["format"]):
        titles[j], abstracts[j] = _format_edit(titles[j], abstracts[j], _Rng(rngs[j]))
    noisy = np.flatnonzero(edit == _EDIT_CODE["noise"])
    urls = texts.urls(papers[noisy]).to_list()
    for j, url in zip(noisy, urls, strict=True):
        titles[j], abstracts[j] = _noise_edit(titles[j], abstracts[j], url, _Rng(rngs[j]))
    return titles, abstracts


def _steer_clear(malformed: np.ndarray, titles: list[str], page_start: np.ndarray) -> np.ndarray:
    """Keep a title-only entry away from a next line that starts with a lowercase letter.

    The reader takes "Title / lo-fi: distributed ... / abstract" for one abstract wrapped
    over three lines (a reader limit, see the tests), so such an entry keeps its abstract
    and gets bad bytes in it instead. Chrome before the next title ("Subscribelo-fi") or a
    page break in between is safe.
    """
    malformed = malformed.copy()
    for j in np.flatnonzero(malformed[:-1] == _MALFORMED_CODE["missing_abstract"]):
        first = titles[j + 1][:1]
        glued = page_start[j + 1] or malformed[j + 1] == _MALFORMED_CODE["chrome_glued"]
        if first.islower() and first.isascii() and not glued:
            malformed[j] = _MALFORMED_CODE["bad_bytes"]
    return malformed


def _lay_out(
    titles: list[str],
    abstracts: list[str],
    malformed: np.ndarray,
    page_start: np.ndarray,
    keys: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """The file's lines, chrome at each page start and malformations applied, and the
    1-based line of each record's title."""
    lines: list[str] = []
    line_start = np.zeros(len(titles), np.int64)
    for j, (title, abstract, key) in enumerate(zip(titles, abstracts, keys.tolist(), strict=True)):
        kind = malformed[j]
        if page_start[j]:
            lines += CHROME_LINES
            title = PAGE_GLUE + title
        elif kind == _MALFORMED_CODE["chrome_glued"]:
            title = _Rng(key).pick(GLUED_CHROME) + title
        line_start[j] = len(lines) + 1
        lines.append(title)
        if kind == _MALFORMED_CODE["bad_bytes"]:  # a couple of bytes that are not UTF-8
            at = len(abstract) // 10 + _Rng(key).below(max(1, len(abstract) * 8 // 10))
            abstract = abstract[:at] + _BAD_MARK + abstract[at:]
        if kind != _MALFORMED_CODE["missing_abstract"]:
            lines.append(abstract)
    return lines, line_start


def _write_day(
    day: int,
    rows: pl.DataFrame,
    texts: _Texts,
    plan: _Plan,
    raw_dir: Path,
    acc: _Accumulator,
    as_jsonl: bool = False,
    fmt: str | None = None,
) -> None:
    """Generate, edit, damage and write one scrape day's file, and its truth rows.

    ``as_jsonl``: the day is a JSON-lines scrape ({"title", "abstract"} per line) instead
    of a page dump: no page chrome, and of the malformations only a missing abstract
    (the key left out) applies; the truth says so."""
    papers = rows.get_column("paper").to_numpy()
    plan_ids = rows.get_column("plan_id").to_numpy()
    edit = rows.get_column("edit").to_numpy()
    page_start = rows.get_column("page_start").to_numpy()
    canon_titles = texts.titles.gather(papers).to_list()
    canon = texts.abstracts(papers)
    titles, abstracts = _edit(texts, papers, plan_ids, edit, canon_titles, canon)

    # Similarity of near duplicates to their original, on the first few of each type.
    for j in np.flatnonzero(edit > 0):
        sims = acc.near_similarity[EDITS[edit[j] - 1]]
        if len(sims) < NEAR_SIMILARITY_SAMPLE:
            edited = shingles(titles[j] + " " + abstracts[j])
            sims.append(jaccard(edited, shingles(canon_titles[j] + " " + canon[j])))

    malformed = _steer_clear(rows.get_column("malformed").to_numpy(), titles, page_start)
    if fmt is not None:
        missing = malformed == _MALFORMED_CODE["missing_abstract"]
        malformed = np.where(missing, malformed, 0).astype(malformed.dtype)
        page_start = np.zeros_like(page_start)
        day_date = START_DATE + timedelta(days=day)
        data, line_start = write_day_as(fmt, titles, abstracts, missing, day_date, papers)
        name = f"{day_date}-trending.{fmt}"
        lines = None
    elif as_jsonl:
        missing = malformed == _MALFORMED_CODE["missing_abstract"]
        malformed = np.where(missing, malformed, 0).astype(malformed.dtype)
        page_start = np.zeros_like(page_start)
        lines = [
            json.dumps({"title": t} if gone else {"title": t, "abstract": a}, ensure_ascii=False)
            for t, a, gone in zip(titles, abstracts, missing.tolist(), strict=True)
        ]
        line_start = np.arange(1, len(titles) + 1, dtype=np.int64)
        name = f"{START_DATE + timedelta(days=day)}-trending.jsonl"
    else:
        lines, line_start = _lay_out(
            titles, abstracts, malformed, page_start, _keys(texts.seed, _S_MALFORM, plan_ids)
        )
        name = f"{START_DATE + timedelta(days=day)}-trending.txt"
    if lines is not None:
        data = ("\n".join(lines) + "\n").encode("utf-8")
    if (malformed == _MALFORMED_CODE["bad_bytes"]).any():
        data = data.replace(_BAD_MARK.encode(), BAD_BYTES)
    (raw_dir / name).write_bytes(data)

    partner = plan.partner[papers]
    edit_names = pl.Series([None, *EDITS], dtype=pl.String).gather(edit.astype(np.int64))
    mal_names = pl.Series([None, *MALFORMED_KINDS], dtype=pl.String).gather(
        malformed.astype(np.int64)
    )
    acc.truth.append(
        pl.DataFrame(
            {
                "source_file": pl.Series([name] * len(titles), dtype=pl.String),
                "record_index": np.arange(len(titles), dtype=np.int64),
                "line_start": line_start,
                "paper": papers.astype(np.int64),
                "edit": edit_names,
                "title_collision": partner >= 0,
                "malformed": mal_names,
                "collides_with": partner.astype(np.int64),
            }
        ).with_columns(
            collides_with=pl.when(pl.col("title_collision")).then(pl.col("collides_with"))
        )
    )
    acc.title_chars.append(pl.Series(titles, dtype=pl.String).str.len_chars().to_numpy())
    has_abstract = malformed != _MALFORMED_CODE["missing_abstract"]
    kept = [a for a, h in zip(abstracts, has_abstract, strict=True) if h]
    acc.abstract_chars.append(pl.Series(kept, dtype=pl.String).str.len_chars().to_numpy())
    acc.full_stop += sum(a.endswith(".") for a in kept)
    acc.pages += int(page_start.sum())


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if not values.size:
        return {}
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": round(float(p5), 1), "p50": round(float(p50), 1), "p95": round(float(p95), 1)}


def _distinct_pairs(n_items: int, rng: np.random.Generator) -> np.ndarray:
    """At least SIMILARITY_PAIRS distinct unordered pairs (all of them when fewer exist)."""
    possible = n_items * (n_items - 1) // 2
    if possible <= 2 * SIMILARITY_PAIRS:
        a, b = np.triu_indices(n_items, 1)
        return np.stack([a, b], axis=1)
    a = rng.integers(0, n_items, 3 * SIMILARITY_PAIRS)
    b = rng.integers(0, n_items, 3 * SIMILARITY_PAIRS)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)[a != b], axis=0)
    return pairs[rng.permutation(len(pairs))[:SIMILARITY_PAIRS]]


def _pair_similarities(texts: list[str], pairs: np.ndarray) -> list[float]:
    sets = [shingles(t) for t in texts]
    return [jaccard(sets[a], sets[b]) for a, b in pairs.tolist()]


def sample_similarity() -> dict[str, Any]:
    """Similarity of every pair of papers in the real sample, and its closest pairs.

    The closest pairs matter: the sample itself holds two re-sightings of one work under
    different entries (a retitled version, and a revised one), which exact dedup keeps apart.
    """
    sample = _model().sample
    docs = [f"{t} {a}" for t, a in zip(sample.titles, sample.abstracts, strict=True)]
    a, b = np.triu_indices(len(docs), 1)
    sims = _pair_similarities(docs, np.stack([a, b], axis=1))
    closest = np.argsort(-np.asarray(sims), kind="stable")[:SAMPLE_CLOSEST_PAIRS]
    return {
        **_similarity_summary(sims),
        "closest_pairs": [
            {"jaccard": round(sims[k], 4), "titles": [sample.titles[a[k]], sample.titles[b[k]]]}
            for k in closest.tolist()
        ],
    }


def _corpus_similarity(texts: _Texts, plan: _Plan, seed: int) -> dict[str, Any]:
    """Similarity of random pairs of distinct papers (deliberate title collisions left
    out), and of each title collision pair, on the papers' original texts."""
    rng = np.random.default_rng([seed & _MASK64, 0x5EED])
    m = min(plan.n_papers, SIMILARITY_PAPERS)
    chosen = np.sort(rng.choice(plan.n_papers, m, replace=False))
    pairs = _distinct_pairs(m, rng)
    one, other = chosen[pairs[:, 0]], chosen[pairs[:, 1]]
    deliberate = (plan.partner[one] == other) | (plan.partner[other] == one)
    pairs = pairs[~deliberate]
    titles = texts.titles.gather(chosen).to_list()
    docs = [f"{t} {a}" for t, a in zip(titles, texts.abstracts(chosen), strict=True)]
    out: dict[str, Any] = {
        "distinct_papers": {"n_papers": m, **_similarity_summary(_pair_similarities(docs, pairs))}
    }
    coll = np.flatnonzero(plan.partner >= 0)[:2000]
    if coll.size:
        both = np.concatenate([coll, plan.partner[coll]])
        tt = texts.titles.gather(both).to_list()
        cdocs = [f"{t} {a}" for t, a in zip(tt, texts.abstracts(both), strict=True)]
        idx = np.arange(coll.size)
        out["title_collision_pairs"] = _similarity_summary(
            _pair_similarities(cdocs, np.stack([idx, idx + coll.size], axis=1))
        )
    return out


def make_corpus(
    n_records: int,
    out_dir: Path,
    seed: int = 0,
    days: int | None = None,
    jsonl_every: int = 0,
    formats_every: int = 0,
) -> CorpusStats:
    """Write ``n_records`` raw records under ``out_dir/raw`` with truth.parquet and stats.json.

    The same (n_records, seed, days) always gives byte-identical files.
    """
    started = time.perf_counter()
    if n_records < 1:
        raise ValueError("n_records must be at least 1")
    days = default_days(n_records) if days is None else days
    if days < 1:
        raise ValueError("days must be at least 1")
    out_dir = Path(out_dir)
    raw_dir = out_dir / "raw"
    if raw_dir.exists() and any(raw_dir.iterdir()):
        raise FileExistsError(f"{raw_dir} is not empty: a corpus needs a fresh directory")
    raw_dir.mkdir(parents=True, exist_ok=True)

    plan = _plan(n_records, seed, days)
    texts = _Texts(seed, plan.n_papers, plan.partner, plan.same_title)
    acc = _Accumulator()
    for (day,), rows in plan.records.partition_by("day", as_dict=True, maintain_order=True).items():
        as_jsonl = jsonl_every > 0 and int(day) % jsonl_every == jsonl_every - 1
        fmt = None if as_jsonl else format_of_day(int(day), formats_every)
        _write_day(int(day), rows, texts, plan, raw_dir, acc, as_jsonl, fmt)

    truth = pl.concat(acc.truth)
    truth.write_parquet(out_dir / "truth.parquet")
    stats = _stats(n_records, seed, days, plan, texts, truth, acc)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return CorpusStats(
        out_dir=out_dir,
        n_records=n_records,
        n_papers=plan.n_papers,
        n_files=len(acc.truth),
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def _stats(
    n: int, seed: int, days: int, plan: _Plan, texts: _Texts, truth: pl.DataFrame, acc: _Accumulator
) -> dict[str, Any]:
    edits = truth.get_column("edit").fill_null("original").value_counts()
    edit_counts = dict(zip(edits["edit"].to_list(), edits["count"].to_list(), strict=True))
    mal = truth.get_column("malformed").drop_nulls().value_counts()
    mal_counts = dict(zip(mal["malformed"].to_list(), mal["count"].to_list(), strict=True))
    dups = truth.filter(pl.col("edit").is_not_null())
    originals = truth.filter(pl.col("edit").is_null()).select("paper", orig="source_file")
    same_day = dups.join(originals, on="paper").filter(pl.col("source_file") == pl.col("orig"))
    sample = _model().sample
    title_chars = np.concatenate(acc.title_chars)
    abstract_chars = np.concatenate(acc.abstract_chars)
    sample_abstracts = np.asarray([len(a) for a in sample.abstracts])
    return {
        "seed": seed,
        "n_records": n,
        "n_papers": plan.n_papers,
        "n_files": len(acc.truth),
        "n_pages": acc.pages,
        "days": days,
        "start_date": str(START_DATE),
        "edit": {k: edit_counts.get(k, 0) for k in ("original", *EDITS)},
        "malformed": {k: mal_counts.get(k, 0) for k in MALFORMED_KINDS},
        "chrome_glued_page_starts": acc.pages,
        "title_collision_papers": int((plan.partner >= 0).sum()),
        "title_collision_records": int(truth.get_column("title_collision").sum()),
        "duplicates_same_day": same_day.height,
        "duplicates_later_day": dups.height - same_day.height,
        "lengths": {
            "title_chars": {
                "corpus": _percentiles(title_chars),
                "sample": _percentiles(np.asarray([len(t) for t in sample.titles])),
            },
            "abstract_chars": {
                "corpus": _percentiles(abstract_chars),
                "sample": _percentiles(sample_abstracts),
            },
            "abstract_ends_with_full_stop": {
                "corpus": round(acc.full_stop / max(abstract_chars.size, 1), 4),
                "sample": round(
                    sum(a.endswith(".") for a in sample.abstracts) / len(sample_abstracts), 4
                ),
            },
        },
        "similarity": {
            "measure": f"Jaccard of word {SHINGLE_WORDS}-shingles of lowercased title + abstract",
            "corpus": _corpus_similarity(texts, plan, seed),
            "sample_distinct_papers": sample_similarity(),
            "near_duplicates_vs_original": {
                k: _similarity_summary(v) for k, v in acc.near_similarity.items()
            },
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a corpus and print its size, time and peak memory."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.make_corpus", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, required=True, help="raw records to write")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=int, default=None, help="files (scrape days)")
    parser.add_argument(
        "--jsonl-every",
        type=int,
        default=0,
        help="write every K-th scrape day as JSON lines instead of a page dump (0: none)",
    )
    parser.add_argument(
        "--formats-every",
        type=int,
        default=0,
        help="write every K-th scrape day as listing markdown, HTML, OAI-PMH or CSV, in turn",
    )
    args = parser.parse_args(argv)
    try:
        result = make_corpus(
            args.records,
            args.out,
            seed=args.seed,
            days=args.days,
            jsonl_every=args.jsonl_every,
            formats_every=args.formats_every,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    peak_mib = peak_rss_mib()
    sim = result.stats["similarity"]["corpus"]["distinct_papers"]
    print(
        f"wrote {result.n_records} records of {result.n_papers} papers in {result.n_files} "
        f"files to {result.out_dir} in {result.seconds:.1f} s, peak RSS {peak_mib:.0f} MiB; "
        f"distinct-paper similarity p99 {sim.get('p99')} max {sim.get('max')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
