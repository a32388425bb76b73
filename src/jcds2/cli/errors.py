"""Errors of the command line itself (as opposed to the library's ``Jcds2Error``)."""

from __future__ import annotations


class UsageError(Exception):
    """Raised for a command line that cannot work: a missing server, credentials or
    secret, a bad config file, options that do not go together. Exit code 2."""
