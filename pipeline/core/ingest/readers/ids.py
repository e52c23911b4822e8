"""arXiv ids, DOIs and code repositories as real scrapes keep them: bare, prefixed or in URLs.

Scrapers rarely store an arXiv id in a field of its own; they keep the paper's page
(``https://huggingface.co/papers/2601.07348``, ``https://arxiv.org/abs/2601.07348v2``,
``https://arxiv.org/pdf/hep-th/9901001v1.pdf``). Every reader takes ids through these
functions so a record's id does not depend on which reader found it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# New-style ids (0704.0001, 2509.24006: YYMM.NNNNN, a real month) and old-style
# (cs/0501001, math.CO/0601001).
_ID = r"\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
_BARE_ARXIV = re.compile(rf"^(?:arxiv:)?(?P<id>{_ID})(?:v\d+)?$", re.IGNORECASE)
# The paper pages that name an arXiv id: arXiv itself (abs, pdf, html), its mirrors and
# the Hugging Face paper pages.
_ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?"
    r"(?:arxiv\.org/(?:abs|pdf|html)|huggingface\.co/papers|alphaxiv\.org/abs)/"
    rf"(?P<id>{_ID})(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(?P<doi>10\.\d{4,9}/\S+)$", re.I)
# Code hosts whose links are a paper's repository. Hugging Face links are repositories
# (models, datasets, spaces) except its paper pages and site pages.
_CODE_URL = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org"
    r"|huggingface\.co(?:/(?:spaces|datasets))?)/[\w.-]+/[\w.-]+",
    re.IGNORECASE,
)
_NOT_REPO = re.compile(
    r"^https?://(?:www\.)?huggingface\.co/(?:papers|docs|blog|login|join|pricing|search)\b"
    r"|^https?://(?:www\.)?github\.com/(?:features|about|login|topics|trending|sponsors)\b",
    re.IGNORECASE,
)


def normalize_arxiv_id(value: object) -> str | None:
    """'2509.24006v2', 'arXiv:2509.24006', a paper page URL -> '2509.24006'; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _BARE_ARXIV.match(text) or _ARXIV_URL.match(text)
    return m.group("id") if m else None


def normalize_doi(value: object) -> str | None:
    """The first DOI in ``value``, lowercased, without resolver prefix.

    DOIs are case-insensitive; arXiv snapshots list several DOIs separated by spaces.
    """
    if not isinstance(value, str):
        return None
    for token in value.split():
        m = _DOI.match(token)
        if m:
            return m.group("doi").lower().rstrip(".,;")
    return None


def repo_url_of(url: object) -> str | None:
    """``url`` trimmed to its repository (``https://github.com/org/name``) when it is a
    code host's repository link, else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if _NOT_REPO.match(text):
        return None
    m = _CODE_URL.match(text)
    if not m:
        return None
    return m.group(0).rstrip(".").removesuffix(".git")


def first_arxiv_id(urls: Iterable[str]) -> str | None:
    """The arXiv id of the first link that names one."""
    return next((i for i in map(normalize_arxiv_id, urls) if i), None)


def first_doi(urls: Iterable[str]) -> str | None:
    """The DOI of the first ``doi.org`` link or ``doi:`` identifier."""
    marked = (u for u in urls if "doi.org/" in u or u.lower().startswith("doi:"))
    return next((d for u in marked if (d := normalize_doi(u))), None)


def first_repo(urls: Iterable[str]) -> str | None:
    """The first link that is a code repository."""
    return next((r for r in map(repo_url_of, urls) if r), None)
