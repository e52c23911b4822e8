"""The bounds the dataset expectations hold a table to, and the code-URL pattern.

Separate from :mod:`pipeline.core.validate.expectations` because record rules mirror these
bounds (a bad record becomes a reject, not a failed version): the rules, and so the
record fingerprint of per-file outputs, depend on these values, not on how Great
Expectations checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.names import HUGGING_FACE_PATTERN, REPO_HOSTS_PATTERN

# A canonical repository URL: owner/repo of letters, digits, '_', '.', '-', not ending
# in punctuation.
_NAME = r"[A-Za-z0-9_.-]*[A-Za-z0-9_-]"
CANONICAL_CODE_URL = (
    rf"^https://(?:(?:{REPO_HOSTS_PATTERN})/{_NAME}/{_NAME}"
    rf"|{HUGGING_FACE_PATTERN}/(?:spaces/|datasets/)?{_NAME}/{_NAME})$"
)


@dataclass(frozen=True)
class ExpectationSettings:
    """The bounds the expectations hold a table to. No defaults here: they are declared
    once, in :mod:`pipeline.core.config`, which validates them and builds this
    (:meth:`~pipeline.core.config.PipelineConfig.expectations`)."""

    title_min_chars: int
    title_max_chars: int
    abstract_min_chars: int
    abstract_max_chars: int
    max_reject_rate: float  # share of records with status 'rejected'
    max_duplicate_rate: float  # share of records with status 'duplicate'
    languages: tuple[str, ...]  # empty: any language
    min_language_share: float  # share of papers whose language is allowed
    max_row_drop: float  # largest allowed fall in papers against the previous version
    previous_papers: int | None = None  # the previous version's row count, when there is one
