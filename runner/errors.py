"""The one kind of error a user can cause and fix: a message plus what to do next (no traceback shown)."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected failure the user can act on: ``message`` says what happened, ``hint`` what to do.

    Raised by any layer (runner, app); the CLI prints it as ``lambda-studio: message`` plus the hint, the
    window's job bridge shows it as a failure with its hint and never with a traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
