"""The errors a reader raises to reject a whole file: not of its shape, or beyond a bound."""

from __future__ import annotations

UNKNOWN_FORMAT = "unknown format"


class UnknownFormatError(ValueError):
    """The file is not of a shape any reader knows; the message says why.

    The file is rejected as a whole with reason ``unknown format: <why>`` and the run
    goes on.
    """

    def __str__(self) -> str:
        return f"{UNKNOWN_FORMAT}: {super().__str__()}"


class FileRejectedError(ValueError):
    """The file is of a known shape but beyond one of the readers' bounds (a line too
    long); the message is the whole reason, with no ``unknown format`` prefix."""
