"""The one error a reader raises when a file is not of its shape."""

from __future__ import annotations

UNKNOWN_FORMAT = "unknown format"


class UnknownFormatError(ValueError):
    """The file is not of a shape any reader knows; the message says why.

    The file is rejected as a whole with reason ``unknown format: <why>`` and the run
    goes on.
    """

    def __str__(self) -> str:
        return f"{UNKNOWN_FORMAT}: {super().__str__()}"
