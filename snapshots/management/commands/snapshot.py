import argparse
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from snapshots.as_of import parse_when
from snapshots.diff import diff_snapshots_or_instants, render_diff
from snapshots.export import export_snapshot
from snapshots.records import FIXTURE, SnapshotError
from snapshots.restore import restore_snapshot
from snapshots.signing import generate_key_pair
from snapshots.verify import verify_snapshot


class Command(BaseCommand):
    help = (
        "Auditors' snapshots of the tracker. `export DIR` writes every curated record as a deterministic, "
        "checksummed, signed fixture; `verify DIR` checks its origin, digests, quotes and references; "
        "`diff OLD NEW` lists what changed; `restore DIR` loads a verified snapshot into an empty database, "
        "all or nothing; `keygen PATH` writes the Ed25519 key pair that signs them."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export,verify,diff,restore,keygen}")

        export = actions.add_parser("export", help="Write a signed snapshot into a new or empty folder.")
        export.add_argument("directory", type=Path, help="Folder to create (it must not hold anything).")
        export.add_argument("--with-history", action="store_true", help="Add the change history (history.jsonl).")
        export.add_argument(
            "--as-of",
            metavar="WHEN",
            help="The record as it stood then, from the change history: a date (the end of that day, UTC) or an "
            "ISO instant (UTC unless it has an offset). Refused, writing nothing, before the history's horizon.",
        )
        export.add_argument(
            "--unsigned",
            action="store_true",
            help="Export without a signature (no signing key configured): keep the printed sha256 to check it.",
        )

        verify = actions.add_parser("verify", help="Check a snapshot; exits non-zero naming every failure.")
        verify.add_argument("directory", type=Path)
        origin = [
            (
                ("--expect-sha256",),
                {
                    "metavar": "HEX",
                    "help": "The snapshot sha256 recorded at export (X-Snapshot-SHA256): enough on its own to check "
                    "origin; any other snapshot is refused, signed or not.",
                },
            ),
            (
                ("--public-key",),
                {
                    "metavar": "PEM",
                    "action": "append",
                    "type": Path,
                    "default": [],
                    "dest": "public_keys",
                    "help": "A public key the snapshot may be signed with (besides the configured ones): enough on its "
                    "own to check origin; repeatable.",
                },
            ),
            (
                ("--no-origin-check",),
                {
                    "action": "store_false",
                    "dest": "check_origin",
                    "help": "Accept an unsigned snapshot without its sha256: its origin is then NOT checked.",
                },
            ),
        ]
        for flags, options in origin:
            verify.add_argument(*flags, **options)

        diff = actions.add_parser(
            "diff",
            help="Records added, removed and changed between two snapshots; "
            "exits 0 when the records are the same, 1 when they differ, 2 when either cannot be read.",
        )
        diff.add_argument("old", help="A snapshot folder, or a moment (a date, an ISO instant, or now).")
        diff.add_argument("new", help="A snapshot folder, or a moment (a date, an ISO instant, or now).")
        diff.add_argument("--json", dest="as_json", action="store_true", help="Print the differences as JSON.")

        restore = actions.add_parser("restore", help="Load a verified snapshot, atomically.")
        restore.add_argument("directory", type=Path)
        for flags, options in origin:
            restore.add_argument(*flags, **options)
        restore.add_argument(
            "--replace",
            action="store_true",
            help="Delete the database's curated records first (in the same transaction); "
            "without it, a database that holds any is refused.",
        )
        restore.add_argument(
            "--dry-run", action="store_true", help="Verify and load everything, then roll back: nothing is kept."
        )

        keygen = actions.add_parser("keygen", help="Write a new Ed25519 key pair for signing snapshots.")
        keygen.add_argument("path", type=Path, help="The private key's file (the public key goes beside it, .pub).")

        for sub in (export, verify, diff, restore, keygen):
            # Options after the action word belong to its parser: accept --verbosity there too,
            # without overriding a value given before the action word.
            sub.add_argument(
                "-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=argparse.SUPPRESS, help="0 is quiet."
            )

    def handle(self, *args, action, **options):
        self.verbosity = options["verbosity"]
        try:
            getattr(self, f"handle_{action}")(**options)
        except SnapshotError as exc:
            raise CommandError(str(exc)) from None

    def progress(self, label, done, total):
        """Periodic counts on stderr for long exports, verifies and restores; silent at --verbosity 0."""
        if self.verbosity >= 1:
            self.stderr.write(f"  {label}: {done:,} of {total:,}")

    def phase(self, text):
        """Each step of a verify or restore as it starts, on stderr; silent at --verbosity 0."""
        if self.verbosity >= 1:
            self.stderr.write(f"{text} ...")

    def write_notes(self, notes):
        if self.verbosity >= 1:
            for note in notes:
                self.stdout.write(f"Note: {note}")

    def handle_export(self, *, directory, with_history, unsigned, as_of, **options):
        when = None if as_of is None else parse_when(as_of)
        result = export_snapshot(
            directory, with_history=with_history, unsigned=unsigned, progress=self.progress, as_of=when
        )
        if self.verbosity >= 1:
            manifest = result.manifest
            if "as_of" in manifest:
                self.stdout.write(f"The record as it stood at {manifest['as_of']}, read from the change history.")
            self.stdout.write(
                f"Exported {sum(result.counts.values())} records to {directory} "
                f"(fixture sha256 {manifest['files'][FIXTURE]['sha256']})."
            )
            self.stdout.write(
                f"Snapshot sha256 {manifest['snapshot_sha256']}: keep it, and check the snapshot later with "
                "`snapshot verify DIR --expect-sha256 <it>`."
            )
            if "signature" in manifest:
                self.stdout.write(f"Signed with Ed25519 key {manifest['signature']['key_id']}.")
            else:
                self.stdout.write("Not signed (--unsigned): only its sha256 ties it to this export.")
            for label, count in result.counts.items():
                self.stdout.write(f"  {label}: {count}")
            for name, entry in manifest["files"].items():
                if name != FIXTURE:
                    self.stdout.write(f"  {name}: {entry['records']} records")

    def handle_verify(self, *, directory, expect_sha256, public_keys, check_origin, **options):
        result = verify_snapshot(
            directory,
            expect_sha256=expect_sha256,
            public_keys=public_keys,
            check_origin=check_origin,
            phase=self.phase,
            progress=self.progress,
        )
        if not result.ok:
            lines = "\n".join(f"  - {failure}" for failure in result.failures)
            notes = "".join(f"\nNote: {note}" for note in result.notes)
            raise CommandError(
                f"Snapshot {directory} fails verification ({len(result.failures)} problem(s)):\n{lines}{notes}"
            )
        if self.verbosity >= 1:
            self.stdout.write(
                f"Snapshot {directory} verifies: {sum(result.counts.values())} records, every digest, "
                f"quote and reference checked; origin: {result.origin}."
            )
        self.write_notes(result.notes)

    def handle_diff(self, *, old, new, as_json, **options):
        """Exits as diff(1) does: 0 when the curated records are the same, 1 when they differ, 2 on trouble."""
        try:
            result = diff_snapshots_or_instants(old, new)
        except SnapshotError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False, sort_keys=True))
        else:
            for line in render_diff(result):
                self.stdout.write(line)
        if result.changes:
            self.stdout.flush()
            raise SystemExit(1)

    def handle_restore(self, *, directory, replace, dry_run, expect_sha256, public_keys, check_origin, **options):
        result = restore_snapshot(
            directory,
            replace=replace,
            dry_run=dry_run,
            expect_sha256=expect_sha256,
            public_keys=public_keys,
            check_origin=check_origin,
            progress=self.progress,
            phase=self.phase,
        )
        if self.verbosity >= 1:
            total = sum(result.counts.values())
            if result.deleted:
                self.stdout.write(f"Deleted {sum(result.deleted.values())} curated records first.")
            if dry_run:
                self.stdout.write(f"Dry run: {total} records from {directory} load; nothing was kept.")
            else:
                self.stdout.write(f"Restored {total} records from {directory}.")
            for label, count in result.counts.items():
                self.stdout.write(f"  {label}: {count}")
        self.write_notes(result.notes)

    def handle_keygen(self, *, path, **options):
        private_path, public_path, key_id = generate_key_pair(path)
        if self.verbosity >= 1:
            self.stdout.write(
                f"Wrote the private key {private_path} (keep it secret: set SNAPSHOT_SIGNING_KEY_FILE to it where "
                f"the tracker exports) and the public key {public_path} (give it to auditors). Key id {key_id}."
            )
