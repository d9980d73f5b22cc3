"""Verify: a snapshot checked against itself (digests, counts, statement texts, quotes, references)."""

import json
import sqlite3
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps

from commitments.rules import PlacedEntry, problems_by_thread
from core.texts import sha256_hex

from .files import file_sha256, manifest_digest, read_lines, read_manifest
from .records import (
    FIXTURE,
    FORMAT_1,
    HISTORY,
    MANIFEST,
    curated_models,
    describe,
    fixture_spec,
    label_of,
    natural_key_lookups,
    record_key,
    reference_fields,
    sort_key,
)
from .signing import check_signature, trusted_keys

# Progress every this many records read, in each pass over the fixture.
PROGRESS_EVERY = 10_000


@dataclass
class VerifyResult:
    directory: Path
    counts: dict
    failures: list
    # How the snapshot's origin was established: "signature", "expected sha256" or "not checked".
    origin: str = "not checked"
    # What the auditor should know though nothing failed: a signature that could not be checked, an older format.
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.failures


def _expected_fields(spec):
    return {name for name, *_ in spec.outputs}


def _quiet(*args):
    pass


def verify_snapshot(directory, *, expect_sha256=None, public_keys=(), check_origin=True, phase=None, progress=None):
    """Check a snapshot: where it comes from, then digests, counts, every statement text, quote and reference.

    A snapshot rewritten and resealed whole checks against itself, so its origin is checked
    first, and either of two checks is enough: its signature by a trusted public key (the
    configured ones and `public_keys`, paths of PEM files), or its digest equal to
    `expect_sha256`, the one an auditor kept apart from the file. A signature by a key that is
    not at hand cannot be checked: with a matching `expect_sha256` that is a note, not a failure;
    a signature that a trusted key disproves (or a malformed one) is a failure whatever else
    holds. Without either check the snapshot is refused, unless the caller says explicitly that
    origin is not checked (`check_origin=False`).

    `phase(text)` is told of each step as it starts, `progress(label, done, total)` of the
    records read every PROGRESS_EVERY. Returns every failure found, each naming the file or
    record and the reason; raises SnapshotError only when the folder is not a snapshot at all,
    or a key file cannot be read.
    """
    phase = phase or _quiet
    progress = progress or _quiet
    directory = Path(directory)
    phase(f"Checking the origin and manifest of {directory}")
    manifest = read_manifest(directory)
    failures, notes = [], []
    origin = _check_origin(manifest, expect_sha256, trusted_keys(public_keys), check_origin, failures, notes)
    if manifest["format"] == FORMAT_1:
        notes.append(
            f"This snapshot is of the previous format ({FORMAT_1}): its export time (exported_at "
            f"{manifest.get('exported_at')}) is not covered by its digest or signature; everything else in it is."
        )
    if manifest_digest(manifest) != manifest["snapshot_sha256"]:
        failures.append(
            f"{MANIFEST}: snapshot_sha256 mismatch (manifest {manifest['snapshot_sha256']}, "
            f"content {manifest_digest(manifest)}): the manifest was edited"
        )
    for name, entry in sorted(manifest["files"].items()):
        if name not in {FIXTURE, HISTORY}:
            failures.append(f"{MANIFEST}: lists {name!r}, which is not a snapshot file")
            continue
        path = directory / name
        if not path.is_file():
            failures.append(f"{name}: missing (the manifest lists it)")
            continue
        phase(f"Checking the digest of {name} ({path.stat().st_size:,} bytes)")
        sha, size = file_sha256(path)
        if sha != entry.get("sha256"):
            failures.append(f"{name}: sha256 mismatch (manifest {entry.get('sha256')}, file {sha})")
        if size != entry.get("bytes"):
            failures.append(f"{name}: size mismatch (manifest {entry.get('bytes')} bytes, file {size})")
    for extra in sorted(p.name for p in directory.iterdir()):
        if extra in {FIXTURE, HISTORY} and extra not in manifest["files"]:
            failures.append(f"{extra}: present but not listed in the manifest")

    counts = {}
    if (directory / FIXTURE).is_file():
        counts = _verify_fixture(directory / FIXTURE, manifest, failures, phase, progress)
    if HISTORY in manifest["files"] and (directory / HISTORY).is_file():
        phase(f"Checking the records of {HISTORY}")
        _verify_history(directory / HISTORY, manifest["files"][HISTORY].get("counts") or {}, failures)
    return VerifyResult(directory=directory, counts=counts, failures=failures, origin=origin, notes=notes)


def _check_origin(manifest, expect_sha256, keys, check_origin, failures, notes):
    """Check the snapshot's origin, adding to `failures` and `notes`; returns how it was established."""
    origin = "not checked"
    digest = manifest_digest(manifest)
    if expect_sha256 is not None:
        if digest != expect_sha256.strip().lower():
            failures.append(
                f"{MANIFEST}: this snapshot's sha256 is {digest}, not the {expect_sha256} "
                "recorded at export: it is not the snapshot that was exported"
            )
        origin = "expected sha256"
    signature = check_signature(manifest, keys)
    if signature.verdict == "valid":
        return "signature"
    if signature.verdict == "invalid":
        if check_origin or expect_sha256 is not None:
            failures.append(f"{MANIFEST}: {signature.problem}")  # a signature disproved fails, whatever else holds
    elif signature.verdict == "untrusted" and (expect_sha256 is not None or not check_origin):
        trusted = ", ".join(sorted(keys)) or "none is configured"
        notes.append(
            f"The signature was not checked: the snapshot is signed with key {signature.key_id}, and no trusted "
            f"key is at hand for it (trusted keys: {trusted}; give the tracker's public key with --public-key, "
            "or configure SNAPSHOT_TRUSTED_KEY_FILES, to check it)."
        )
    elif check_origin and expect_sha256 is None:
        failures.append(
            f"{MANIFEST}: {signature.problem}: check it with the public key of the tracker that exported it "
            "(--public-key), or with the sha256 recorded at export (--expect-sha256)"
        )
    return origin


class _Seen:
    """What the first pass over a fixture met, for the second to check against: every record's natural
    key (references are checked against them) and every statement's text (quotes are checked against
    them), kept in a temporary SQLite file rather than in memory, so that verify (and restore, which
    verifies first) runs in about the same memory at any size. The last few texts read, and the last
    keys found, are kept at hand: a statement's quotes tend to come together.
    """

    RECENT_TEXTS = 8
    # The last keys found, kept at hand too: many records refer to the same few (a statement, a pledge, an
    # assessment's rows one after another), and a lookup in the file costs more than the check it serves.
    FOUND_KEYS = 10_000
    BATCH = 10_000

    def __init__(self):
        self._file = tempfile.NamedTemporaryFile(prefix="snapshot-verify-", suffix=".sqlite3")  # closed by close()
        self._db = sqlite3.connect(self._file.name, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE key (label TEXT, key TEXT, PRIMARY KEY (label, key)) WITHOUT ROWID")
        self._db.execute("CREATE TABLE text (slug TEXT PRIMARY KEY, body TEXT) WITHOUT ROWID")
        # What the threads' rules read: each entry and where its commitment stands in meeting order.
        self._db.execute("CREATE TABLE place (label TEXT, slug TEXT, parent TEXT, rank, PRIMARY KEY (label, slug))")
        self._db.execute("CREATE TABLE entry (thread TEXT, commitment TEXT, position, change_kind TEXT)")
        # The links between pledges (merged into, split from): what `link_problems` reads.
        self._db.execute("CREATE TABLE link (thread TEXT, kind TEXT, other TEXT)")
        self._pending = []
        self._recent = OrderedDict()
        self._found = OrderedDict()

    def close(self):
        self._db.close()
        self._file.close()  # and deleted

    def add_key(self, label, key):
        self._pending.append((label, json.dumps(key)))
        if len(self._pending) >= self.BATCH:
            self._flush()

    def has_key(self, label, key):
        if (label, key) in self._found:
            self._found.move_to_end((label, key))
            return True
        self._flush()
        query = "SELECT 1 FROM key WHERE label = ? AND key = ?"
        found = self._db.execute(query, (label, json.dumps(key))).fetchone() is not None
        if found:
            self._found[(label, key)] = None
            if len(self._found) > self.FOUND_KEYS:
                self._found.popitem(last=False)
        return found

    def add_text(self, slug, text):
        self._db.execute("INSERT OR REPLACE INTO text VALUES (?, ?)", (slug, text))

    def text(self, slug):
        if slug in self._recent:
            self._recent.move_to_end(slug)
            return self._recent[slug]
        row = self._db.execute("SELECT body FROM text WHERE slug = ?", (slug,)).fetchone()
        self._recent[slug] = text = row[0] if row else None
        if len(self._recent) > self.RECENT_TEXTS:
            self._recent.popitem(last=False)
        return text

    def add_place(self, label, fields):
        """Keep what meeting order reads of a meeting, statement or commitment record, and a thread entry."""
        row = {
            "meetings.meeting": lambda f: (f.get("slug"), None, f.get("start_date")),
            "meetings.statement": lambda f: (f.get("slug"), _first(f.get("meeting")), f.get("position")),
            "commitments.commitment": lambda f: (f.get("slug"), _first(f.get("statement")), f.get("start")),
        }.get(label)
        if row is not None:
            self._db.execute("INSERT OR IGNORE INTO place VALUES (?, ?, ?, ?)", (label, *map(_plain, row(fields))))
        elif label == "commitments.threadentry":
            values = (_first(fields.get("thread")), _first(fields.get("commitment")), fields.get("position"))
            self._db.execute(
                "INSERT INTO entry VALUES (?, ?, ?, ?)", (*map(_plain, values), _plain(fields.get("change_kind")))
            )
        elif label == "commitments.pledgelink":
            values = (_first(fields.get("thread")), fields.get("kind"), _first(fields.get("other")))
            self._db.execute("INSERT INTO link VALUES (?, ?, ?)", tuple(map(_plain, values)))

    def link_problems(self):
        """A link from a pledge to itself, a pledge merged twice, or a merged (retired) pledge still holding entries."""
        problems = [
            f"{describe('commitments.pledgelink', (thread, kind, other))}: links a pledge to itself"
            for thread, kind, other in self._db.execute("SELECT * FROM link WHERE thread = other ORDER BY thread")
        ]
        merged = (
            "SELECT thread FROM link WHERE kind = 'merged-into' GROUP BY thread HAVING COUNT(*) > 1 ORDER BY thread"
        )
        problems += [
            f"recurring pledge “{thread}”: merged into more than one pledge" for (thread,) in self._db.execute(merged)
        ]
        holding = (
            "SELECT l.thread, l.other, COUNT(*) FROM link l JOIN entry e ON e.thread = l.thread "
            "WHERE l.kind = 'merged-into' GROUP BY l.thread, l.other ORDER BY l.thread"
        )
        problems += [
            f"recurring pledge “{thread}”: merged into “{other}” but still holds {count} commitment(s)"
            for thread, other, count in self._db.execute(holding)
        ]
        return problems

    def thread_problems(self):
        """Every break of the threads' rules (`commitments.rules`) among the entries kept."""
        rows = self._db.execute(
            "SELECT e.thread, e.commitment, e.position, e.change_kind, m.rank, s.rank, c.rank FROM entry e "
            "LEFT JOIN place c ON c.label = 'commitments.commitment' AND c.slug = e.commitment "
            "LEFT JOIN place s ON s.label = 'meetings.statement' AND s.slug = c.parent "
            "LEFT JOIN place m ON m.label = 'meetings.meeting' AND m.slug = s.parent "
            "ORDER BY e.thread"
        )
        placed = (
            (
                str(thread),
                PlacedEntry(str(commitment), position, change_kind, (str(day or ""), _rank(at), _rank(start))),
            )
            for thread, commitment, position, change_kind, day, at, start in rows
            if isinstance(position, int)  # a malformed entry is reported on its own
        )
        return problems_by_thread(placed)

    def _flush(self):
        if self._pending:
            self._db.executemany("INSERT OR IGNORE INTO key VALUES (?, ?)", self._pending)
            self._pending = []


def _first(value):
    return value[0] if isinstance(value, list) and value else None


def _rank(value):
    return value if isinstance(value, int) else -1  # a missing record is reported on its own


def _plain(value):
    """A field's value as SQLite keeps it: text or a number; anything else (a malformed field) as its text."""
    return value if value is None or isinstance(value, int | str) else json.dumps(value)


def _verify_fixture(path, manifest, failures, phase, progress):
    """Two passes over fixture.jsonl: first the records and statement texts, then quotes and references."""
    seen = _Seen()
    try:
        return _verify_fixture_with(path, manifest, failures, seen, phase, progress)
    finally:
        seen.close()


def _counted(lines, label, total, progress):
    """The lines, telling `progress` every PROGRESS_EVERY, and at the end of a long pass."""
    done = 0
    for line in lines:
        yield line
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(label, done, total)
    if done >= PROGRESS_EVERY and done % PROGRESS_EVERY:
        progress(label, done, total)


def _verify_fixture_with(path, manifest, failures, seen, phase, progress):
    ranks = {label_of(model): rank for rank, model in enumerate(curated_models())}
    counts = dict.fromkeys(ranks, 0)
    statements = {}  # slug: (whether it has a text, the record's sha256 field, the text's digest)
    previous, previous_key = None, None
    total = sum(n for n in manifest["counts"].values() if isinstance(n, int))
    phase(f"Reading the records of {FIXTURE}: fields, order, statement texts (pass 1 of 2)")
    for line in _counted(read_lines(path), f"{FIXTURE} pass 1", total, progress):
        where = f"{FIXTURE} line {line.number}"
        record = line.record
        if record is None:
            failures.extend(f"{where}: {problem}" for problem in line.problems)
            continue
        label, fields = record["model"], record["fields"]
        if label not in ranks:
            failures.append(f"{where}: {label!r} is not a curated model")
            continue
        expected = _expected_fields(fixture_spec(label))
        missing, unknown = sorted(expected - set(fields)), sorted(set(fields) - expected)
        try:
            key = record_key(label, fields)
            name = describe(label, key)
        except (KeyError, IndexError, TypeError):
            failures.append(f"{where}: {label} record without a readable natural key")
            continue
        failures.extend(f"{name} ({where}): {problem}" for problem in line.problems)
        if missing:
            failures.append(f"{name}: missing field(s) {', '.join(missing)}")
        if unknown:
            failures.append(f"{name}: unknown field(s) {', '.join(unknown)}")
        counts[label] += 1
        # Records come sorted by model and natural key: a record there twice follows itself.
        if (label, key) == previous_key:
            failures.append(f"{name}: appears more than once")
        previous_key = (label, key)
        seen.add_key(label, key)
        seen.add_place(label, fields)
        position = (ranks[label], sort_key(key))
        try:
            if previous is not None and position < previous:
                failures.append(f"{name} ({where}): out of snapshot order (by model, then natural key)")
        except TypeError:
            failures.append(f"{name} ({where}): a natural key part has the wrong type")
        previous = position
        if label == "meetings.statement":
            text = fields.get("text")
            has_text = isinstance(text, str) and bool(text)
            if has_text:
                seen.add_text(fields.get("slug"), text)
            statements[fields.get("slug")] = (has_text, fields.get("sha256"), sha256_hex(text) if has_text else None)

    for label in ranks:
        listed = manifest["counts"].get(label, 0)
        if listed != counts[label]:
            failures.append(f"{label}: the manifest counts {listed}, {FIXTURE} holds {counts[label]}")
    for label in sorted(set(manifest["counts"]) - set(ranks)):
        failures.append(f"{MANIFEST}: counts {label!r}, which is not a curated model")

    for slug, (has_text, recorded, digest) in sorted(statements.items(), key=lambda item: str(item[0])):
        name = describe("meetings.statement", (slug,))
        if not has_text:
            failures.append(f"{name}: has no text")
            continue
        if recorded != digest:
            failures.append(f"{name}: text does not match its sha256 (record {recorded}, text {digest})")
        listed = manifest["statements"].get(slug)
        if listed is None:
            failures.append(f"{name}: not among the manifest's statement digests")
        elif listed != digest:
            failures.append(f"{name}: text does not match the manifest's sha256 (manifest {listed}, text {digest})")
    for slug in sorted(set(manifest["statements"]) - set(statements)):
        failures.append(f"{describe('meetings.statement', (slug,))}: in the manifest but missing from {FIXTURE}")

    phase(f"Checking the quotes and references of {FIXTURE} (pass 2 of 2)")
    for line in _counted(read_lines(path), f"{FIXTURE} pass 2", total, progress):
        record = line.record
        if record is None or record["model"] not in ranks:
            continue
        label, fields = record["model"], record["fields"]
        try:
            name = describe(label, record_key(label, fields))
        except (KeyError, IndexError, TypeError):
            continue
        _check_references(name, label, fields, seen, failures)
        if {"statement", "start", "end", "quote"} <= set(fields):
            _check_quote(name, fields, seen, failures)
    phase("Checking the threads' rules (meeting order, the opening entry)")
    failures.extend(seen.thread_problems())
    failures.extend(seen.link_problems())
    return counts


def _check_references(name, label, fields, seen, failures):
    model = apps.get_model(label)
    for field_name, target in reference_fields(label).items():
        value = fields.get(field_name)
        if value is None:
            if field_name in fields and not model._meta.get_field(field_name).null:
                failures.append(f"{name}: {field_name} is empty, but every {label} needs one")
            continue
        if (
            not isinstance(value, list)
            or len(value) != len(natural_key_lookups(target))
            or not all(part is None or isinstance(part, str) for part in value)
        ):
            failures.append(f"{name}: {field_name} is not a {target} natural key: {value!r}")
        elif not seen.has_key(target, tuple(value)):
            failures.append(f"{name}: refers to missing {describe(target, tuple(value))}")


def _check_quote(name, fields, seen, failures):
    statement, start, end, quote = (fields.get(k) for k in ("statement", "start", "end", "quote"))
    if statement is None:
        if quote or start is not None or end is not None:
            failures.append(f"{name}: has a quote but no statement")
        return
    well_formed = isinstance(statement, list) and statement and isinstance(statement[0], str)
    text = seen.text(statement[0]) if well_formed else None
    if text is None:
        return  # a missing or textless statement is reported once, on its own
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(quote, str)):
        if quote or start is not None or end is not None:
            failures.append(f"{name}: the quote's offsets {start!r}-{end!r} are not numbers")
        return
    if not 0 <= start < end <= len(text):
        failures.append(f"{name}: offsets {start}-{end} are outside the statement text (0-{len(text)})")
    elif text[start:end] != quote:
        failures.append(f"{name}: quote is not the statement text at {start}-{end}")


def _verify_history(path, listed_counts, failures):
    known = {label_of(model.history.model) for model in curated_models()}
    counts = dict.fromkeys(known, 0)
    for line in read_lines(path):
        where = f"{HISTORY} line {line.number}"
        failures.extend(f"{where}: {problem}" for problem in line.problems)
        if line.record is None:
            continue
        if line.record["model"] not in known:
            failures.append(f"{where}: {line.record['model']!r} is not a history model of the tracker")
            continue
        counts[line.record["model"]] += 1
    for label in sorted(known | set(listed_counts)):
        if listed_counts.get(label, 0) != counts.get(label, 0):
            failures.append(
                f"{label}: the manifest counts {listed_counts.get(label, 0)}, {HISTORY} holds {counts.get(label, 0)}"
            )
