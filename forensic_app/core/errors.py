"""One root exception for everything a user can cause or fix.

Every message is one line that says what is wrong and what to do about it.
"""

from __future__ import annotations

from pathlib import Path


class ForensicError(Exception):
    """Root of all user-facing errors. ``str(err)`` is the message to show."""


class UnusableInputError(ForensicError):
    """The input cannot be analysed (missing, corrupt, silent, too short...). CLI exit code 2."""


def unusable_input(path: Path, what: str, todo: str) -> UnusableInputError:
    """The one shape of an input error: ``<file name>: <what is wrong>. <what to do>``."""
    return UnusableInputError(f"{path.name}: {what}. {todo}")


class ModelError(ForensicError):
    """Weights, manifest or calibration are missing, corrupt or mismatched."""


class BundleError(ModelError):
    """The model bundle is not the released one (a file or the manifest changed, no seal, another model) and
    running it was not asked for (``allow_modified``, ``--allow-modified-model``). CLI exit code 2."""


class Cancelled(Exception):
    """Raised inside long work when the user cancelled it. Not an error."""
