"""Checking an import's rows in worker processes while the writer writes.

Rows are independent of each other, and checking one (``rows.check``) is about a third
of what an import costs the writer's core, so a file import hands its batches' rows to
a few worker processes and writes each batch when its answers are back, in the order
of the file: the writer stays one process, each batch one transaction with its audit
entry, and every row is reported, quarantined and written exactly as when the writer
checks it itself. Only a few batches are out at once, so memory stays bounded however
long the file.

The workers are forked from the command before it opens the database (``RowPool`` is
made first), so they share its loaded code for nothing; they ignore Ctrl-C, which the
writer handles by stopping them outright (what they were checking is no longer
wanted), and each one ends itself when the writer is gone (killed outright), so
nothing is left running. A worker that dies (killed, out of memory) stops the import
with one line saying so, after the batches already written.

The writer watches the workers itself rather than leave that to the executor alone: a
worker killed part-way through sending a chunk's answers leaves the executor's thread
waiting for the rest of them for ever, and the import would hang (CPython 3.11). So a
wait for answers looks at the workers every ``WATCH`` seconds, and a failed or
interrupted import kills the workers and unblocks that thread before shutting down.

CPython drops a Ctrl-C that lands while a finaliser runs in the writer ("Exception
ignored in ..."): with the default handler the import would then carry on to the end
and exit 0. So while the pool is open Ctrl-C is also remembered, and the writer stops
at the next batch it sends or waits for.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from enum import Enum
from multiprocessing.connection import wait
from multiprocessing.reduction import ForkingPickler
from types import FrameType
from typing import Any

from jigsaw.errors import JigsawError
from jigsaw.imports.rows import GoodRecord, Layout, Problem, Row, check_chunk
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import PersonRole, Sex

AHEAD = 4
"""Batches checked (or waiting to be) beyond the one being written: enough to keep
``MAX_WORKERS`` busy with one batch each."""
MAX_WORKERS = 4
WATCH = 0.1
"""Seconds between looks at whether every worker is still there while the writer waits
for answers: a dead worker stops the import this soon; answers that come wake the
writer at once."""


def default_workers() -> int:
    """One core for the writer, one for the database and whatever else the machine runs,
    and the rest (up to ``MAX_WORKERS``) for checking: none on two cores. There a worker
    takes the writer's CPU per row from about 13,000 to 19,000 rows a second but, with
    the cores shared, the import took longer by the clock than checking in the writer
    (``bench/results/import.md``, 6 December 2026)."""
    return max(0, min((os.cpu_count() or 1) - 2, MAX_WORKERS))


Checked = list[GoodRecord | list[Problem]]

WORKER_STOPPED = (
    "A process checking the rows stopped before it answered (killed, or out of memory?): "
    "the batches before it went in, whole; run the import again to finish it (--workers 0 "
    "checks the rows in the command itself)"
)


class Pending:
    """One batch's rows out for checking, chunk by chunk."""

    def __init__(self, pool: RowPool, chunks: list[Future[Checked]]) -> None:
        self.pool = pool
        self.chunks = chunks

    def result(self) -> Checked:
        """Each row's answer, in the batch's order (waiting for the workers)."""
        answers: Checked = []
        for chunk in self.chunks:
            self.pool.carry_on()
            answers.extend(self.pool.answered(chunk))
        return answers


class RowPool:
    """Worker processes that check rows for the writer (see the module's docstring)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.interrupted = False
        self.executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_started
        )
        # Start every worker now, before the caller opens connections or threads of its
        # own that a fork would copy. What the workers inherit is frozen out of their
        # garbage collection, so none ever finalises (closes) a connection of the
        # writer's that it holds a copy of.
        gc.freeze()
        try:
            for started in [self.executor.submit(os.getpid) for _ in range(workers)]:
                started.result()
        finally:
            gc.unfreeze()
        # Every worker is started by now (forked ones all at once, on the first submit).
        self.processes = list(self.executor._processes.values())

    def submit(self, batch: list[Row], layout: Layout, agency_id: int) -> Pending:
        """Send a batch's rows to be checked against the file's layout as it is now."""
        self.carry_on()
        identifiers = dict(layout.identifier_columns)
        # One chunk per worker: each hand-over costs the writer a turn with the pool's
        # threads, and chunks of 1,000 rows cost more than they saved (measured with
        # ``bench/import_workers.py``, 100,000 rows, one worker); a batch is still shared
        # out among the workers.
        size = max(1, -(-len(batch) // self.workers))
        try:
            chunks = [
                self.executor.submit(
                    check_chunk,
                    [
                        (row.line, row.raw if row.deferred else row.values)
                        for row in batch[start : start + size]
                    ],
                    layout.columns,
                    identifiers,
                    agency_id,
                )
                for start in range(0, len(batch), size)
            ]
        except BrokenProcessPool:  # a worker died before this batch was sent
            raise JigsawError(WORKER_STOPPED) from None
        return Pending(self, chunks)

    def answered(self, chunk: Future[Checked]) -> Checked:
        """A chunk's answers, or the one line of ``WORKER_STOPPED`` if a worker dies
        before they come: the executor says so itself, except when the worker died
        part-way through sending answers (see the module's docstring); a dead worker's
        sentinel is ready."""
        while True:
            try:
                return chunk.result(timeout=WATCH)
            except BrokenProcessPool:
                raise JigsawError(WORKER_STOPPED) from None
            except TimeoutError:
                if wait([p.sentinel for p in self.processes], timeout=0):
                    raise JigsawError(WORKER_STOPPED) from None

    def interrupt(self, signum: int, frame: FrameType | None) -> None:
        """The writer's Ctrl-C handler while the pool is open: remembered, then raised."""
        self.interrupted = True
        raise KeyboardInterrupt

    def carry_on(self) -> None:
        """Raise a Ctrl-C that a finaliser swallowed (see the module's docstring)."""
        if self.interrupted:
            raise KeyboardInterrupt

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers once what they are doing is done; with ``cancel`` (the import
        has failed or been interrupted), at once, whatever they are doing.

        Cancelling kills them rather than wait: a worker may be stuck for good (another
        one died holding the queues' lock), and the executor's thread may be waiting for
        answers a dead worker never finished sending. Once no worker is left, closing
        the writer's copy of the answers' pipe ends that wait (no one can write to it),
        so the executor sees its pool broken and shuts down."""
        if cancel:
            for process in self.processes:
                process.kill()
            for process in self.processes:
                process.join()
            self.executor._result_queue._writer.close()  # type: ignore[attr-defined]
        self.executor.shutdown(wait=True, cancel_futures=cancel)


@contextmanager
def row_pool(workers: int) -> Iterator[RowPool | None]:
    """A pool of ``workers`` processes, or None (rows checked by the writer) for 0."""
    if workers <= 0:
        yield None
        return
    pool = RowPool(workers)
    # Only the main thread may set a handler, and only it receives signals anyway.
    handling = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, pool.interrupt) if handling else None
    try:
        yield pool
    except BaseException as error:
        pool.close(cancel=True)
        if pool.interrupted and not isinstance(error, KeyboardInterrupt):
            # A Ctrl-C can turn into another error on its way out (a database
            # connection it broke, say); the import was still interrupted: exit 130.
            raise KeyboardInterrupt from error
        raise
    finally:
        if handling:
            # None: a handler set outside Python, which cannot be put back; Python's own.
            signal.signal(
                signal.SIGINT, signal.default_int_handler if previous is None else previous
            )
    pool.close()


def _worker_started() -> None:
    """Ctrl-C is the writer's to handle; and a worker whose writer was killed outright
    ends at once rather than wait for rows that will never come."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for kind in (IdentifierScheme, PersonRole, Sex):
        ForkingPickler.register(kind, _by_name)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()


def _by_name(member: Enum) -> tuple[Any, tuple[type[Enum], str]]:
    """A checked row's enumerations sent back as the member's name, looked up in C when
    the writer reads them, rather than through ``Enum.__call__`` (a few microseconds a
    row on the writer's core). The same member comes out."""
    return getattr, (type(member), member.name)


def _end_with(sentinel: int) -> None:
    wait([sentinel])
    os._exit(1)
