"""Edits: how a re-sighting differs from its original (exact, revision, format,
retitle, noise)."""

from __future__ import annotations

import re

import numpy as np

from bench.corpus.draws import Rng, hash_keys
from bench.corpus.shape import (
    COLOR_WRAPPERS,
    EDIT_CODE,
    LATEX_WRAPPERS,
    MIN_ABSTRACT_CHARS,
    NOISE_URLS,
    NOT_WORD,
    NUMBER,
    REVISION_EXTRA_CHARS,
    REWORDS,
    S_EDIT,
    S_EXTRA,
    S_RETITLE,
    SENTENCE_SPLIT,
    SURNAMES,
)
from bench.corpus.text import Texts, sentence_case, title_case, unlike_title


def _replace_one(text: str, old: str, new: str, rng: Rng) -> str:
    """Replace one random occurrence of ``old`` (text unchanged when there is none)."""
    spots = [m.start() for m in re.finditer(re.escape(old), text)]
    if not spots:
        return text
    i = rng.pick(spots)
    return text[:i] + new + text[i + len(old) :]


def _format_edit(title: str, abstract: str, rng: Rng) -> tuple[str, str]:
    """Whitespace, punctuation and case only: the words and their order stay."""
    ops = rng.below(3) + 1
    t, a = title, abstract
    for _ in range(ops):
        op = rng.below(11)
        if op == 0:
            t = sentence_case(t)
        elif op == 1:
            t = title_case(t) if not rng.chance(0.15) else t.upper()
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
    if unlike_title(t):  # "What? a ..." title-cased into a second sentence break
        t = title
    if t.strip() == title.strip() and a.strip() == abstract.strip():  # nothing visible yet
        a = _replace_one(abstract, ". ", ".  ", rng) if ". " in abstract else abstract + " ."
    return t, a


def _noise_edit(title: str, abstract: str, url: str, rng: Rng) -> tuple[str, str]:
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


def _revision_edit(title: str, abstract: str, extra: str, rng: Rng) -> tuple[str, str]:
    """A new version: a sentence added, dropped or reworded, numbers updated."""
    sentences = SENTENCE_SPLIT.split(abstract)
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
            nums = [j for j, s in enumerate(sentences) if NUMBER.search(s)]
            if nums:
                j = rng.pick(nums)
                sentences[j] = NUMBER.sub(lambda m: _bump(m.group(0), rng), sentences[j], 2)
                changed = True
        else:
            changed |= _add_sentence(sentences, extra, rng)
    revised = " ".join(sentences)
    if not changed or revised == abstract:
        _add_sentence(sentences, extra, rng)
        revised = " ".join(sentences)
    return title, revised


def _add_sentence(sentences: list[str], extra: str, rng: Rng) -> bool:
    pool = [s for s in SENTENCE_SPLIT.split(extra) if len(s) > 40] or [extra]
    sentences.insert(1 + rng.below(len(sentences)), rng.pick(pool))
    return True


def _bump(number: str, rng: Rng) -> str:
    """A different number of the same shape: 85.3 -> 86.1, 12 -> 14."""
    if "." in number:
        whole, frac = number.split(".")
        digits = (int(frac) + 1 + rng.below(8)) % 10 ** len(frac)
        return f"{int(whole) + rng.below(3)}.{digits:0{len(frac)}d}"
    return str(int(number) + 1 + rng.below(5))


def _retitle(title: str, desc: str, new_desc: str, name: str, named: bool, rng: Rng) -> str:
    """A changed title for the same abstract: a new description, or a name put in front."""
    new = f"{name}: {new_desc}" if named or rng.chance(0.5) else f"{name}: {desc}"
    if NOT_WORD.sub(" ", new.lower()).strip() == NOT_WORD.sub(" ", title.lower()).strip():
        new = desc if named else f"{name}: {desc}"
    return new


def apply_edits(
    texts: Texts,
    papers: np.ndarray,
    plan_ids: np.ndarray,
    edit: np.ndarray,
    canon_titles: list[str],
    canon: list[str],
) -> tuple[list[str], list[str]]:
    """The text of each record: its paper's, changed as its edit type says."""
    seed = texts.seed
    titles, abstracts = list(canon_titles), list(canon)
    rngs = hash_keys(seed, S_EDIT, plan_ids).tolist()
    retitles = np.flatnonzero(edit == EDIT_CODE["retitle"])
    if retitles.size:
        new_descs = texts.new_descs(
            hash_keys(seed, S_RETITLE, plan_ids[retitles]), papers[retitles]
        )
        names = texts.names.gather(papers[retitles]).to_list()
        descs = texts.descs.gather(papers[retitles]).to_list()
        for j, new_desc, name, desc in zip(retitles, new_descs, names, descs, strict=True):
            named = bool(texts.has_prefix[papers[j]])
            titles[j] = _retitle(titles[j], desc, new_desc, name, named, Rng(rngs[j]))
    revisions = np.flatnonzero(edit == EDIT_CODE["revision"])
    extras = texts.abstract_texts(
        papers[revisions],
        hash_keys(seed, S_EXTRA, plan_ids[revisions]),
        np.full(revisions.size, REVISION_EXTRA_CHARS, np.float64),
    )
    for j, extra in zip(revisions, extras, strict=True):
        titles[j], abstracts[j] = _revision_edit(titles[j], abstracts[j], extra, Rng(rngs[j]))
    for j in np.flatnonzero(edit == EDIT_CODE["format"]):
        titles[j], abstracts[j] = _format_edit(titles[j], abstracts[j], Rng(rngs[j]))
    noisy = np.flatnonzero(edit == EDIT_CODE["noise"])
    urls = texts.urls(papers[noisy]).to_list()
    for j, url in zip(noisy, urls, strict=True):
        titles[j], abstracts[j] = _noise_edit(titles[j], abstracts[j], url, Rng(rngs[j]))
    return titles, abstracts
