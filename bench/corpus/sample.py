"""The real sample, and the word Markov chains of its titles and abstracts that texts
are walked from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.corpus.shape import (
    ABBREVIATIONS,
    CHROME_LINES,
    DATASET_ALIASES,
    DATASET_NAMES,
    FUNCTION_WORD_END,
    MODEL_NAMES,
    MODEL_TOKEN,
    NAME_MARK,
    NUMBER_KINDS,
    NUMBER_POOL,
    PAGE_GLUE,
    SAMPLE_PATH,
    SENTENCE_END,
    TITLE_PREFIX,
    TOKEN_PARTS,
    URL_CORE,
    URL_MARK,
)


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
class Chain:
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
) -> Chain:
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
    return Chain(
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
    m = TOKEN_PARTS.fullmatch(token)
    assert m is not None  # the pattern matches any string
    return m.group(1), m.group(2), m.group(3)


def _number_kind(core: str) -> str | None:
    for kind, pattern in NUMBER_KINDS:
        if pattern.fullmatch(core):
            return kind
    return None


def _number_pool(kind: str, rng: np.random.Generator) -> list[str]:
    n = NUMBER_POOL
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


def _abstract_chain(sample: Sample) -> Chain:
    """The abstracts' chain; each paper's own name and its URLs become marks to fill in."""
    docs, chars, starts, stops, jumps = [], [], [], [], []
    for title, abstract in zip(sample.titles, sample.abstracts, strict=True):
        m = TITLE_PREFIX.fullmatch(title)
        name = m.group(1) if m else None
        raw = abstract.split()
        doc = []
        for token in raw:
            lead, core, trail = _split_token(token)
            if URL_CORE.search(core):
                doc.append(lead + URL_MARK + trail)
            elif name and core == name:
                doc.append(lead + NAME_MARK + trail)
            else:
                doc.append(token)
        # A sentence ends on "." "!" "?" before a capital (or the abstract's end).
        ends = [bool(SENTENCE_END.search(t)) and t not in ABBREVIATIONS for t in raw]
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


def _substitution_slots(chain: Chain) -> _Slots:
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
            "dataset" if core in datasets else "model" if MODEL_TOKEN.fullmatch(core) else None
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


def _title_chain(sample: Sample) -> tuple[Chain, list[int], list[int]]:
    """The titles' chain over the part after a one-word "Name: " prefix (or the whole
    title), with the lengths of those parts for titles with and without a prefix."""
    descs, named, plain = [], [], []
    for title in sample.titles:
        m = TITLE_PREFIX.fullmatch(title)
        desc = m.group(2) if m else title
        (named if m else plain).append(len(desc))
        descs.append(desc.split())
    # Past its ceiling a title may end on any word some sample title ends on ("Networks").
    ends = {d[-1] for d in descs if not FUNCTION_WORD_END.search(d[-1])}
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
    abstracts: Chain
    slots: _Slots
    titles: Chain
    abstract_chars: np.ndarray  # the sample's abstract lengths
    desc_chars_named: np.ndarray  # title lengths after a "Name: " prefix
    desc_chars_plain: np.ndarray  # lengths of titles with no such prefix
    prefix_share: float  # share of sample titles with a "Name: " prefix


@lru_cache(maxsize=1)
def corpus_model() -> _Model:
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
