"""The application layer: the use-cases, and the ports they need (``jcds2.ports``)."""
