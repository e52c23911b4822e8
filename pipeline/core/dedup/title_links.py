"""The same paper shown differently on different days: same title, and a shared code
repository or an abstract cut short.

Listing pages show a paper one day with its full abstract and another day with the
abstract truncated ("... we propose a novel…") or with a short summary. Their texts
are too far apart for the near tier (a third of an abstract has a shingle Jaccard of
about 0.3 with the whole), yet the records are one paper when their normalised titles
are equal and

- they name the same code repository (``code_url``, or the source's ``repo_url``):
  ``title_and_repo``; or
- one abstract is a prefix of the other, after normalisation (case, punctuation and
  whitespace folded, a trailing ellipsis dropped) and of at least
  :data:`PREFIX_MIN_CHARS`: ``title_and_prefix``.

A title alone never links: distinct papers share generic titles ("Introduction",
"A Survey"), and they stay apart unless their repositories or abstracts agree too.
Candidates come from joins on the title key (with the repository, or the abstract's
first :data:`PREFIX_MIN_CHARS` characters), never from comparing every pair; only
publishable records take part, so a rejected text (a bot comment) links nothing.
"""

from __future__ import annotations

import polars as pl

from pipeline.core.dedup.record_texts import RecordSource

# The shortest abstract (normalised characters) that may stand for a longer one as its
# prefix: the pipeline's shortest publishable abstract.
PREFIX_MIN_CHARS = 50
TITLE_AND_REPO = "title_and_repo"
TITLE_AND_PREFIX = "title_and_prefix"
# A cut-off text's last word is often cut too ("we propo…"): the ellipsis and the
# partial word before it are dropped, so "we propo…" is a prefix of "we propose".
_TRAILING_ELLIPSIS = r"\s*(?:\.\.\.|…)\s*$"
_NOT_WORD = r"[^\p{L}\p{N}]+"
_EDGES = pl.Schema({"a": pl.UInt32, "b": pl.UInt32, "kind": pl.String})


def repo_key(code_url: pl.Expr, repo_url: pl.Expr) -> pl.Expr:
    """The repository a record names, case-folded, without scheme, ``www.``, ``.git`` or
    a trailing slash: the text's canonical code URL, else the source's own field."""
    url = pl.coalesce(code_url, repo_url).str.to_lowercase()
    return (
        url.str.replace(r"^https?://", "")
        .str.replace(r"^www\.", "")
        .str.replace(r"/+$", "")
        .str.replace(r"\.git$", "")
    )


def abstract_key(abstract: pl.Expr) -> pl.Expr:
    """The abstract for prefix matching: lowercase, every run of non-letters/digits one
    space, a trailing ellipsis and the word it cut dropped."""
    cut = abstract.str.contains(_TRAILING_ELLIPSIS)
    body = abstract.str.replace(_TRAILING_ELLIPSIS, "")
    body = pl.when(cut).then(body.str.replace(r"\S+$", "")).otherwise(body)
    return body.str.to_lowercase().str.replace_all(_NOT_WORD, " ").str.strip_chars()


def title_edges(ok: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
    """Links (a, b, kind) between publishable records (by ``local`` position) that are
    one paper by title and repository, or by title and abstract prefix.

    ``ok`` holds ``local``, ``node``, ``t`` (its text), ``title_key``, ``code_url``,
    ``repo_url``, ``arxiv_id`` and ``doi``. Records whose arXiv ids or DOIs differ are
    never linked: identity wins over looks, as for near duplicates.
    """
    titled = ok.filter(pl.col("title_key").is_not_null())
    # Only titles carried by two or more distinct texts can link anything.
    shared = titled.filter(pl.col("t").n_unique().over("title_key") > 1)
    if shared.is_empty():
        return pl.DataFrame(schema=_EDGES)
    by_repo = (
        shared.with_columns(repo=repo_key(pl.col("code_url"), pl.col("repo_url")))
        .drop_nulls("repo")
        .select(
            a=pl.col("local"),
            b=pl.col("local").min().over("title_key", "repo"),
            kind=pl.lit(TITLE_AND_REPO),
        )
        .filter(pl.col("a") != pl.col("b"))
    )
    edges = pl.concat([by_repo.cast(_EDGES), _prefix_edges(shared, source)])
    return _without_id_conflicts(edges, ok)


def _prefix_edges(shared: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
    """Records whose abstract key is a prefix of another's under the same title."""
    texts = shared.unique("t").select("t", "node", "title_key")
    abstracts = source.gather(texts["node"].to_numpy(), "abstract").to_series()
    keyed = (
        texts.with_columns(key=abstract_key(pl.lit(abstracts)))
        .filter(pl.col("key").str.len_chars() >= PREFIX_MIN_CHARS)
        .with_columns(head=pl.col("key").str.slice(0, PREFIX_MIN_CHARS))
    )
    pairs = (
        keyed.join(keyed, on=["title_key", "head"], suffix="_long")
        .filter(
            (pl.col("t") != pl.col("t_long"))
            & (pl.col("key").str.len_chars() <= pl.col("key_long").str.len_chars())
            & pl.col("key_long").str.starts_with(pl.col("key"))
        )
        .select("t", "t_long")
    )
    # One record of each text stands for it; strong keys join the text's other records.
    first = shared.group_by("t").agg(local=pl.col("local").min())
    return (
        pairs.join(first.rename({"local": "a"}), on="t")
        .join(first.rename({"t": "t_long", "local": "b"}), on="t_long")
        .select("a", "b", kind=pl.lit(TITLE_AND_PREFIX))
        .cast(_EDGES)
    )


def id_conflict() -> pl.Expr:
    """True where the two sides of a pair (columns ``<key>_a``, ``<key>_b``) carry
    different arXiv ids or DOIs: similar text or a shared title never overrides
    identity (series papers share long passages)."""
    conflict = pl.lit(False)
    for key in ("arxiv_id", "doi"):
        conflict = conflict | (
            pl.col(f"{key}_a").is_not_null()
            & pl.col(f"{key}_b").is_not_null()
            & (pl.col(f"{key}_a") != pl.col(f"{key}_b"))
        )
    return conflict


def _without_id_conflicts(edges: pl.DataFrame, ok: pl.DataFrame) -> pl.DataFrame:
    """``edges`` without those between records with different arXiv ids or DOIs."""
    ids = ok.select(pl.col("local").cast(pl.UInt32), "arxiv_id", "doi")
    joined = edges.join(ids.rename(lambda c: f"{c}_a"), left_on="a", right_on="local_a").join(
        ids.rename(lambda c: f"{c}_b"), left_on="b", right_on="local_b"
    )
    return joined.filter(~id_conflict()).select(_EDGES.names())
