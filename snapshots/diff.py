"""Diff: the records added, removed and changed between two snapshots, by natural key."""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS

from .files import read_lines, read_manifest
from .records import FIXTURE, SnapshotError, curated_models, describe, label_of, record_key, sort_key


@dataclass
class Change:
    kind: str  # "added", "removed" or "changed"
    model: str
    key: tuple
    fields: dict  # the record's fields; for "changed", {field: (old, new)} of the fields that differ

    def as_json(self):
        fields = self.fields
        if self.kind == "changed":
            fields = {name: {"old": old, "new": new} for name, (old, new) in fields.items()}
        return {"model": self.model, "key": list(self.key), "fields": fields}


@dataclass
class DiffResult:
    old: dict  # {"path", "exported_at", "snapshot_sha256"}
    new: dict
    changes: list
    meta: dict  # manifest-level differences: app version, migrations

    def summary(self):
        return {kind: sum(c.kind == kind for c in self.changes) for kind in ("added", "removed", "changed")}

    def as_json(self):
        result = {"old": self.old, "new": self.new, "meta": self.meta, "summary": self.summary()}
        for kind in ("added", "removed", "changed"):
            result[kind] = [c.as_json() for c in self.changes if c.kind == kind]
        result["verdicts"] = verdict_changes(self.changes)
        return result


ASSESSMENT = "commitments.assessment"


def _verdict_of(fields):
    return fields.get("verdict") if isinstance(fields.get("verdict"), str) else None


def verdict_changes(changes):
    """What became of the verdicts between the two snapshots, a line each, for an auditor: a verdict
    added (and the one it supersedes, with the reason), changed in place, or gone. Assessments are
    added, never overwritten, so a verdict changed in place or removed is worth a second look."""
    lines = []
    for change in changes:
        if change.model != ASSESSMENT:
            continue
        key = "@".join(str(part) for part in change.key)
        if change.kind == "added":
            line = f"{key}: added, verdict {_verdict_of(change.fields)}"
            earlier = change.fields.get("supersedes")
            if earlier:
                line += f", supersedes {'@'.join(map(str, earlier))} ({change.fields.get('supersede_reason')})"
            lines.append(line)
        elif change.kind == "removed":
            lines.append(f"{key}: removed, verdict was {_verdict_of(change.fields)}")
        elif "verdict" in change.fields:
            old, new = change.fields["verdict"]
            lines.append(f"{key}: verdict changed in place, {old} -> {new}")
    return lines


def _ordered_records(path):
    """(position, model, key, fields) of a fixture's records; SnapshotError if they are out of snapshot order."""
    ranks = {label_of(model): rank for rank, model in enumerate(curated_models())}
    previous = None
    for line in read_lines(path):
        if line.record is None:
            raise SnapshotError(f"{path} line {line.number}: {'; '.join(line.problems)}: verify the snapshot.")
        label, fields = line.record["model"], line.record["fields"]
        if label not in ranks:
            raise SnapshotError(f"{path} line {line.number}: {label!r} is not a curated model.")
        try:
            key = record_key(label, fields)
            position = (ranks[label], sort_key(key))
            in_order = previous is None or position > previous
        except (KeyError, IndexError, TypeError):
            raise SnapshotError(f"{path} line {line.number}: no readable natural key: verify the snapshot.") from None
        if not in_order:
            raise SnapshotError(f"{path} line {line.number}: out of snapshot order: verify the snapshot.")
        previous = position
        yield position, label, key, fields


def diff_snapshots(old_directory, new_directory):
    """The records added, removed and changed (field by field) from one snapshot to another, by natural key.

    Both fixtures are in snapshot order, so one merging pass over the two streams finds every
    difference without holding either in memory.
    """
    manifests = read_manifest(old_directory), read_manifest(new_directory)
    old_records = _ordered_records(Path(old_directory) / FIXTURE)
    new_records = _ordered_records(Path(new_directory) / FIXTURE)
    changes = []
    old, new = next(old_records, None), next(new_records, None)
    while old is not None or new is not None:
        if new is None or (old is not None and old[0] < new[0]):
            changes.append(Change("removed", old[1], old[2], old[3]))
            old = next(old_records, None)
        elif old is None or new[0] < old[0]:
            changes.append(Change("added", new[1], new[2], new[3]))
            new = next(new_records, None)
        else:
            differing = {
                name: (old[3].get(name), new[3].get(name))
                for name in sorted(set(old[3]) | set(new[3]))
                if old[3].get(name) != new[3].get(name)
            }
            if differing:
                changes.append(Change("changed", new[1], new[2], differing))
            old, new = next(old_records, None), next(new_records, None)

    meta = {}
    if manifests[0].get("app_version") != manifests[1].get("app_version"):
        meta["app_version"] = {"old": manifests[0].get("app_version"), "new": manifests[1].get("app_version")}
    old_migrations = {tuple(m) for m in manifests[0]["migrations"]}
    new_migrations = {tuple(m) for m in manifests[1]["migrations"]}
    if old_migrations != new_migrations:
        meta["migrations"] = {
            "added": [list(m) for m in sorted(new_migrations - old_migrations)],
            "removed": [list(m) for m in sorted(old_migrations - new_migrations)],
        }

    def about(directory, manifest):
        shown = {
            "path": str(directory),
            "exported_at": manifest.get("exported_at"),
            "snapshot_sha256": manifest["snapshot_sha256"],
        }
        if "as_of" in manifest:
            shown["as_of"] = manifest["as_of"]
        return shown

    return DiffResult(
        old=about(old_directory, manifests[0]), new=about(new_directory, manifests[1]), changes=changes, meta=meta
    )


def _shown_pair(old, new, context=30, limit=100):
    """Two values as readable text; long texts are cut to the part that differs."""
    shown = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
    if not (isinstance(old, str) and isinstance(new, str)) or max(map(len, shown)) <= limit:
        return shown
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = max(0, prefix - context)

    def cut(text):
        end = min(len(text), len(text) - suffix + context)
        middle = json.dumps(text[start:end], ensure_ascii=False)
        return f"{'…' if start else ''}{middle}{'…' if end < len(text) else ''} ({len(text)} characters)"

    return cut(old), cut(new)


def _side(side):
    if side.get("instant"):
        return f"the record as of {side['as_of']}" if side.get("as_of") else "the record now"
    shown = f"{side['path']} (exported {side['exported_at']}"
    return shown + (f", as of {side['as_of']})" if side.get("as_of") else ")")


def diff_snapshots_or_instants(old, new, using=DEFAULT_DB_ALIAS):
    """`diff_snapshots` of two sides, each a snapshot folder or a moment (`snapshot export --as-of` WHEN, or `now`).

    An argument naming an existing path is a folder; otherwise it is read as a moment, whose
    records are exported (unsigned) into a temporary folder first. Two moments are read in one
    transaction, so both see the same history.
    """
    from .export import _consistent_read, export_snapshot

    sides = [_moment_or_path(old), _moment_or_path(new)]
    if all(isinstance(side, Path) for side in sides):
        return diff_snapshots(*sides)
    with tempfile.TemporaryDirectory(prefix="snapshot-diff-") as scratch, _consistent_read(using):
        folders = []
        for index, side in enumerate(sides):
            if isinstance(side, Path):
                folders.append(side)
                continue
            folder = Path(scratch) / str(index)
            export_snapshot(folder, unsigned=True, using=using, as_of=None if side == "now" else side)
            folders.append(folder)
        result = diff_snapshots(*folders)
    for side, shown in zip(sides, (result.old, result.new), strict=True):
        if not isinstance(side, Path):
            shown.update(path=None, instant=True)
    return result


def _moment_or_path(argument):
    from .as_of import parse_when

    path = Path(argument)
    if path.exists():
        return path
    if str(argument).strip().lower() == "now":
        return "now"
    try:
        return parse_when(str(argument))
    except SnapshotError:
        raise SnapshotError(f"{argument} does not exist, and is not a date or an instant either.") from None


def render_diff(result):
    """A diff as lines of text for a reader: one line a record, one indented line a changed field."""
    lines = [f"old: {_side(result.old)}", f"new: {_side(result.new)}"]
    if "app_version" in result.meta:
        lines.append(f"app version: {result.meta['app_version']['old']} -> {result.meta['app_version']['new']}")
    for kind in ("added", "removed"):
        for app, name in result.meta.get("migrations", {}).get(kind, []):
            lines.append(f"migration {kind}: {app}.{name}")
    signs = {"added": "+", "removed": "-", "changed": "~"}
    for change in result.changes:
        lines.append(f"{signs[change.kind]} {describe(change.model, change.key)}")
        if change.kind == "changed":
            for name, (old, new) in change.fields.items():
                shown_old, shown_new = _shown_pair(old, new)
                lines.append(f"    {name}: {shown_old} -> {shown_new}")
    verdicts = verdict_changes(result.changes)
    if verdicts:
        lines.append("verdicts:")
        lines.extend(f"    {line}" for line in verdicts)
    summary = result.summary()
    if result.changes:
        lines.append(f"{summary['added']} added, {summary['removed']} removed, {summary['changed']} changed")
    else:
        lines.append("No differences in the curated records.")
    return lines
