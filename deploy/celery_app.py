"""The Celery app that ``dagster-celery`` workers of this deployment run.

Start a worker with::

    PAPERS_CELERY_BROKER=redis://host:6379/0 DAGSTER_HOME=... PAPERS_PIPELINE_DATA_DIR=... \\
        celery -A deploy.celery_app worker -c 1 -n w1@%h -l INFO

``dagster_celery.app`` would read its broker from a ``dagster_celery_config`` module or
default to RabbitMQ on localhost; this app takes the broker from the same variable
as the executor (deploy/definitions.py), and the same delivery settings: one step at
a time per worker process, acknowledged when done.
"""

from __future__ import annotations

import os
import warnings

warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")

from dagster_celery.make_app import make_app  # noqa: E402
from dagster_celery.tasks import create_task  # noqa: E402

from deploy.definitions import BROKER_ENV  # noqa: E402

_broker = os.environ[BROKER_ENV]
app = make_app({"broker": _broker, "backend": _broker})
app.conf.update(
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

execute_plan = create_task(app)
