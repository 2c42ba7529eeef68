"""Errors meant for users: each carries one sentence a student understands.

Pages catch `GenvizError` and show `st.error(str(err))`; the CLI prints it to stderr
and exits non-zero. Anything else escaping is a bug.
"""
from __future__ import annotations


class GenvizError(Exception):
    """A problem the user can fix; `str(err)` is the sentence to show them."""


class ConfigError(GenvizError):
    """A hyperparameter or model setting is out of its allowed range."""


class DatasetUnavailable(GenvizError):
    """A dataset is neither on disk nor downloadable right now."""


class CheckpointError(GenvizError):
    """A checkpoint file is missing, corrupt, foreign or does not fit its config."""


class TrainingDiverged(GenvizError):
    """Training produced NaN/inf; the model keeps its last good weights."""


class DataFormatError(GenvizError):
    """A user-supplied file (CSV, points) has the wrong columns or values."""


class SaveError(GenvizError):
    """A file cannot be written: full disk, read-only folder, a folder in the way, or a name taken."""


class AlreadyExists(SaveError):
    """A save would replace an existing file that the user has not agreed to replace."""
