"""Language detection: seeded, cached by content hash, threaded without changing answers."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform import language
from pipeline.core.transform.language import detect_languages, detect_with_cache, empty_cache
from pipeline.core.transform.records import normalize_records, transform_records
from pipeline.settings import PipelineSettings
from tests.conftest import REPO
from tests.dedup.test_normalize_dedup import raw

GERMAN = (
    "Wir stellen ein neues Verfahren für das Training tiefer neuronaler Netze vor, das ohne "
    "Gradienten auskommt und auf großen Datensätzen schneller konvergiert als bisherige Methoden."
)
FRENCH = (
    "Nous présentons une nouvelle méthode pour l'apprentissage des réseaux de neurones profonds "
    "qui converge plus rapidement que les méthodes existantes sur de grands jeux de données."
)
ENGLISH = (
    "We present a new method for training deep neural networks without gradients that "
    "converges faster than previous methods on large datasets."
)


def test_languages_are_detected_and_undecidable_text_gives_null() -> None:
    results = detect_languages([ENGLISH, GERMAN, FRENCH, "12345 678", "", None], workers=1)
    assert [r[0] for r in results] == ["en", "de", "fr", None, None, None]
    assert all(0.5 < r[1] <= 1.0 for r in results[:3])


def test_detection_is_reproducible_and_the_same_on_threads() -> None:
    texts = [ENGLISH, GERMAN, FRENCH] * 700  # several chunks, so several threads
    once = detect_languages(texts, workers=1)
    assert detect_languages(texts, workers=1) == once
    assert detect_languages(texts, workers=2) == once


def test_cache_hits_skip_detection() -> None:
    records = pl.DataFrame(
        {"content_hash": ["a", "b", "a"], "abstract": [ENGLISH, GERMAN, ENGLISH]}
    )
    out, cache, stats = detect_with_cache(records, empty_cache(), workers=1)
    assert out["language"].to_list() == ["en", "de", "en"]
    assert stats == {"detected": 2, "cache_hits": 0, "texts": 2}
    # A cached answer is used as is, without detecting again.
    doctored = cache.with_columns(language=pl.lit("xx"))
    again, _, stats2 = detect_with_cache(records, doctored, workers=1)
    assert again["language"].to_list() == ["xx", "xx", "xx"]
    assert stats2 == {"detected": 0, "cache_hits": 2, "texts": 2}


def test_non_english_abstracts_are_rejected_with_their_language() -> None:
    out = normalize_records(raw([("f", 0, "Ein Titel", GERMAN), ("f", 1, "A Title", ENGLISH)]))
    reason = out["reason"].to_list()
    assert reason[0].startswith("abstract language is 'de' (p=")
    assert reason[1] is None
    accepting = normalize_records(raw([("f", 0, "Ein Titel", GERMAN)]), languages=("en", "de"))
    assert accepting["reason"].to_list() == [None]


def test_the_engine_changes_no_record_and_no_fingerprint() -> None:
    """Both engines give langdetect's answers, so a run's records, and the settings that
    key stored outputs and versions, are the same whichever detects."""
    records = ingest(REPO / "data" / "raw").records
    compiled = transform_records(records, language_engine="compiled").records
    reference = transform_records(records, language_engine="langdetect").records
    assert compiled.height > 200
    assert compiled.equals(reference)
    chosen = PipelineSettings(language_engine="langdetect")
    assert chosen.output_config() == PipelineSettings().output_config()
    assert (
        chosen.record_settings().fingerprint() == PipelineSettings().record_settings().fingerprint()
    )


def test_auto_detects_few_texts_with_langdetect_and_many_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A daily run's few new texts skip the compiled engine's start; a first run's many
    use it. Either way the answers are langdetect's."""
    used: list[str] = []
    for name in ("_langdetect_best", "_compiled_best"):
        real = getattr(language, name)
        monkeypatch.setattr(
            language, name, lambda texts, real=real, name=name: used.append(name) or real(texts)
        )
    texts = [ENGLISH, GERMAN, FRENCH, None]
    few = detect_languages(texts, workers=1, engine="auto")
    assert used == ["_langdetect_best"]
    used.clear()
    many = detect_languages(texts * (language.AUTO_COMPILED_MIN_TEXTS // 4 + 1), workers=1)
    assert "_compiled_best" in used and few == many[:4]
