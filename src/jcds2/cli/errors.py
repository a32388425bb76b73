"""The command line's error, kept here for its old import path (it lives in ``jcds2.errors``)."""

from __future__ import annotations

from jcds2.errors import UsageError

__all__ = ["UsageError"]
