"""Severable connections: a cancelled transfer wakes its workers out of blocking reads.

A worker waiting on a server that stopped sending (or never started answering) would
otherwise sit out the whole read timeout after the transfer was cancelled. The registry
is installed into a urllib3 pool manager (``requests``' and botocore's alike): every
connection notes itself as its thread's when it sends a request, and a cancellation
shuts that socket down, which ends the blocked read at once with a connection error.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import requests

from jcds2.application.cancel import CancelToken


class ConnectionRegistry:
    """Which connection each thread is using, to sever it when its transfer is cancelled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, Any] = {}

    def install(self, session: requests.Session) -> None:
        """Track the connections of every adapter of ``session``."""
        for adapter in session.adapters.values():
            manager = getattr(adapter, "poolmanager", None)
            if manager is not None:
                self.install_on_manager(manager)

    def install_on_manager(self, manager: Any) -> None:
        """Track the connections a urllib3 ``PoolManager`` will create from now on."""
        classes = getattr(manager, "pool_classes_by_scheme", None)
        if not isinstance(classes, dict):
            return  # not a urllib3 pool manager we know: workers then time out instead
        manager.pool_classes_by_scheme = {
            scheme: self._tracking(pool) for scheme, pool in classes.items()
        }

    def _tracking(self, pool: type[Any]) -> type[Any]:
        if getattr(pool, "_jcds2_tracked", False):
            return pool
        registry = self
        base = pool.ConnectionCls

        class TrackedConnection(base):  # type: ignore[misc, valid-type]
            def request(self, *args: Any, **kwargs: Any) -> Any:
                registry.bind(self)
                return super().request(*args, **kwargs)

        namespace = {"ConnectionCls": TrackedConnection, "_jcds2_tracked": True}
        return type(f"Tracked{pool.__name__}", (pool,), namespace)

    def bind(self, connection: Any) -> None:
        with self._lock:
            self._by_thread[threading.get_ident()] = connection

    def release(self) -> None:
        with self._lock:
            self._by_thread.pop(threading.get_ident(), None)

    def sever(self, thread_id: int) -> None:
        """Shut down the socket thread ``thread_id`` is using, if any."""
        with self._lock:
            connection = self._by_thread.get(thread_id)
        sock = getattr(connection, "sock", None)
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def severable(self, cancel: CancelToken | None) -> Iterator[None]:
        """While the block runs, cancelling ``cancel`` severs this thread's connection."""
        if cancel is None:
            yield
            return
        thread_id = threading.get_ident()
        try:
            with cancel.on_cancel(lambda: self.sever(thread_id)):
                yield
        finally:
            self.release()
