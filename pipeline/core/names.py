"""Names every stage shares, each defined here once.

Why a module of its own rather than more of :mod:`pipeline.core.schema`: the schema
declares tables (columns, types, the words of their documentation); these are the
words stages use to talk about rows and text: which columns name a record, what a
record's fate is called, what page chrome and a code host look like. Ingest,
transform, dedup, validate and store all need them, and a stage may import only
earlier stages, so a name two stages share cannot live in either of them (the chrome
pattern lived in validate and was imported by transform's rules). This module imports
nothing of the package, so any module can import it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

# The columns that name one raw record, in every table that has one row per record
# (raw, normalised, clusters, records, fates): the file it came from (relative to
# raw/) and its 0-based position there. Tables are sorted and joined on it.
RECORD_KEY = ("source_file", "record_index")

# A record's fate, the values of records.status: the canonical record of its paper,
# a re-sighting merged into a paper, or rejected by a record rule (with a reason).
PUBLISHED = "published"
DUPLICATE = "duplicate"
REJECTED = "rejected"
RECORD_STATUSES = (PUBLISHED, DUPLICATE, REJECTED)
# The flag a reader sets on a record whose text held bytes (or escapes) that are not
# UTF-8 text; the record rule of the same name rejects it.
UNDECODABLE_FLAG = "undecodable_bytes"

# A callback that reports progress in words ("12 of 40 files read"): the CLI prints
# it, Dagster logs it, tests ignore it.
Progress = Callable[[str], None]


def usable_cores() -> int:
    """The cores "every core" means in the ``workers`` setting: those this process may
    run on (its CPU affinity, which containers and ``taskset`` narrow;
    ``os.cpu_count`` counts the machine's). Ingest's worker processes and transform's
    detection threads both size themselves by it."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity (macOS)
        return os.cpu_count() or 1


# A full stop, "!" or "?" (maybe inside a closing quote or bracket), whitespace and a
# capital: a sentence break. Titles rarely have one, abstracts have many; the text-dump
# reader and the record rules both count them.
SENTENCE_BREAK = r"[.!?][\"')\]]?\s+[A-Z]"

# Page chrome left *inside a record's clean title or abstract*: the e-mail banner
# anywhere, or "Subscribe" at the start followed by anything but a lowercase letter
# ("Subscriber..." is a word). The text-dump reader strips chrome glued to the start
# of a line (readers/text_dump.CHROME_PREFIX); this is what a record rule rejects and
# the dataset expectation forbids if any survived. GX's pandas engine runs
# ``Series.astype(str).str.contains(regex)``; pandas 3 sends Arrow strings to
# pyarrow's RE2 and only falls back to Python ``re`` for look-arounds and the like.
# The pattern stays inside the common subset of both dialects (no look-around), so
# it means the same whichever engine evaluates it.
PAGE_CHROME_REGEX = r"Get trending papers|^Subscribe(?:[^a-z]|$)"

# Code hosts whose URLs name a repository as host/owner/repo, and Hugging Face, whose
# repositories are models at the root and spaces/datasets under a prefix. Extraction
# finds and canonicalises code links with them; the expectations check the result.
REPO_HOSTS = ("github.com", "gitlab.com", "gitee.com", "bitbucket.org")
HUGGING_FACE_HOST = "huggingface.co"
# The same, as regex alternations ("github\.com|gitlab\.com|...").
REPO_HOSTS_PATTERN = "|".join(map(re.escape, REPO_HOSTS))
CODE_HOSTS_PATTERN = "|".join(map(re.escape, (*REPO_HOSTS, HUGGING_FACE_HOST)))
HUGGING_FACE_PATTERN = re.escape(HUGGING_FACE_HOST)
