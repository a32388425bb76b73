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

#: How soon an expired deadline tries again to sever a connection that had no socket yet.
_RETRY_SEVER_SECONDS = 0.05


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

    def sever(self, thread_id: int) -> bool:
        """Shut down the socket thread ``thread_id`` is using; false if it has none yet."""
        with self._lock:
            connection = self._by_thread.get(thread_id)
        sock = getattr(connection, "sock", None)
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)
            return True
        return False

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[Deadline]:
        """While the block runs, its connection is severed once ``seconds`` have passed.

        Bounds a whole request, however slowly the server trickles its bytes; the block
        then fails with a connection error and ``Deadline.expired`` says why.
        """
        deadline = Deadline(self, threading.get_ident())
        deadline.start(seconds)
        try:
            yield deadline
        finally:
            deadline.end()
            self.release()

    @contextlib.contextmanager
    def severable(self, cancel: CancelToken | None) -> Iterator[None]:
        """While the block runs, cancelling ``cancel`` severs this thread's connection."""
        if cancel is None:
            yield
            return
        thread_id = threading.get_ident()

        def sever() -> None:
            self.sever(thread_id)

        try:
            with cancel.on_cancel(sever):
                yield
        finally:
            self.release()


class Deadline:
    """The deadline of one request (see :meth:`ConnectionRegistry.deadline`)."""

    def __init__(self, registry: ConnectionRegistry, thread_id: int) -> None:
        self._registry = registry
        self._thread_id = thread_id
        self._lock = threading.Lock()
        self._ended = False
        self._timer: threading.Timer | None = None
        self.expired = False

    def start(self, seconds: float) -> None:
        with self._lock:
            if self._ended:
                return
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            # Under the lock: a request that has already ended keeps its connection,
            # which may be back in the pool serving another request.
            if self._ended:
                return
            self.expired = True
            try:
                severed = self._registry.sever(self._thread_id)
            except OSError:
                severed = True  # already shut down
        if not severed:
            # Still connecting (no socket yet): try again in a moment.
            self.start(_RETRY_SEVER_SECONDS)

    def end(self) -> None:
        with self._lock:
            self._ended = True
            if self._timer is not None:
                self._timer.cancel()
