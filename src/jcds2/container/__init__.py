"""The composition root and the public client built on it."""

from jcds2.container.client import JamfProClient, Jcds2, Packages
from jcds2.container.containers import Jcds2Container

__all__ = ["JamfProClient", "Jcds2", "Jcds2Container", "Packages"]
