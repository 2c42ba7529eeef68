"""genviz: train, load and look inside generative models."""
from __future__ import annotations

from genviz.core.errors import GenvizError

__version__ = "0.1.0"
__all__ = ["GenvizError", "__version__"]
