"""What an operator does from the UI, as GraphQL calls against the webserver: turn the
sensor on or off, launch the global job, backfill file partitions.

The test drives the deployment through the same API the UI uses, so what it proves
holds for a user clicking the same buttons.
"""

from __future__ import annotations

import time

from deploy.processes import DeployError, wait_for
from deploy.stack import LOCATION, REPOSITORY, graphql

_REPO = {"repositoryName": REPOSITORY, "repositoryLocationName": LOCATION}

_START_SENSOR = """
mutation($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { id status } }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on SensorNotFoundError { message }
  }
}"""

_STOP_SENSOR = """
mutation($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
    ... on PythonError { message }
  }
}"""

_LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}"""

_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}"""


def start_sensor(url: str, name: str, timeout: float = 120) -> str:
    """Turn the sensor on; its instigation state id (to stop it). Retried until the
    webserver has loaded the code location."""
    selector = {**_REPO, "sensorName": name}

    def attempt() -> str | None:
        result = graphql(url, _START_SENSOR, {"selector": selector})["startSensor"]
        if result["__typename"] == "Sensor":
            return result["sensorState"]["id"]
        return None

    return wait_for(f"sensor {name} to start", attempt, timeout, 2.0)


_SENSOR_STATUS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
  }
}"""


def _sensor_status(url: str, name: str) -> str | None:
    selector = {**_REPO, "sensorName": name}
    result = graphql(url, _SENSOR_STATUS, {"selector": selector})["sensorOrError"]
    return result["sensorState"]["status"] if result["__typename"] == "Sensor" else None


def stop_sensor(url: str, name: str, state_id: str, settle: float = 8.0) -> None:
    """Turn the sensor off, and make sure it stays off: a tick that was being evaluated
    when it was stopped writes the sensor's state back when it ends, with the status
    it read (RUNNING), which restarts the sensor. So stop, wait ``settle`` seconds
    (longer than a tick), and stop again until the status stays STOPPED."""

    def stopped_for_good() -> bool:
        result = graphql(url, _STOP_SENSOR, {"id": state_id})["stopSensor"]
        if result["__typename"] != "StopSensorMutationResult":
            raise DeployError(f"stopSensor: {result}")
        first = _sensor_status(url, name)
        time.sleep(settle)  # one tick's length: the only way to see a late write-back
        return first == "STOPPED" and _sensor_status(url, name) == "STOPPED"

    wait_for(f"sensor {name} to stay stopped", stopped_for_good, 120, 0.1)


def launch_job(url: str, job: str, tags: dict[str, str] | None = None) -> str:
    """Submit a run of ``job`` (queued: the daemon launches it); its run id."""
    params = {
        "selector": {**_REPO, "jobName": job},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }
    result = graphql(url, _LAUNCH_RUN, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise DeployError(f"launchRun {job}: {result}")
    return result["run"]["runId"]


def backfill(url: str, job: str, partitions: list[str]) -> str:
    """A job backfill of ``partitions`` (one run of ``job`` per partition, launched by
    the daemon's backfill loop); its backfill id."""
    params = {
        "selector": {"partitionSetName": f"{job}_partition_set", "repositorySelector": _REPO},
        "partitionNames": partitions,
        "title": f"{job}: {len(partitions)} files",
    }
    result = graphql(url, _BACKFILL, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise DeployError(f"launchPartitionBackfill: {result}")
    return result["backfillId"]
