"""``python -m bench.language --texts N``: both language engines on the same N texts.

Why: issue #17 asks for langdetect's own answers at least 20x faster. This runs
langdetect and the compiled engine single-threaded, in one process, on the same
texts, with the pipeline's parameters (prefix, trials, seed), and prints as its LAST
line one JSON object: ``texts``, ``identical`` (share of texts whose (language,
probability to 4 digits) equal langdetect's), ``speedup`` (langdetect seconds /
compiled seconds) and ``compiled_texts_per_s``; the line before it has the details:
``bit_identical`` (unrounded probabilities equal), per-text costs, the threaded rate
on every core (wall time). Single-threaded times are CPU seconds of the calling thread
(``time.thread_time``), not wall time, so that other work on a shared machine does not
skew the ratio. The compiled engine is warmed up first (tables
built, kernels compiled or loaded from the numba cache, self-check run), so its time
excludes compilation; its preparation (regexes, encoding) is timed, as in a run.

Texts: clean abstracts of the generated bench corpus (``bench/.cache``, made once;
as the pipeline sees them after normalising) and a multilingual set of real texts
(every file of tests/data/realdata, Korean summaries included) and
hand-written sentences in a dozen languages and scripts.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from bench.run import RESULTS, corpus
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.provenance import code_version
from pipeline.core.transform import language
from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.normalize import normalize_text

REPO = Path(__file__).resolve().parents[1]
REAL_DIRS = (REPO / "tests" / "data" / "realdata",)
MULTILINGUAL_SHARE = 0.2  # of the texts, at most: the rest are corpus abstracts
HAND_WRITTEN = (
    "Nous présentons une méthode d'apprentissage profond qui converge plus rapidement.",
    "Presentamos un método nuevo para entrenar redes neuronales profundas sin gradientes.",
    "Apresentamos um novo método para treinar redes neurais profundas sem gradientes.",
    "Presentiamo un nuovo metodo per addestrare reti neurali profonde senza gradienti.",
    "Wir stellen ein neues Verfahren für das Training tiefer neuronaler Netze vor.",
    "Мы предлагаем новый метод обучения глубоких нейронных сетей без градиентов.",
    "Ми пропонуємо новий метод навчання глибоких нейронних мереж без градієнтів.",
    "我们提出了一种无需梯度即可训练深度神经网络的新方法，并在大规模数据集上验证。",
    "我們提出了一種無需梯度即可訓練深度神經網路的新方法。",
    "勾配を使わずに深層ニューラルネットワークを訓練する新しい手法を提案する。",
    "우리는 기울기 없이 심층 신경망을 학습하는 새로운 방법을 제안합니다.",
    "نقدم طريقة جديدة لتدريب الشبكات العصبية العميقة دون تدرجات.",
    "हम ग्रेडिएंट के बिना गहरे तंत्रिका नेटवर्क को प्रशिक्षित करने की एक नई विधि प्रस्तुत करते हैं।",
    "Chúng tôi đề xuất một phương pháp mới để huấn luyện mạng nơ-ron sâu.",
    "Προτείνουμε μια νέα μέθοδο εκπαίδευσης βαθιών νευρωνικών δικτύων.",
    "Derin sinir ağlarını gradyan olmadan eğitmek için yeni bir yöntem sunuyoruz.",
    "Przedstawiamy nową metodę uczenia głębokich sieci neuronowych bez gradientów.",
    "Vi presenterar en ny metod för att träna djupa neurala nätverk utan gradienter.",
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in _strings(item)] if isinstance(value, list) else []


def real_texts() -> list[str]:
    """Every text of the real scrapes: JSON strings, XML titles and abstracts, markdown
    paragraphs; the hand-written sentences."""
    texts: list[str] = []
    for path in sorted(p for d in REAL_DIRS for p in d.iterdir() if p.name != "README.md"):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            texts += _strings(json.loads(raw))
        elif path.suffix == ".xml":
            texts += [
                html.unescape(m) for m in re.findall(r"<(?:title|abstract)>(.*?)</", raw, re.S)
            ]
        else:
            texts += re.split(r"\n\s*\n", raw)
    return [t for t in dict.fromkeys([*texts, *HAND_WRITTEN]) if len(t.strip()) > 1]


def corpus_abstracts(n: int, seed: int = 0) -> list[str]:
    """The first n distinct clean abstracts of the bench corpus (as detection sees them)."""
    records = ingest(corpus(max(2 * n, 1000), seed) / "raw").records  # re-sightings repeat
    clean = extract_fields(normalize_text(records))
    return (
        clean.select(pl.col("abstract").drop_nulls().unique(maintain_order=True))
        .head(n)["abstract"]
        .to_list()
    )


def bench_texts(n: int) -> tuple[list[str], int]:
    """n texts, up to MULTILINGUAL_SHARE of them real multilingual ones (evenly drawn)."""
    real = real_texts()
    k = min(len(real), int(n * MULTILINGUAL_SHARE))
    chosen = [real[i * len(real) // k] for i in range(k)] if k else []
    return corpus_abstracts(n - k) + chosen, k


def _timed(fn: Callable[[list], Any], texts: list) -> tuple[Any, float]:
    """fn(texts) and the CPU seconds of this thread it took: shared machines are busy, and
    a single-threaded engine's CPU time is what it costs, whatever else runs."""
    start = time.thread_time()
    out = fn(texts)
    return out, time.thread_time() - start


def measure(n: int) -> dict:
    texts, multilingual = bench_texts(n)
    prefixes = [t[: language.DETECT_PREFIX_CHARS] for t in texts if t and t.strip()]
    assert language._compiled_is_usable(), "the compiled engine failed its self-check"
    language._compiled_best(prefixes[:200])  # warm: tables, kernels, first-call costs
    compiled, compiled_s = _timed(language._compiled_best, prefixes)
    reference, langdetect_s = _timed(language._langdetect_best, prefixes)
    start = time.perf_counter()
    language.detect_languages(texts, workers=0)
    threaded_s = time.perf_counter() - start  # wall time: the threads' CPU is not ours

    def rounded(r: tuple[str | None, float | None]) -> tuple[str | None, float | None]:
        return (r[0], None if r[1] is None else round(r[1], 4))

    same = sum(rounded(a) == rounded(b) for a, b in zip(compiled, reference, strict=True))
    exact = sum(a == b for a, b in zip(compiled, reference, strict=True))
    languages = pl.Series([r[0] for r in reference]).value_counts(sort=True).head(12)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # a shared machine
        },
        "multilingual_texts": multilingual,
        "detected_texts": len(prefixes),
        "languages_top": dict(zip(*languages.to_dict(as_series=False).values(), strict=True)),
        "langdetect_seconds": round(langdetect_s, 3),
        "compiled_seconds": round(compiled_s, 3),
        "langdetect_ms_per_text": round(1000 * langdetect_s / len(prefixes), 3),
        "compiled_us_per_text": round(1e6 * compiled_s / len(prefixes), 2),
        "compiled_threaded_texts_per_s": round(len(texts) / threaded_s),
        "bit_identical": exact / len(prefixes),
        "texts": n,
        "identical": same / len(prefixes),
        "speedup": round(langdetect_s / compiled_s, 1),
        "compiled_texts_per_s": round(len(prefixes) / compiled_s),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.language", description=__doc__)
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results")
    args = parser.parse_args(argv)
    result = measure(args.texts)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-language-{args.texts}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))
    keys = ("texts", "identical", "speedup", "compiled_texts_per_s")
    print(json.dumps({k: result[k] for k in keys}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
