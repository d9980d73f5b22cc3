"""Import a file in the export's own format (CSV or XLSX): print the preview, store all of it or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.import_resources import RESOURCES
from api.imports import ImportResult, import_file


def preview_lines(result: ImportResult, *, all_rows: bool = False) -> list[str]:
    """The preview as lines: each row that creates, changes or is refused (every one with `all_rows`), then counts."""
    lines = [f"{result.filename}: {result.resource or 'unknown resource'} (sha256 {result.sha256[:12]}…)"]
    for number, column, message in result.file_errors:
        lines.append(f"row {number}{f', column {column}' if column else ''}: {message}")
    for row in result.rows:
        if row.action == "unchanged" and not all_rows:
            continue
        lines.append(f"row {row.number} {row.key}: {row.action}")
        lines += [f"    {column}: {shown(old)} → {shown(new)}" for column, old, new in row.changes]
        lines += [f"    {column or 'row'}: {message}" for column, message in row.errors]
    lines.append(result.summary())
    return lines


def shown(value: str, width: int = 70) -> str:
    """A cell as a preview line shows it: quoted, shortened."""
    return f"“{value if len(value) <= width else value[: width - 1] + '…'}”"


class Command(BaseCommand):
    help = (
        "Import commitments, places in pledges (thread entries), assessments with evidence, figures or "
        "participation from a CSV file as `?format=csv` writes it, or the same table as XLSX. Prints each row "
        "that would be created, changed (field by field) or refused; stores all of it or nothing. "
        "Exit status 0 when imported (or a clean dry run), 1 with the errors otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file, as the API's export writes it")
        parser.add_argument("--dry-run", action="store_true", help="print the preview, store nothing")
        parser.add_argument("--user", help="the username the history names as having made the changes")
        parser.add_argument(
            "--resource", choices=sorted(RESOURCES), help="what the file holds (default: read from its header)"
        )
        parser.add_argument("--all", action="store_true", help="list unchanged rows too (as --verbosity 2 does)")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        user = self.user(options["user"])
        result = import_file(
            data, path.name, resource=options["resource"], user=user, dry_run=options["dry_run"], progress=self.progress
        )
        lines = preview_lines(result, all_rows=options["all"] or options["verbosity"] >= 2)
        for line in lines if options["verbosity"] else lines[-1:]:
            self.stdout.write(line)
        if result.errors:
            count = len(result.errors)
            raise CommandError(
                f"Nothing stored: {count} error{'' if count == 1 else 's'}"
                + (", listed above by row and column." if options["verbosity"] else ".")
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing stored.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {path.name}."))

    def user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user “{username}”.") from None

    def progress(self, done, total):
        if total >= 500 and self.verbosity:
            self.stderr.write(f"rows {done:,}/{total:,}")
