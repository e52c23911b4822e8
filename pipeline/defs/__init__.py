"""The thin Dagster layer: each module wraps one stage of ``pipeline.core``."""
