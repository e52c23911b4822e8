"""The compiled language detector against langdetect itself, the oracle: the same
ranked languages with the same probabilities (exact float equality), on the sample,
on every real scrape in tests/data/realdata{,-more} and on generated text; and its parts
(Python's random draws, the per-code-point tables) against what they restate."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

from pipeline.core.transform import language_kernel as kernel
from pipeline.core.transform.language import (
    DETECT_PREFIX_CHARS,
    LANGDETECT_SEED,
    N_TRIALS,
    SELF_CHECK_TEXTS,
    detect_languages,
)
from pipeline.core.transform.language_profiles import (
    BMP,
    CODE_POINTS,
    NON_LATIN,
    UPPER,
    detector_tables,
)
from pipeline.core.transform.language_random import draw_sequence, seeded_state
from tests.conftest import REPO, TEST_DATA

REALDATA = TEST_DATA / "realdata"
SAMPLE = REPO / "data" / "raw"
TEXTS_PER_FILE = 150  # langdetect costs ~3 ms a text: a spread of each file, seconds in all
Ranking = list[tuple[str, float]] | None


def langdetect_ranking(text: str, seed: int = LANGDETECT_SEED) -> Ranking:
    """``get_probabilities()`` as (language, probability), None where it raises."""
    detector_factory.init_factory()
    factory = detector_factory._factory
    factory.seed = seed
    detector = factory.create()
    detector.n_trial = N_TRIALS
    detector.append(text)
    try:
        return [(p.lang, p.prob) for p in detector.get_probabilities()]
    except LangDetectException:
        return None


def compiled_rankings(texts: list[str], seed: int = LANGDETECT_SEED) -> list[Ranking]:
    """The kernel's langprob ranked as ``_sort_probability`` ranks it."""
    languages, langprob = kernel.language_probabilities(texts, seed, N_TRIALS)
    out: list[Ranking] = []
    for row in langprob.tolist():
        if np.isnan(row[0]):
            out.append(None)
            continue
        ranked = [(lang, p) for lang, p in zip(languages, row, strict=True) if p > 0.1]
        out.append(sorted(ranked, key=lambda pair: pair[1], reverse=True))
    return out


def assert_same_as_langdetect(texts: list[str], seed: int = LANGDETECT_SEED) -> None:
    expected = [langdetect_ranking(t, seed) for t in texts]
    got = compiled_rankings(texts, seed)
    wrong = [(t[:60], e, g) for t, e, g in zip(texts, expected, got, strict=True) if e != g]
    assert not wrong, f"{len(wrong)}/{len(texts)} differ, e.g. {wrong[:3]}"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value
    if isinstance(items, (list, type({}.values()))):
        return [s for item in items for s in _strings(item)]
    return []


def file_texts(path: Path) -> list[str]:
    """Every text of a scrape: JSON strings, XML titles and abstracts, markdown paragraphs."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        texts = _strings(json.loads(raw))
    elif path.suffix == ".xml":
        texts = [html.unescape(m) for m in re.findall(r"<(?:title|abstract)>(.*?)</", raw, re.S)]
    else:
        texts = re.split(r"\n\s*\n", raw)
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    step = max(1, len(unique) // TEXTS_PER_FILE)
    return unique[::step]


REAL_FILES = sorted(p for d in (REALDATA,) for p in d.iterdir() if p.name != "README.md")


def test_the_constants_are_langdetects() -> None:
    assert (kernel.ALPHA_DEFAULT, kernel.ALPHA_WIDTH) == (
        Detector.ALPHA_DEFAULT,
        Detector.ALPHA_WIDTH,
    )
    assert (kernel.ITERATION_LIMIT, kernel.PROB_THRESHOLD, kernel.CONV_THRESHOLD) == (
        Detector.ITERATION_LIMIT,
        Detector.PROB_THRESHOLD,
        Detector.CONV_THRESHOLD,
    )
    assert kernel.BASE_FREQ == Detector.BASE_FREQ
    detector_factory.init_factory()
    assert detector_factory._factory.create().max_text_length == kernel.MAX_TEXT_LENGTH


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 2**32, -7, 2**100 + 12345])
def test_seeding_is_pythons(seed: int) -> None:
    _, state, gauss_next = random.Random(seed).getstate()
    assert state[-1] == 624 and gauss_next is None
    assert seeded_state(seed).tolist() == list(state[:624])


@pytest.mark.parametrize("seed", [0, 3, 2**40 + 1])
def test_choice_and_gauss_draws_are_pythons(seed: int) -> None:
    """Interleaved choices (sizes 1 to beyond a word's reach of rejection) and gauss
    values, cached pair included, past several twists of the state."""
    rng = np.random.default_rng(seed % 1000)
    kinds = rng.integers(0, 2, 3000)
    sizes = rng.choice([1, 2, 3, 5, 97, 1024, 1025, 3 * 400, 2**20 + 1], 3000)
    python = random.Random(seed)
    expected = [
        float(python.choice(range(n))) if kind == 0 else python.gauss(0.0, 1.0)
        for kind, n in zip(kinds, sizes, strict=True)
    ]
    assert draw_sequence(seeded_state(seed), kinds, sizes).tolist() == expected


def test_tables_restate_normalize_and_the_character_rules() -> None:
    tables = detector_tables()
    detector_factory.init_factory()
    assert tables.languages == tuple(detector_factory._factory.langlist)
    # Built from langdetect over the BMP; above it, checked here on a stride.
    for cp in [*range(BMP, CODE_POINTS, 251), CODE_POINTS - 1]:
        assert tables.normalized[cp] == ord(NGram.normalize(chr(cp))), hex(cp)
        assert bool(tables.flags[cp] & NON_LATIN), hex(cp)
    for cp in [0x41, 0x7A, 0x1E00, 0x10400, 0x1D400]:  # A, z, Ḁ, 𐐀, 𝐀
        assert bool(tables.flags[cp] & UPPER) == chr(cp).isupper()
    # langdetect's quirk: Latin Extended Additional counts as non-Latin.
    assert tables.flags[ord("ệ")] & NON_LATIN


def test_answers_equal_langdetect_on_the_sample() -> None:
    lines = [line for p in sorted(SAMPLE.glob("*.txt")) for line in p.read_text().splitlines()]
    texts = [t[:DETECT_PREFIX_CHARS] for t in lines if t.strip()]
    assert len(texts) > 400
    assert_same_as_langdetect(texts)


@pytest.mark.parametrize("path", REAL_FILES, ids=[p.name for p in REAL_FILES])
def test_answers_equal_langdetect_on_real_scrapes(path: Path) -> None:
    texts = [t[:DETECT_PREFIX_CHARS] for t in file_texts(path)]
    assert texts
    assert_same_as_langdetect(texts)


def test_korean_summaries_are_korean_and_equal() -> None:
    texts = [t for t in file_texts(REALDATA / "daily-papers-ko-2024-05-24.md") if "다" in t]
    assert len(texts) > 10
    assert_same_as_langdetect(texts)  # whole paragraphs, past the 400-character prefix
    assert {r[0][0] for r in compiled_rankings(texts) if r} == {"ko"}


SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "accents": "éèàçüöäßñøåœÆÉÀÇ¡¿«»×÷ș ț",
    "vietnamese": "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY\u0300\u0301\u0303\u0309\u0323ệạảấ",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔ",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي\u06cc\u064a",
    "devanagari": "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह\u093e\u093f\u0940",
    "cjk": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那"
    + "".join(map(chr, range(0x4E00, 0x9FFF, 97))),
    "kana": "あいうえおかきくけこアイウエオカキクケコーッ",
    "hangul": "가나다라마바사아자차카타파하한국어의은는이가을를",
    "bopomofo": "ㄅㄆㄇㄈㄉㄊ",
    "emoji": "😀🚀👉🎉🧠💡🔥✨",
    "digits": "0123456789",
    "punctuation": " .,;:!?-()[]{}'\"/\\@#&%+=*_~^`|<>\u2013\u2014\u2019\u201c\u201d\u2026",
    "spaces": "   \t\n\u3000\u00a0",
    "surrogates": "\ud800\udfff",
}
PIECES = st.sampled_from(
    [
        "https://arxiv.org/abs/2405.14860",
        "http://example.com/a_b?c=d#e",
        "mail.me@example.org",
        "GPT-4",
        "CNN LSTM",
        "Ýou",
    ]
)
MIXED = st.lists(
    st.one_of(
        st.sampled_from(sorted(SCRIPTS)).flatmap(lambda s: st.text(SCRIPTS[s], max_size=40)),
        PIECES,
        st.text(max_size=8),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(MIXED)
@example("")
@example(" ")
@example("a")
@example("中")
@example("0123456789 42")
@example("https://github.com/org/repo https://arxiv.org/abs/1234.5678")
@example("Ａ")
@example("ÀB")
@example("ABC DEF")
@example("ệạảấ ềỉọụ ữỳỷỹ the")  # Latin Extended Additional, counted non-Latin
def test_answers_equal_langdetect_on_generated_text(text: str) -> None:
    assert_same_as_langdetect([text])


def test_other_seeds_and_long_texts_equal_langdetect() -> None:
    texts = [t for t in file_texts(REALDATA / "arxiv-oai-pmh-listrecords.xml") if len(t) > 800]
    assert_same_as_langdetect(texts[:10], seed=12345)
    assert_same_as_langdetect(list(SELF_CHECK_TEXTS), seed=7)


def test_both_engines_give_the_same_rounded_answers_and_nulls() -> None:
    texts = [*SELF_CHECK_TEXTS, None, "", "   ", "123 456", "😀", "x" * 2000, "Ab " * 300]
    compiled = detect_languages(texts, workers=2, engine="compiled")
    assert compiled == detect_languages(texts, engine="langdetect")
    assert compiled[len(SELF_CHECK_TEXTS) : len(SELF_CHECK_TEXTS) + 5] == [(None, None)] * 5
    with pytest.raises(ValueError, match="unknown language engine"):
        detect_languages(["text"], engine="fasttext")  # type: ignore[arg-type]
