"""Production-style deployment of the pipeline: PostgreSQL-backed Dagster instance, the
daemon, queued runs and a Celery executor for the per-file work.

Nothing in ``pipeline/`` imports this package: the main package never needs
dagster-postgres, dagster-celery or a broker.
"""
