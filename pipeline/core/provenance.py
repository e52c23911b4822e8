"""What code produced a version: the package version plus a hash of its source.

The hash covers every file of the installed ``pipeline`` package, so two runs
from different commits are told apart even when nobody bumped the version.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pipeline

_PACKAGE_DIR = Path(pipeline.__file__).resolve().parent
_SOURCE_SUFFIXES = {".py", ".json", ".txt", ".csv", ".yaml", ".yml"}


@cache
def code_version() -> str:
    """``<version>+<12 hex of the package source hash>``, e.g. ``0.1.0+3f2a9c0d1e4b``."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return f"{pipeline.__version__}+{digest.hexdigest()[:12]}"


def inputs_fingerprint(files: list[tuple[str, str | None]], config: dict) -> str:
    """What a version is a function of: every raw file (path and sha256), the code and
    the settings that shape the output. Equal fingerprints give equal versions, which
    lets an unchanged rerun stop before doing any work."""
    payload = {
        "code_version": code_version(),
        "config": config,
        "files": sorted([path, sha or ""] for path, sha in files),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
