"""What a version and a per-file output are keyed by: the code that made them."""

from __future__ import annotations

import re
from pathlib import Path

import pipeline
from pipeline.core import provenance
from pipeline.core.provenance import (
    code_version,
    inputs_fingerprint,
    module_closure,
    modules_version,
)


def test_code_version_is_the_package_version_and_a_source_hash() -> None:
    assert re.fullmatch(rf"{re.escape(pipeline.__version__)}\+[0-9a-f]{{12}}", code_version())


def test_a_stage_depends_on_what_it_imports_and_not_on_later_stages() -> None:
    closure = module_closure("pipeline.core.transform.records")
    assert {
        "pipeline.core.transform.records",
        "pipeline.core.transform.rules",  # imported by records
        "pipeline.core.transform.latex",  # imported by rules: transitively
        "pipeline.core.transform",  # the packages that hold them run too
        "pipeline.core",
    } <= closure
    assert "pipeline.core.dedup.clustering" not in closure
    assert "pipeline.core.store.versions" not in closure
    assert modules_version("pipeline.core.transform.records") != modules_version(
        "pipeline.core.dedup.clustering"
    )


def test_relative_and_submodule_imports_are_followed(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "import os\nfrom . import rules\nfrom ..dedup.near_dup import x\n"
        "import pipeline.core.schema\nfrom pipeline.core import config\n",
        encoding="utf-8",
    )
    found = provenance._pipeline_imports(source, "pipeline.core.transform.mod")
    assert "pipeline.core.transform.rules" in found
    assert "pipeline.core.dedup.near_dup" in found
    assert "pipeline.core.schema" in found
    assert "pipeline.core.config" in found
    assert not any(name.startswith("os") for name in found)


def test_the_inputs_fingerprint_follows_files_and_settings_not_their_order() -> None:
    files = [("a.txt", "1" * 64), ("b.json", "2" * 64)]
    base = inputs_fingerprint(files, {"near_threshold": 0.5})
    assert inputs_fingerprint(files[::-1], {"near_threshold": 0.5}) == base
    assert inputs_fingerprint([files[0], ("b.json", "3" * 64)], {"near_threshold": 0.5}) != base
    assert inputs_fingerprint(files, {"near_threshold": 0.6}) != base
    assert inputs_fingerprint(files[:1], {"near_threshold": 0.5}) != base
