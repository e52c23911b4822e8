"""The code base stays ruff clean (lint and format) and in sizes a reader can hold in
mind (modules of at most 400 lines, functions of at most 80), checked by CI with the
tests."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def ruff() -> str:
    beside_python = Path(sys.executable).with_name("ruff")
    return str(beside_python) if beside_python.exists() else shutil.which("ruff") or "ruff"


def test_ruff_check_is_clean() -> None:
    proc = subprocess.run([ruff(), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = subprocess.run(
        [ruff(), "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
SOURCES = ("pipeline", "bench", "deploy", "tests")


def python_files() -> list[Path]:
    return sorted(p for root in SOURCES for p in (REPO / root).rglob("*.py"))


def test_no_module_is_over_400_lines() -> None:
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in python_files()}
    assert len(sizes) > 100  # the tree was found
    over = {str(p.relative_to(REPO)): n for p, n in sizes.items() if n > MAX_MODULE_LINES}
    assert over == {}


def test_no_function_is_over_80_lines() -> None:
    over = {}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_FUNCTION_LINES:
                    over[f"{path.relative_to(REPO)}:{node.name}"] = length
    assert over == {}
