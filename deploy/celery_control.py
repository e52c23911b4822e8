"""Remote control of this deployment's Celery workers (over the broker)."""

from __future__ import annotations

from celery import Celery

from deploy.processes import DeployError

QUEUE = "dagster"


def celery_control(broker_url: str) -> Celery:
    """A client app on the workers' broker, for control broadcasts only."""
    return Celery("papers-control", broker=broker_url, backend=broker_url)


def set_consuming(app: Celery, workers: list[str], consume: bool) -> None:
    """Make ``workers`` stop (or resume) taking tasks from the queue; each must answer."""
    control = app.control.add_consumer if consume else app.control.cancel_consumer
    answers = control(QUEUE, destination=workers, reply=True, timeout=10)
    answered = {name for answer in answers or [] for name in answer}
    if answered != set(workers):
        raise DeployError(f"celery {control.__name__}: {sorted(answered)} of {workers} answered")
