"""Step failures that name their cause in one line.

An OSError out of a step surfaced as "Error occurred while executing op ..." with the
cause buried in a traceback; a full disk or a read-only directory deserve a line that
says which file and which errno, e.g. "No space left on device (ENOSPC):
/data/processed/papers/.staging-…/papers.parquet".
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from typing import Any

import dagster as dg


def describe_os_error(exc: OSError) -> str:
    """``"<strerror> (<ERRNO>): <file>"`` for ``exc``, as much of it as is known."""
    code = errno.errorcode.get(exc.errno, str(exc.errno)) if exc.errno else None
    text = exc.strerror or str(exc)
    where = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
    return f"{text}{f' ({code})' if code else ''}{f': {where}' if where else ''}"


def os_errors_named(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a step so an OSError fails it with :func:`describe_os_error`'s line."""

    @functools.wraps(step)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return step(*args, **kwargs)
        except OSError as exc:
            raise dg.Failure(description=describe_os_error(exc)) from exc

    return wrapped
