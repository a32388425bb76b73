"""Use-case: upload many files, a bounded number at a time, with a result or error per file."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.categories import resolve_category
from jcds2.application.concurrency import run_all
from jcds2.application.upload import UploadOptions, UploadPackageFile
from jcds2.domain.errors import ConfigurationError, Jcds2Error
from jcds2.domain.models import BatchItem

log = logging.getLogger("jcds2.batch")

#: Called with a file's name and a number of bytes just sent. May be called from threads.
BatchProgress = Callable[[str, int], None]

MAX_WORKERS = 16


@attrs.define
class UploadPackageFiles:
    """Upload ``file_paths`` with at most ``workers`` uploads at once.

    Every file gets a :class:`~jcds2.domain.models.BatchItem` in the order given: its
    result, or the ``Jcds2Error`` it met (one file's failure does not stop the others).
    Two paths with the same file name in one batch would race for one package: the
    second gets an error without being sent. An interrupt (Ctrl-C) cancels the uploads in
    flight, lets each clean up what it started, and then propagates.

    Every file's guardrails are checked first (a file that fails them gets its
    ``PackageCheckError`` and is not sent). The category is resolved once for the batch,
    before any file is sent (and created then, if asked): an unknown one raises
    ``UnknownCategoryError`` for the whole batch.
    """

    upload: UploadPackageFile

    def __call__(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        options: UploadOptions | None = None,
        *,
        workers: int = 2,
        progress: BatchProgress | None = None,
        **changes: Any,
    ) -> list[BatchItem]:
        """Upload ``file_paths`` with ``options`` changed by ``changes`` (as for one file;
        each package is named after its file, and ``progress`` gets the file's name)."""
        if not 1 <= workers <= MAX_WORKERS:
            raise ConfigurationError(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")
        options = attrs.evolve(options or UploadOptions(), **changes)
        token = options.cancel or CancelToken()
        options = attrs.evolve(options, package_name=None, cancel=token)
        paths = [Path(os.fspath(path)) for path in file_paths]
        items: list[BatchItem | None] = [None] * len(paths)
        seen: dict[str, Path] = {}
        for index, path in enumerate(paths):
            first = seen.setdefault(path.name, path)
            if first is not path:
                items[index] = BatchItem(
                    path,
                    error=ConfigurationError(
                        f"{path} has the same file name as {first}, earlier in the batch; "
                        "one file name makes one package"
                    ),
                )
                continue
            # Every file's guardrails first: a file that fails them is refused before the
            # batch asks anything of the server (or makes its category).
            try:
                self.upload.check(path, options)
            except Jcds2Error as exc:
                log.warning("%s: %s", path, exc)
                items[index] = BatchItem(path, error=exc)
        directory = self.upload.categories
        if directory is not None and any(item is None for item in items):
            category = resolve_category(directory, options.category, create=options.create_category)
            options = attrs.evolve(options, category=category, create_category=False)

        def one(index: int) -> BatchItem:
            path = paths[index]
            report = None if progress is None else _per_file(progress, path.name)
            try:
                result = self.upload(path, attrs.evolve(options, progress=report))
            except TransferCancelledError:
                raise
            except Jcds2Error as exc:  # one file's failure does not stop the others
                log.warning("%s: %s", path, exc)
                return BatchItem(path, error=exc)
            return BatchItem(path, result=result)

        slots = [index for index, item in enumerate(items) if item is None]
        tasks: list[Callable[[], BatchItem]] = [functools.partial(one, index) for index in slots]
        try:
            # An interrupt cancels the uploads in flight; each cleans up what it started,
            # however long that takes (grace=None), before the interrupt propagates.
            done = run_all(tasks, workers=workers, cancel=token, name="jcds2-batch", grace=None)
        except BaseException:
            log.warning("batch interrupted: cancelled the uploads in flight")
            raise
        for index, item in zip(slots, done, strict=True):
            items[index] = item
        return [item for item in items if item is not None]


def _per_file(progress: BatchProgress, name: str) -> Callable[[int], None]:
    def report(count: int) -> None:
        progress(name, count)

    return report
