"""What code produced a version: the package version plus a hash of its source.

The hash covers every file of the installed ``pipeline`` package, so two runs
from different commits are told apart even when nobody bumped the version.
"""

from __future__ import annotations

import ast
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


@cache
def modules_version(*roots: str) -> str:
    """A hash of the source of the ``roots`` modules (e.g. ``"pipeline.core.transform.records"``),
    of every ``pipeline`` module they import, transitively, and of the package's data
    files (vocabularies).

    Narrower than :func:`code_version`: what a stage's output depends on. A per-file
    output keyed by it survives a change to dedup or publish code, and is redone when
    anything its own code imports changes.
    """
    seen = module_closure(*roots)
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode() + b"\0" + _module_path(name).read_bytes())  # type: ignore[union-attr]
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in _SOURCE_SUFFIXES - {".py"}:
            digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return f"{pipeline.__version__}+{digest.hexdigest()[:12]}"


def module_closure(*roots: str) -> set[str]:
    """``roots`` and every ``pipeline`` module they import, transitively (read from
    their source, nothing is imported), with the packages that hold them: importing
    ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_path(name)
        if path is None:
            continue
        seen.add(name)
        todo.extend(_pipeline_imports(path, name))
        todo.extend(name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1))
    return seen


def _module_path(name: str) -> Path | None:
    """The source file of module ``pipeline.a.b`` (a module or a package's __init__)."""
    parts = name.split(".")[1:]
    base = _PACKAGE_DIR.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _pipeline_imports(path: Path, name: str) -> list[str]:
    """Modules of the ``pipeline`` package that the module at ``path`` imports."""
    found: list[str] = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "pipeline"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] != "pipeline":
                continue
            found.append(module)
            found += [f"{module}.{a.name}" for a in node.names]  # submodules imported by name
    return found


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
