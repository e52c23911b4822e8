"""datasketch MinHashLSH beside pipeline.core.dedup.near_dup on the same texts of a bench corpus.

datasketch is the reference, not a dependency: install it somewhere of its own, e.g.
``pip install --no-deps --target /tmp/dslib datasketch`` and run with
``PYTHONPATH=/tmp/dslib``; generate the corpus with ``python -m bench.make_corpus``.

Like for like: both sides get the same distinct texts, the same threshold and 128
permutations/bins, and are timed from text to candidate pairs (ours: signatures, LSH
buckets and the signature estimate). Ours is also timed through its exact
verification, which datasketch does not do. datasketch's candidates are then verified
with our exact Jaccard (untimed) so both sides' accepted pairs can be compared.

    PYTHONPATH=/tmp/dslib python -m bench.compare_datasketch 100000
"""

import re
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

try:
    from datasketch import MinHash, MinHashLSH
except ImportError:
    sys.exit("datasketch is not installed: pip install datasketch")
from pipeline.core.dedup.near_dup import exact_similarity, likely_pairs, signatures
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.normalize import normalize_text

THRESHOLD = 0.5
n = int(sys.argv[1])
limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
prepared = Path(f"/tmp/dedup/normalized-{n}-0.parquet")
df = (
    pl.read_parquet(prepared, columns=["title", "abstract"])
    if prepared.is_file()
    else normalize_text(ingest(Path(f"bench/.cache/corpus-{n}-0/raw")).records)
).drop_nulls(["title", "abstract"])
texts = (
    df.select(pl.concat_str(["title", "abstract"], separator=" "))
    .to_series()
    .unique(maintain_order=True)
)
if limit:
    texts = texts.head(limit)
t = time.perf_counter()
a, b, _ = likely_pairs(signatures(texts), THRESHOLD)
t_candidates = time.perf_counter() - t
sims = exact_similarity(texts.gather, a.astype(np.int64), b.astype(np.int64))
t_ours = time.perf_counter() - t
ours_pairs = {(int(x), int(y)) for x, y, s in zip(a, b, sims, strict=True) if s >= THRESHOLD}
word = re.compile(r"[^\W_]+")
t = time.perf_counter()
lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
sigs = []
for i, text in enumerate(texts.to_list()):
    w = word.findall(text.lower())
    sh = {" ".join(w[j : j + 3]) for j in range(max(1, len(w) - 2))}
    m = MinHash(num_perm=128)
    m.update_batch([s.encode() for s in sh])
    lsh.insert(i, m)
    sigs.append(m)
cands = set()
for i, m in enumerate(sigs):
    for j in lsh.query(m):
        if j > i:
            cands.add((i, j))
t_ds = time.perf_counter() - t
ca = np.array([p[0] for p in cands], dtype=np.int64)
cb = np.array([p[1] for p in cands], dtype=np.int64)
ds_sims = exact_similarity(texts.gather, ca, cb)
ds_pairs = {p for p, s in zip(cands, ds_sims, strict=True) if s >= THRESHOLD}
m = len(texts)
print(f"texts {m:,}, threshold {THRESHOLD}")
print(
    f"  ours, text -> candidates: {t_candidates:.2f} s, {m / t_candidates:,.0f}/s; "
    f"with exact verification: {t_ours:.2f} s, {m / t_ours:,.0f}/s; "
    f"{len(ours_pairs):,} verified pairs"
)
print(
    f"  datasketch MinHashLSH, text -> candidates: {t_ds:.2f} s, {m / t_ds:,.0f}/s; "
    f"{len(cands):,} candidates, {len(ds_pairs):,} verify >= {THRESHOLD}"
)
print(
    f"  speed-up: {t_ds / t_candidates:.1f}x to candidates, {t_ds / t_ours:.1f}x ours verified "
    f"vs theirs unverified"
)
print(
    f"  verified pairs found by both {len(ours_pairs & ds_pairs):,}; only ours "
    f"{len(ours_pairs - ds_pairs):,}; only datasketch {len(ds_pairs - ours_pairs):,}"
)
