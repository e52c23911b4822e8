"""Settings: one validated model, one file per data directory, the same values for every
way of running the pipeline (command line, definitions, schedule, sensor)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import annotated_types
import dagster as dg
import polars as pl
import pytest

from pipeline.cli import EXIT_USAGE, main
from pipeline.config_toml import commented_template
from pipeline.core.config import (
    PipelineConfig,
    SettingsError,
    default_value,
    setting_field,
    setting_groups,
)
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from pipeline.definitions import build_definitions, build_resources
from pipeline.settings import CONFIG_ENV, PipelineSettings, resolve_settings
from tests.conftest import REPO, SAMPLE
from tests.defs.test_pipeline import materialize_all

FCN = "fully convolutional networks for semantic segmentation"


def _wrong_type(key: str) -> Any:
    """A value of the wrong type for ``key``."""
    default = default_value(key)
    if isinstance(default, dict):
        return "not a table"
    if isinstance(default, list | str):
        return 7
    return "not a number"


def _out_of_range(key: str) -> Any | None:
    """A value past one of ``key``'s bounds, or None when it has none."""
    for bound in setting_field(key).metadata:
        if isinstance(bound, annotated_types.Ge | annotated_types.Gt):
            return bound.ge - 1 if isinstance(bound, annotated_types.Ge) else bound.gt - 1
    for bound in setting_field(key).metadata:
        if isinstance(bound, annotated_types.Le):
            return bound.le + 1
    return None


def _bad_values() -> list[tuple[str, Any]]:
    cases = [(key, _wrong_type(key)) for key in setting_groups()]
    cases += [(k, v) for k in setting_groups() if (v := _out_of_range(k)) is not None]
    return [
        *cases,
        ("canonical_preference", ["newest"]),
        ("languages", ["english"]),
        ("json_fields", {"abstrct": ["details.abstract"]}),
        ("near_threshold", 1.7),
    ]


def _toml(values: dict[str, Any]) -> str:
    lines, tables = [], []
    for key, value in values.items():
        if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
            tables += [f"[{key}]", *(f"{k} = {json.dumps(v)}" for k, v in value.items())]
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join([*lines, *tables]) + "\n"


@pytest.mark.parametrize(("key", "value"), _bad_values(), ids=lambda v: str(v)[:30])
def test_a_bad_value_exits_2_with_one_line_before_anything_is_written(
    data_dir: Path, capsys: pytest.CaptureFixture[str], key: str, value: Any
) -> None:
    (data_dir / "pipeline.toml").write_text(_toml({key: value}), encoding="utf-8")
    assert main(["run", "--data-dir", str(data_dir)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: setting {key} = ")
    assert str(data_dir / "pipeline.toml") in err[0]
    assert sorted(p.name for p in data_dir.iterdir()) == ["pipeline.toml", "raw"]


@pytest.mark.parametrize("typo", ["near_treshold", "language", "json_field", "max_rejects"])
def test_an_unknown_or_misspelt_key_is_an_error_naming_the_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str], typo: str
) -> None:
    (data_dir / "pipeline.toml").write_text(f"{typo} = 1\n", encoding="utf-8")
    assert main(["run", "--data-dir", str(data_dir)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"setting {typo} = 1" in err and "unknown setting" in err
    assert not (data_dir / "processed").exists()


def test_a_misspelt_key_gets_a_suggestion() -> None:
    with pytest.raises(SettingsError, match="did you mean 'near_threshold'"):
        PipelineConfig.from_flat({"near_treshold": 0.6})


def test_invalid_toml_names_the_file_and_line(data_dir: Path) -> None:
    (data_dir / "pipeline.toml").write_text("near_threshold = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"pipeline.toml.*not valid TOML.*line 1"):
        resolve_settings(data_dir)


def test_precedence_flag_then_environment_then_data_dir_file_then_defaults(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_settings(data_dir).sources["near_threshold"] == "default"
    (data_dir / "pipeline.toml").write_text("near_threshold = 0.6\n", encoding="utf-8")
    env_file, flag_file = tmp_path / "env.toml", tmp_path / "flag.toml"
    env_file.write_text("near_threshold = 0.7\n", encoding="utf-8")
    flag_file.write_text("near_threshold = 0.8\nworkers = 1\n", encoding="utf-8")

    def threshold(config_file: Path | None = None) -> float | None:
        return resolve_settings(data_dir, config_file).config.near.near_threshold

    assert threshold() == 0.6
    monkeypatch.setenv(CONFIG_ENV, str(env_file))
    assert threshold() == 0.7
    assert threshold(flag_file) == 0.8
    resolved = resolve_settings(data_dir, flag_file, overrides={"workers": 2})
    assert resolved.config.execution.workers == 2
    assert resolved.sources["workers"] == "override"
    assert resolved.sources["near_threshold"] == f"file {flag_file}"
    assert resolved.sources["languages"] == "default"


def test_a_named_settings_file_must_exist(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(data_dir / "missing.toml"))
    with pytest.raises(SettingsError, match=r"no such settings file \(from \$PAPERS"):
        resolve_settings(data_dir)


def test_the_launchpad_override_has_one_field_per_setting_and_wins(data_dir: Path) -> None:
    (data_dir / "pipeline.toml").write_text("near_threshold = 0.6\n", encoding="utf-8")
    fields = set(PipelineSettings.model_fields) - {"data_dir", "config_file"}
    assert fields == set(setting_groups())
    settings = PipelineSettings(data_dir=str(data_dir), near_threshold=False)
    assert settings.config().near.near_threshold is None
    assert PipelineSettings(data_dir=str(data_dir)).config().near.near_threshold == 0.6


def test_config_init_writes_a_commented_file_whose_keys_are_every_default(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "--init", "--data-dir", str(data_dir)]) == 0
    text = (data_dir / "pipeline.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}  # everything commented out: the defaults apply
    setting_line = re.compile(r"^# ([a-z_]+ = |\[[a-z_]+\]$)")
    uncommented = "\n".join(line[2:] for line in text.splitlines() if setting_line.match(line))
    values = tomllib.loads(uncommented)
    assert set(values) == set(setting_groups())
    expected = PipelineConfig().flat() | {"json_fields": {"abstract": ["details.abstract"]}}
    assert PipelineConfig.from_flat(values).flat() == expected
    assert main(["config", "--init", "--data-dir", str(data_dir)]) == 1  # never overwritten


def test_config_prints_resolved_settings_with_sources(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "pipeline.toml").write_text(
        'languages = ["en", "de"]\n[json_fields]\nabstract = ["details.abstract"]\n'
    )
    assert main(["config", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert f'languages = ["en", "de"]  # file {data_dir / "pipeline.toml"}' in out
    assert "near_threshold = 0.5  # default" in out
    parsed = tomllib.loads(out)
    assert parsed["json_fields"] == {"abstract": ["details.abstract"]}
    assert PipelineConfig.from_flat(parsed).language.languages == ["en", "de"]


def test_the_template_documents_every_setting() -> None:
    template = commented_template()
    for key in setting_groups():
        assert f"# {key} = " in template or f"# [{key}]" in template


@pytest.fixture(scope="module")
def sample_records() -> pl.DataFrame:
    return normalize_records(ingest(SAMPLE.parent).records)


def _fcn_papers(records: pl.DataFrame, near: object) -> int:
    threshold = PipelineConfig.from_flat({"near_threshold": near}).near.near_threshold
    fates = cluster_duplicates(records, threshold).records
    fcn = fates.filter(pl.col("title_key") == FCN)
    assert fcn.height == 2
    return fcn["paper_id"].n_unique()


def test_near_threshold_off_and_high_keep_the_fcn_revision_apart(
    sample_records: pl.DataFrame,
) -> None:
    assert _fcn_papers(sample_records, default_value("near_threshold")) == 1
    assert _fcn_papers(sample_records, 0.95) == 2  # their Jaccard is 0.71
    assert _fcn_papers(sample_records, False) == 2
    assert _fcn_papers(sample_records, "off") == 2


def _nested_json(raw: Path) -> None:
    """Three papers of the sample in a scraper's shape no built-in path reaches."""
    records = ingest(SAMPLE.parent).records.head(3)
    rows = [
        {"paper_name": r["title_raw"], "meta": {"summary_text": r["abstract_raw"]}}
        for r in records.iter_rows(named=True)
    ]
    (raw / "scrape.json").write_text(json.dumps(rows), encoding="utf-8")


@pytest.fixture
def nested_data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    _nested_json(data / "raw")
    (data / "pipeline.toml").write_text(
        '[json_fields]\ntitle = ["paper_name"]\nabstract = ["meta.summary_text"]\n'
    )
    return data


def _run_request(defs: dg.Definitions, instance: dg.DagsterInstance, kind: str) -> dg.RunRequest:
    resources = build_resources()  # what the loaded definitions hold: the env's data dir
    if kind == "schedule":
        schedule = defs.resolve_schedule_def("daily_refresh")
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            (request,) = schedule.evaluate_tick(context).run_requests or []
        return request
    sensor = defs.resolve_sensor_def("new_raw_files")
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        first = sensor(context)  # a file_job run per new file; the global job computes
        context.update_cursor(first.cursor)  # any it finds missing, so skip them
        requests = sensor(context).run_requests or []
    return next(r for r in requests if r.job_name == "papers_job")


@pytest.mark.parametrize("kind", ["schedule", "sensor"])
def test_schedule_and_sensor_runs_use_the_data_dirs_settings_file(
    nested_data_dir: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """As the daemon does: load the definitions for the data directory, evaluate a tick,
    run what it asks for. The nested abstracts are read only through the file's paths."""
    monkeypatch.setenv("PAPERS_PIPELINE_DATA_DIR", str(nested_data_dir))
    defs = build_definitions()
    with dg.instance_for_test() as instance:
        request = _run_request(defs, instance, kind)
        job = defs.resolve_job_def(request.job_name or "papers_job")
        result = job.execute_in_process(
            instance=instance, run_config=request.run_config, tags=request.tags
        )
    assert result.success
    store = nested_data_dir / "processed" / "papers"
    records = pl.read_parquet(next(store.glob("v*/records.parquet")))
    assert records.height == 3
    assert records["abstract"].null_count() == 0
    assert (records["status"] == "published").all()
    manifest = json.loads(next(store.glob("v*/manifest.json")).read_text())
    assert manifest["settings"]["sources"]["json_fields"].startswith("file ")
    assert Path(manifest["settings"]["file"]).samefile(nested_data_dir / "pipeline.toml")


def test_the_readme_table_gives_each_settings_model_default() -> None:
    """The README's settings table is what users read: its defaults are the model's."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") : readme.index("## Running on a schedule")]
    documented: dict[str, Any] = {}
    for row in re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| (.+?) \|", section, re.M):
        keys = re.findall(r"`([a-z_]+)`", row[0])
        defaults = re.findall(r"`([^`]+)`", row[1])
        documented |= {k: json.loads(d) for k, d in zip(keys, defaults, strict=True)}
    assert documented == PipelineConfig().flat()


def test_a_launchpad_override_applies_to_one_run_and_the_manifest_says_so(
    data_dir: Path,
) -> None:
    """The near tier switched off for one run: every near duplicate (the FCN revision
    among them) becomes its own paper, the manifest records the override and the
    changelog names the setting."""
    first = materialize_all(data_dir)
    second = materialize_all(data_dir, near_threshold=False)
    assert first.success and second.success
    store = data_dir / "processed" / "papers"
    manifest = json.loads((store / "v0002" / "manifest.json").read_text())
    before = json.loads((store / "v0001" / "manifest.json").read_text())["counts"]
    assert before["duplicates_near"] >= 1  # the FCN revision among them
    assert manifest["counts"]["papers"] == before["papers"] + before["duplicates_near"]
    assert manifest["counts"]["duplicates_near"] == 0
    assert manifest["settings"]["sources"]["near_threshold"] == "override"
    assert manifest["settings"]["values"]["near_threshold"] is None
    assert manifest["changelog"]["settings_changed"] == {
        "near_threshold": {"old": 0.5, "new": None}
    }
