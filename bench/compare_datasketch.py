"""datasketch MinHashLSH beside pipeline.core.near_dup on the same texts of a bench corpus.

datasketch is the reference, not a dependency: ``pip install datasketch`` first, and
generate the corpus with ``make bench`` (BENCH_N) or ``python -m bench.make_corpus``.

    python bench/compare_datasketch.py 100000
"""

import re
import sys
import time
from pathlib import Path

import polars as pl

try:
    from datasketch import MinHash, MinHashLSH
except ImportError:
    sys.exit("datasketch is not installed: pip install datasketch")
from pipeline.core.ingest import ingest
from pipeline.core.near_dup import find_near_duplicates
from pipeline.core.normalize import normalize_text

n = int(sys.argv[1])
df = normalize_text(ingest(Path(f"bench/.cache/corpus-{n}-0/raw")).records).drop_nulls(
    ["title", "abstract"]
)
texts = (
    df.select(pl.concat_str(["title", "abstract"], separator=" "))
    .to_series()
    .unique(maintain_order=True)
)
t = time.perf_counter()
ours = find_near_duplicates(texts, 0.5)
t_ours = time.perf_counter() - t
word = re.compile(r"\w+")
t = time.perf_counter()
lsh = MinHashLSH(threshold=0.5, num_perm=128)
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
ours_pairs = {(a, b) for a, b in ours.pairs.select("a", "b").iter_rows()}
found = len(ours_pairs & cands)
print(f"texts {len(texts)}")
print(f"  ours: {t_ours:.2f} s, {len(texts) / t_ours:,.0f}/s, {len(ours_pairs)} verified pairs")
print(
    f"  datasketch MinHashLSH: {t_ds:.2f} s, {len(texts) / t_ds:,.0f}/s, "
    f"{len(cands)} candidate pairs (not verified)"
)
print(f"  ratio {t_ds / t_ours:.1f}x; our pairs among its candidates: {found}/{len(ours_pairs)}")
