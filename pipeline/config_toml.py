"""Settings as TOML for people: the resolved values with their sources, and a commented
``pipeline.toml`` that lists every setting with its default and meaning.

Both are generated from :mod:`pipeline.core.config`, so a new setting appears here
with its docstring and its default without anyone editing this module. Settings that
are mappings (``json_fields``) are TOML tables and come last, as TOML requires.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from pipeline.core.config import PipelineConfig, default_value, setting_field, setting_groups
from pipeline.settings import CONFIG_FILE_NAME, ResolvedSettings

WIDTH = 88


def toml_value(value: Any) -> str:
    """One value in TOML: None (the near tier off) is written ``false``."""
    if value is None or isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {type(value).__name__}")


def _ordered_keys() -> tuple[list[str], list[str]]:
    """Scalar and list settings first, mapping settings (TOML tables) after them."""
    keys = list(setting_groups())
    tables = [k for k in keys if isinstance(default_value(k), dict)]
    return [k for k in keys if k not in tables], tables


def _table_lines(key: str, value: dict, prefix: str = "") -> list[str]:
    lines = [f"{prefix}[{key}]"]
    lines += [f"{prefix}{name} = {toml_value(v)}" for name, v in sorted(value.items())]
    return lines


def resolved_toml(resolved: ResolvedSettings) -> str:
    """The settings of a run as a TOML file would give them, each with its source."""
    values = resolved.config.flat()
    scalars, tables = _ordered_keys()
    where = resolved.file or "none (defaults)"
    lines = [f"# settings file: {where}", ""]
    lines += [f"{k} = {toml_value(values[k])}  # {resolved.sources[k]}" for k in scalars]
    for key in tables:
        lines += ["", f"# {key}: {resolved.sources[key]}", *_table_lines(key, values[key])]
    return "\n".join(lines) + "\n"


def _comment(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [f"# {line}" for line in textwrap.wrap(flat, WIDTH - 2)]


def _group_doc(group: str) -> str:
    return PipelineConfig.model_fields[group].annotation.__doc__ or ""  # type: ignore[union-attr]


def commented_template() -> str:
    """A ``pipeline.toml`` with every setting commented out at its default."""
    scalars, tables = _ordered_keys()
    groups = setting_groups()
    lines = [
        f"# {CONFIG_FILE_NAME}: the settings of this data directory, read by every way of",
        "# running the pipeline (python -m pipeline run, make run, the UI, the schedule and",
        "# the sensor). Each setting is shown at its default; uncomment what you change.",
        "# An unknown key is an error. Check with: python -m pipeline config",
    ]
    group = None
    for key in [*scalars, *tables]:
        if groups[key] != group:
            group = groups[key]
            lines += ["", *_comment(f"--- {group}: {_group_doc(group)}")]
        lines += ["", *_comment(setting_field(key).description or "")]
        if key in scalars:
            lines.append(f"# {key} = {toml_value(default_value(key))}")
            continue
        example = {"abstract": ["details.abstract"]} if key == "json_fields" else {}
        lines += _table_lines(key, example or default_value(key), prefix="# ")
    return "\n".join(lines) + "\n"
