"""A snapshot folder's files: the manifest (written and read), JSON Lines records read back, digests."""

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

from .records import FIXTURE, FORMAT_1, MANIFEST, READABLE_FORMATS, SnapshotError


def app_version():
    """The tracker's version, as pyproject.toml states it."""
    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["version"]


def applied_migrations(using=DEFAULT_DB_ALIAS):
    """The migrations applied to a database, as sorted [app, name] pairs."""
    return sorted([app, name] for app, name in MigrationRecorder(connections[using]).applied_migrations())


def manifest_digest(manifest):
    """SHA-256 of the manifest's content: every entry but this digest (`snapshot_sha256`) and its signature.

    The content is written as `json.dumps(content, sort_keys=True, ensure_ascii=False)` (Python's
    default separators ", " and ": "), encoded as UTF-8, and hashed. The export time
    (`exported_at`) is content like any other entry. A snapshot of format 1 (FORMAT_1) was sealed
    with its export time left out, and is checked as it was sealed.
    """
    outside = {"snapshot_sha256", "signature"}
    if manifest.get("format") == FORMAT_1:
        outside.add("exported_at")
    content = {k: v for k, v in manifest.items() if k not in outside}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def render_manifest(manifest):
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(directory):
    """A snapshot's manifest; SnapshotError if the folder is missing or is not a snapshot."""
    directory = Path(directory)
    if not directory.exists():
        raise SnapshotError(f"{directory} does not exist.")
    if not directory.is_dir():
        raise SnapshotError(f"{directory} is not a folder: a snapshot is a folder with {MANIFEST} and {FIXTURE}.")
    path = directory / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"{directory} is not a snapshot: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE_FORMATS:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        expected = " or ".join(repr(f) for f in READABLE_FORMATS)
        raise SnapshotError(f"{directory} is not a snapshot of this tracker: format {found!r}, expected {expected}.")
    required = {"counts": dict, "files": dict, "statements": dict, "migrations": list, "snapshot_sha256": str}
    for name, kind in required.items():
        if not isinstance(manifest.get(name), kind):
            raise SnapshotError(f"{path}: '{name}' is missing or is not a {kind.__name__}.")
    if not isinstance(manifest["files"].get(FIXTURE), dict):
        raise SnapshotError(f"{path} does not list {FIXTURE}.")
    return manifest


@dataclass
class Line:
    number: int
    record: dict | None
    problems: list


def read_lines(path):
    """The records of a JSON Lines file with each line's problems; an undecodable byte does not hide the record."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            problems = []
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(f"not UTF-8 text (byte {exc.start})")
                text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                problems.append("empty line")
                yield Line(number, None, problems)
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"not valid JSON ({exc.msg} at column {exc.colno})")
                yield Line(number, None, problems)
                continue
            if not (
                isinstance(record, dict)
                and set(record) == {"model", "fields"}
                and isinstance(record["model"], str)
                and isinstance(record["fields"], dict)
            ):
                problems.append('not a snapshot record ({"model": ..., "fields": {...}} and nothing else)')
                record = None
            yield Line(number, record, problems)


def file_sha256(path):
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
