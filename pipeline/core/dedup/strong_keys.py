"""Strong keys: records with the same content hash, arXiv id or DOI are one paper.

Links are followed transitively (a text-dump record and an arXiv record with the same
text join, and the arXiv record pulls in its revised version with the same id), with
the title links of :mod:`pipeline.core.dedup.title_links`. Components are found with a
vectorised union-find in numpy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

STRONG_KEYS = ("content_hash", "arxiv_id", "doi")


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Label each of nodes ``0..n-1`` with the smallest node of its connected component
    under the edges ``(a[i], b[i])``.

    Vectorised union-find: every round hooks the larger root of each edge under the
    smaller (``minimum.at``), then jumps pointers to the roots; parents only ever
    decrease, so a component's root is its smallest node. Rounds grow with log of the
    longest chain."""
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            return parent
        a, b = a[differ], b[differ]
        np.minimum.at(
            parent, np.maximum(pa[differ], pb[differ]), np.minimum(pa[differ], pb[differ])
        )
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def strong_groups(ok: pl.DataFrame, titled: pl.DataFrame) -> np.ndarray:
    """Per publishable record (by ``local`` position), the smallest record it is joined
    to by strong keys and the title links ``titled`` (see :mod:`title_links`) alone."""
    edges = pl.concat(
        [
            *(
                ok.select("local", k)
                .drop_nulls()
                .select("local", to=pl.col("local").min().over(k))
                .cast(pl.UInt32)
                for k in STRONG_KEYS
            ),
            titled.select(local="a", to="b"),
        ]
    )
    return components(ok.height, edges["local"].to_numpy(), edges["to"].to_numpy())
