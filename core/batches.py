"""Writes that belong together (a pledge's entries renumbered by one placement): what the layers above
keep for each write (the change feed's rows: `changes.recording`) is gathered and written once, in bulk,
when the batch ends, still inside the writes' transaction.

A service wraps its writes in `batched()` (inside its `transaction.atomic`); a layer above that keeps
something per write asks `pending(name)` for the batch's list of it (None outside a batch: write it at
once) and registers with `at_batch_end(name, finish)` what writes the list at the end. A batch inside a
batch is the same batch. A batch left by an exception writes nothing: its transaction is rolled back.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar[dict[str, list[Any]] | None] = ContextVar("batch", default=None)
_finishers: dict[str, Callable[[list[Any]], None]] = {}


def at_batch_end(name: str, finish: Callable[[list[Any]], None]) -> None:
    """`finish(items)` writes what was gathered under `name` when a batch ends (once per name)."""
    _finishers[name] = finish


def pending(name: str) -> list[Any] | None:
    """The current batch's list for `name` (append to it), or None outside a batch."""
    batch = _current.get()
    if batch is None:
        return None
    return batch.setdefault(name, [])


@contextmanager
def batched() -> Iterator[None]:
    """Gather what the writes inside the block leave to be written, and write it once at its end."""
    if _current.get() is not None:
        yield
        return
    batch: dict[str, list[Any]] = {}
    token = _current.set(batch)
    try:
        yield
    finally:
        _current.reset(token)
    for name, items in batch.items():
        if items:
            _finishers[name](items)
