"""The bounds the dataset expectations hold a table to, and the page-chrome pattern.

Separate from :mod:`pipeline.core.validate.expectations` because record rules mirror these
bounds (a bad record becomes a reject, not a failed version): the rules, and so the
record fingerprint of per-file outputs, depend on these values, not on how Great
Expectations checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Page chrome a text-dump scrape leaves behind (see text_dump.CHROME_PREFIX): the
# e-mail banner anywhere, or "Subscribe" at the start followed by anything but a
# lowercase letter ("Subscriber..." is a word). GX's pandas engine runs
# ``Series.astype(str).str.contains(regex)``; pandas 3 sends Arrow strings to
# pyarrow's RE2 and only falls back to Python ``re`` for look-arounds and the like.
# The pattern stays inside the common subset of both dialects (no look-around), so
# it means the same whichever engine evaluates it.
PAGE_CHROME_REGEX = r"Get trending papers|^Subscribe(?:[^a-z]|$)"
# A canonical repository URL: owner/repo of letters, digits, '_', '.', '-', not ending
# in punctuation.
_NAME = r"[A-Za-z0-9_.-]*[A-Za-z0-9_-]"
CANONICAL_CODE_URL = (
    rf"^https://(?:(?:github\.com|gitlab\.com|gitee\.com|bitbucket\.org)/{_NAME}/{_NAME}"
    rf"|huggingface\.co/(?:spaces/|datasets/)?{_NAME}/{_NAME})$"
)


@dataclass(frozen=True)
class ExpectationSettings:
    """Bounds of the expectations; the defaults suit arXiv-style listings."""

    title_min_chars: int = 3
    title_max_chars: int = 400
    abstract_min_chars: int = 50
    abstract_max_chars: int = 10_000
    max_reject_rate: float = 0.5  # share of records with status 'rejected'
    max_duplicate_rate: float = 0.9  # share of records with status 'duplicate'
    languages: tuple[str, ...] = ("en",)  # empty: any language
    min_language_share: float = 0.95  # share of papers whose language is allowed
    max_row_drop: float = 0.5  # largest allowed fall in papers against the previous version
    previous_papers: int | None = None  # the previous version's row count, when there is one

    def __post_init__(self) -> None:
        """Refuse bounds no table could meet, so a typo fails here and not as a failed run."""
        for low, high in (
            (self.title_min_chars, self.title_max_chars),
            (self.abstract_min_chars, self.abstract_max_chars),
        ):
            if not 0 <= low <= high:
                raise ValueError(f"length bounds must satisfy 0 <= min <= max, got {low}, {high}")
        for rate in (
            self.max_reject_rate,
            self.max_duplicate_rate,
            self.min_language_share,
            self.max_row_drop,
        ):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"rates must lie in [0, 1], got {rate}")
