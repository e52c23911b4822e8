"""Heavy imports a run needs in its last steps, started on a background thread early.

Great Expectations takes ~6 s to import here and matplotlib ~1 s; a run that will
validate and publish can pay for them while its first steps wait on worker processes
or on polars (which releases the GIL). The step that needs the module imports it as
usual: Python's import lock makes it wait for an import in progress, and a failed
background import is simply done again there, where its error is reported.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable


def in_background(name: str, load: Callable[[], object]) -> threading.Thread:
    """Run ``load`` on a daemon thread called ``name``; its errors are dropped."""

    def run() -> None:
        with contextlib.suppress(Exception):
            load()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
