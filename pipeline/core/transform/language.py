"""Language detection: the pipeline's one unavoidable per-row pass, made cheap.

The dataset's ``language``/``language_prob`` are langdetect's answers (seed
LANGDETECT_SEED, N_TRIALS trials, the first DETECT_PREFIX_CHARS characters), and two
engines give them:

* ``"compiled"``: :mod:`pipeline.core.transform.language_kernel`,
  langdetect's detection restated over arrays and compiled with numba, built from
  langdetect's own profiles: the same answers bit for bit (tests hold it), ~50x
  faster, and run on threads since the kernel releases the GIL (so no worker
  processes to start).
* ``"langdetect"``: the package itself, one text at a time in the calling thread: the
  reference, and the fallback should the compiled engine ever disagree with it (a
  self-check on a few texts runs before first use; a mismatch warns and falls back).
* ``"auto"`` (the default): compiled for AUTO_COMPILED_MIN_TEXTS texts or more, else
  langdetect, whichever is done first; the answers are the same.

Results are cached by content hash (a text is detected once in its life, the cache
persists between runs), and only a prefix of the abstract is examined (its cost grows
with length while its answer settles within a few hundred characters). Since both
engines give the same answers, the engine is not part of any output fingerprint.

langdetect samples n-grams at random; ``DetectorFactory.seed`` makes each text's
answer reproducible whatever the order or the thread it lands on.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Literal

import polars as pl

from pipeline.core.names import usable_cores

# Measured on the sample (python, 242 abstracts): full text with langdetect's default 7
# trials costs 2.9 ms a text; a 400-character prefix with 3 trials 1.1 ms, same answers.
DETECT_PREFIX_CHARS = 400
N_TRIALS = 3
LANGDETECT_SEED = 0
Engine = Literal["auto", "compiled", "langdetect"]
ENGINES: tuple[Engine, ...] = ("auto", "compiled", "langdetect")
DEFAULT_ENGINE: Engine = "auto"
# "auto" detects fewer texts than this with langdetect itself: the compiled engine's
# start in a process (its tables, kernels and self-check: ~3 s here) costs more than
# langdetect's ~4 ms a text on a daily run's few hundred new texts. Break-even ~600.
AUTO_COMPILED_MIN_TEXTS = 500
# Texts per thread task: small enough to spread over cores and report progress, large
# enough that the per-call overhead (encoding, kernel entry) is noise.
CHUNK_SIZE = 2000
PROGRESS_EVERY_SECONDS = 10.0
CACHE_SCHEMA = pl.Schema(
    {"content_hash": pl.String, "language": pl.String, "language_prob": pl.Float64}
)
# Short texts of several scripts both engines must agree on before the compiled one is
# trusted in a process: a different Python, libm or langdetect would show here.
SELF_CHECK_TEXTS = (
    "We present a new method for training deep neural networks without gradients.",
    "Wir stellen ein neues Verfahren für das Training tiefer neuronaler Netze vor.",
    "Мы предлагаем новый метод обучения глубоких нейронных сетей без градиентов.",
    "우리는 기울기 없이 심층 신경망을 학습하는 새로운 방법을 제안합니다.",
    "我们提出了一种无需梯度即可训练深度神经网络的新方法。",
    "勾配を使わずに深層ニューラルネットワークを訓練する新しい手法を提案する。",
    "Chúng tôi đề xuất một phương pháp mới để huấn luyện mạng nơ-ron sâu.",
    "نقدم طريقة جديدة لتدريب الشبكات العصبية العميقة دون تدرجات.",
)


def _langdetect_best(texts: Sequence[str]) -> list[tuple[str | None, float | None]]:
    """langdetect itself: ``get_probabilities()[0]`` per text, unrounded."""
    from langdetect import detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    detector_factory.init_factory()  # loads the profiles once per process
    factory = detector_factory._factory
    factory.seed = LANGDETECT_SEED
    out: list[tuple[str | None, float | None]] = []
    for text in texts:
        detector = factory.create()
        detector.n_trial = N_TRIALS
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):  # no letters to go on ("123 456")
            out.append((None, None))
            continue
        out.append((best.lang, best.prob))
    return out


def _compiled_best(texts: Sequence[str]) -> list[tuple[str | None, float | None]]:
    from pipeline.core.transform import language_kernel  # numba: imported on use

    return language_kernel.detect_best(texts, LANGDETECT_SEED, N_TRIALS)


@cache
def _compiled_is_usable() -> bool:
    """Build the compiled engine's tables, load its kernels and check it against
    langdetect on SELF_CHECK_TEXTS, once per process (before any thread uses it)."""
    from pipeline.core.transform import language_kernel

    language_kernel.tables_for(LANGDETECT_SEED)
    if _compiled_best(SELF_CHECK_TEXTS) == _langdetect_best(SELF_CHECK_TEXTS):
        return True
    warnings.warn(
        "compiled language detection disagrees with langdetect here; using langdetect",
        RuntimeWarning,
        stacklevel=3,
    )
    return False


def _detect_chunk(
    texts: Sequence[str | None], engine: Literal["compiled", "langdetect"]
) -> list[tuple[str | None, float | None]]:
    """Best language and its probability (4 digits) per text; (None, None) when
    undecidable: empty, blank, or nothing langdetect can go on."""
    todo = [i for i, text in enumerate(texts) if text and text.strip()]
    prefixes = [texts[i][:DETECT_PREFIX_CHARS] for i in todo]  # type: ignore[index]
    best = _compiled_best if engine == "compiled" else _langdetect_best
    out: list[tuple[str | None, float | None]] = [(None, None)] * len(texts)
    for i, (lang, prob) in zip(todo, best(prefixes), strict=True):
        out[i] = (lang, None if prob is None else round(prob, 4))
    return out


def detect_languages(
    texts: Sequence[str | None],
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine = DEFAULT_ENGINE,
) -> list[tuple[str | None, float | None]]:
    """Detect every text. The compiled engine runs on ``workers`` threads (None or 0:
    every core); langdetect, which holds the GIL, runs in this thread.

    ``progress`` hears how far it got every PROGRESS_EVERY_SECONDS.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown language engine {engine!r}; one of {ENGINES}")
    if engine == "auto":
        engine = "compiled" if len(texts) >= AUTO_COMPILED_MIN_TEXTS else "langdetect"
    if engine == "compiled" and not _compiled_is_usable():
        engine = "langdetect"
    chunks = [texts[i : i + CHUNK_SIZE] for i in range(0, len(texts), CHUNK_SIZE)]
    threads = 1 if engine == "langdetect" else min(workers or usable_cores(), len(chunks))
    if threads <= 1:
        done = (_detect_chunk(chunk, engine) for chunk in chunks)
        return _gather(done, len(texts), progress)
    with ThreadPoolExecutor(threads, thread_name_prefix="language") as pool:
        done = pool.map(_detect_chunk, chunks, [engine] * len(chunks))
        return _gather(done, len(texts), progress)


def _gather(
    chunks: Iterable[list[tuple[str | None, float | None]]],
    total: int,
    progress: Callable[[str], None] | None,
) -> list[tuple[str | None, float | None]]:
    """The chunks' results in order, reporting progress as they arrive."""
    results: list[tuple[str | None, float | None]] = []
    last = time.monotonic()
    for chunk in chunks:
        results.extend(chunk)
        if progress and time.monotonic() - last > PROGRESS_EVERY_SECONDS:
            progress(f"language: detected {len(results)}/{total} texts")
            last = time.monotonic()
    return results


def detect_with_cache(
    records: pl.DataFrame,
    cache: pl.DataFrame,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine = DEFAULT_ENGINE,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """Add ``language`` and ``language_prob`` to ``records``, reusing ``cache``.

    Returns the records, the cache grown by the newly detected texts, and counts
    (detected, cache hits) for the run's metadata.
    """
    todo = (
        records.select("content_hash", "abstract")
        .unique("content_hash", keep="first", maintain_order=True)
        .join(cache.select("content_hash"), on="content_hash", how="anti")
    )
    results = detect_languages(todo["abstract"].to_list(), workers, progress, engine)
    fresh = pl.DataFrame(
        {
            "content_hash": todo["content_hash"],
            "language": [r[0] for r in results],
            "language_prob": [r[1] for r in results],
        },
        schema=CACHE_SCHEMA,
    )
    grown = pl.concat([cache.select(CACHE_SCHEMA.names()), fresh])
    out = records.join(grown, on="content_hash", how="left", maintain_order="left")
    unique = records["content_hash"].n_unique()
    stats = {"detected": fresh.height, "cache_hits": unique - fresh.height, "texts": unique}
    return out, grown, stats


def empty_cache() -> pl.DataFrame:
    return pl.DataFrame(schema=CACHE_SCHEMA)
