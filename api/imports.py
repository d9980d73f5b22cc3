"""Importing a file in the export's own format: a preview of every row, then all of it or nothing.

Why in `api`: an import writes exactly what the API writes, through the API's serializers (the
export's columns are their fields) and the services they call, so it lives beside them; the
admin page and the `import` command both call `import_file()`.

Each row of the file is classified against the stored records: *create* (no record has its key),
*change* (field by field: old → new) or *unchanged*; or it is refused, with every error by row and
column. The preview is the import itself, run in a transaction that is then rolled back, so it
refuses exactly what the import would. An import with any error stores nothing; a row that changes
nothing is not saved (no history row), so importing the same file again changes nothing. Every
history row the import writes names the user and the file (`core.attribution`).
"""

import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.attribution import attributed

from .csv_lists import chunked
from .import_bulk import BULK_RESOURCES, BulkCommitments
from .import_files import FileRefused, Table, read_table
from .import_resources import ALIASES, RESOURCES, ROW, RowRefused, SerializedResource, detect, not_written, same

# Rows per chunk: each chunk's stored records are read in one query; progress is told per chunk.
CHUNK_ROWS = 500
HEADER_ROW = 1


@dataclass
class RowResult:
    """One row of the file: its number (the header is row 1), its record's key, what the import does."""

    number: int
    key: str
    action: str  # create, change, unchanged or error
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (column, old, new)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message); "" for the row


@dataclass
class ImportResult:
    filename: str
    sha256: str
    resource: str | None
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)
    applied: bool = False
    stale: bool = False  # refused: the preview it was confirmed from no longer matches (`expect_plan`)

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """Every error: (row, column, message), the file's own first."""
        return [*self.file_errors, *((row.number, c, m) for row in self.rows for c, m in row.errors)]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("create", "change", "unchanged", "error"), 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def summary(self) -> str:
        """The counts in words, as the preview ends: `154 rows: 0 to create, 1 to change, 153 unchanged, 0 refused.`"""
        counts = self.counts()
        rows = len(self.rows)
        return (
            f"{rows} row{'' if rows == 1 else 's'}: {counts['create']} to create, {counts['change']} to change, "
            f"{counts['unchanged']} unchanged, {counts['error']} refused."
        )

    def plan_digest(self) -> str:
        """A digest of what the import would do: the admin's confirm refuses a preview it no longer matches."""
        plan = [self.sha256, *((r.number, r.action, r.changes, r.errors) for r in self.rows), self.file_errors]
        return hashlib.sha256(json.dumps(plan, ensure_ascii=False).encode()).hexdigest()


def change_reason(filename: str, sha256: str) -> str:
    """What the history says of an import's changes: `import <file> (sha256 <first 12>…)`, in 100 characters."""
    return f"import {filename[:60]} (sha256 {sha256[:12]}…)"


def import_file(
    data: bytes,
    filename: str,
    *,
    resource: str | None = None,
    user: Any = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    expect_plan: str | None = None,
    row_by_row: bool = False,
) -> ImportResult:
    """Preview (`dry_run`) or import a file; stored only when no row has an error and not a dry run.

    With `expect_plan` (a preview's `plan_digest()`), stored only if the import does exactly what that
    preview showed: otherwise `stale`, and nothing is stored (the records changed since the preview).
    A resource with a bulk path (`import_bulk.BULK_RESOURCES`) takes it unless `row_by_row`: the same
    rows, errors and stored records, in a fixed number of queries a chunk.
    """
    try:
        table = read_table(data, filename)
    except FileRefused as exc:
        return ImportResult(filename, Table.digest(data), resource, file_errors=[(HEADER_ROW, ROW, str(exc))])
    result = ImportResult(filename, table.sha256, resource or detect(table.header))
    result.file_errors = header_errors(table.header, result.resource, user)
    if result.file_errors or result.resource is None:
        return result
    spec = (RESOURCES if row_by_row else {**RESOURCES, **BULK_RESOURCES})[result.resource]()
    with transaction.atomic(), attributed(user, change_reason(filename, table.sha256)), collector_paused():
        result.rows = _run(spec, table, user, progress)
        result.stale = expect_plan is not None and result.plan_digest() != expect_plan
        result.applied = not dry_run and not result.errors and not result.stale
        if not result.applied:
            transaction.set_rollback(True)
    return result


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is imported, enabled again after (if it was).

    An import keeps what it makes until its result is returned (each row's outcome and cells, the records
    it writes, the values it has checked), so the collector's passes over them find next to nothing to
    free: about a tenth of a 10k-row import's time (docs/benchmark.md). Reference counting frees
    everything else as it always does; what cycles the import leaves are collected once it is enabled.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def header_errors(header: list[str], resource: str | None, user: Any) -> list[tuple[int, str, str]]:
    """The file's header against its resource's export, and the user's right to write it."""
    if resource not in RESOURCES:
        known = ", ".join(RESOURCES)
        said = f"“{resource}” is not one of" if resource else "The header is not the export of any of"
        return [(HEADER_ROW, ROW, f"{said} the resources an import reads ({known}).")]
    spec = RESOURCES[resource]()
    names = [ALIASES.get(name, name) for name in header]
    errors = [
        (HEADER_ROW, name, f"“{name}” is not a column of the {resource} export.")
        for name in names
        if name not in spec.columns and name not in spec.writable
    ]
    errors += [
        (HEADER_ROW, name, f"The {resource} file needs the column “{name}”.")
        for name in spec.key_columns
        if name not in names
    ]
    twice = sorted({name for name in names if names.count(name) > 1})
    errors += [(HEADER_ROW, name, f"The column “{name}” is given twice.") for name in twice]
    model = spec.model._meta
    if user is not None and not all(
        user.has_perm(f"{model.app_label}.{verb}_{model.model_name}") for verb in ("add", "change")
    ):
        errors.append((HEADER_ROW, ROW, f"{user.get_username()} may not add or change {model.verbose_name_plural}."))
    return errors


def _run(
    spec: SerializedResource, table: Table, user: Any, progress: Callable[[int, int], None] | None
) -> list[RowResult]:
    header = [ALIASES.get(name, name) for name in table.header]
    used = [name for name in header if name in spec.key_columns or name in spec.writable or name in spec.compared]
    total, done = len(table.rows), 0
    results: list[RowResult] = []
    seen: dict[tuple, int] = {}
    positions = [(name, header.index(name)) for name in used]
    for chunk in chunked(zip(table.numbers, table.rows, strict=True), CHUNK_ROWS):
        rows = [(number, {name: line[at] for name, at in positions}) for number, line in chunk]
        stored = spec.load([spec.key_of(cells) for _, cells in rows])
        if isinstance(spec, BulkCommitments):
            spec.prepare(rows, stored)
        first = len(results)
        for number, cells in rows:
            results.append(_row(spec, number, cells, stored, seen, user))
        if isinstance(spec, BulkCommitments):
            _refuse(results[first:], spec.finish_chunk())
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    if isinstance(spec, BulkCommitments) and not any(row.errors for row in results):
        spec.write()
    return results


def _refuse(rows: list[RowResult], refused: dict[str, list[tuple[str, str]]]) -> None:
    """The bulk path's rows refused after the chunk was read (a check constraint), as the row path refuses them."""
    for row in rows:
        if row.action in ("create", "change") and row.key in refused:
            row.action, row.changes, row.errors = "error", [], refused[row.key]


def _row(
    spec: SerializedResource, number: int, cells: dict[str, str], stored: dict, seen: dict, user: Any
) -> RowResult:
    key = spec.key_of(cells)
    shown = "~".join(part or "" for part in key)
    if key in seen:
        return RowResult(number, shown, "error", errors=[(ROW, f"The same record as row {seen[key]}.")])
    seen[key] = number
    obj = stored.get(key)
    refused = not_written(spec, obj, cells)  # with the row's other errors, if any; the import stores nothing
    cells = {name: value for name, value in cells.items() if name not in spec.compared}
    writable = [name for name in cells if name in spec.writable]
    old = spec.cells_of(obj, writable) if obj is not None else {}
    if obj is not None and all(same(old[name], cells[name]) for name in writable):
        return RowResult(number, shown, "error", errors=refused) if refused else RowResult(number, shown, "unchanged")
    try:
        with transaction.atomic() if spec.writes_per_row else nullcontext():
            outcome = spec.apply(obj, cells, old, user)
    except RowRefused as exc:
        return RowResult(number, shown, "error", errors=refused + exc.errors)
    if refused:
        return RowResult(number, shown, "error", errors=refused)
    return RowResult(number, shown, outcome.action, outcome.changes)
