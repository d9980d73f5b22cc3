"""Ingest a new statement: store it and suggest its commitments for curators to review."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.texts import MAX_STATEMENT_BYTES, DuplicateStatement, StatementTextError, decode_statement_bytes, sha256_hex
from ingest.services import check_new_statement_text, ingest_statement, suggest_for_statement, suggestions_for_text
from meetings.models import Meeting, Statement, StatementKind

DEFAULT_ISSUER = "Global Coalition to Defeat Daesh/ISIS"


class Command(BaseCommand):
    help = (
        "Store a statement's text (verbatim, SHA-256) at a meeting and suggest its commitments, recurring "
        "pledges and figures for curators to review in the admin. --dry-run --json writes nothing and prints "
        f"the suggestions as one JSON object. Files over {MAX_STATEMENT_BYTES:,} bytes are refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the statement as captured: a UTF-8 .txt file")
        parser.add_argument("--meeting", help="slug of the meeting the statement was issued at")
        parser.add_argument("--dry-run", action="store_true", help="write nothing: print what would be suggested")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--resuggest",
            action="store_true",
            help="the text is already stored: suggest again for it, keeping every curator's decision",
        )
        parser.add_argument("--slug", help="the new statement's slug (default: from the file name)")
        parser.add_argument("--title", help="its title (default: its first line)")
        parser.add_argument("--kind", choices=StatementKind.values, default=StatementKind.STATEMENT)
        parser.add_argument("--issuer", default=DEFAULT_ISSUER, help=f"who issued it (default: {DEFAULT_ISSUER})")
        parser.add_argument("--publisher", default="")
        parser.add_argument("--source-url", default="")

    def handle(self, *args, **options):
        text = self.read(options["file"])
        meeting = self.meeting(options["meeting"])
        if options["dry_run"]:
            return self.dry_run(text, meeting, options)
        if options["resuggest"]:
            return self.resuggest(text, meeting, options)
        if meeting is None:
            raise CommandError("Give --meeting SLUG: the meeting the statement was issued at (or use --dry-run).")
        try:
            check_new_statement_text(text, str(options["file"]))
            result = ingest_statement(
                text=text,
                meeting=meeting,
                slug=options["slug"] or Path(options["file"]).stem.lower(),
                title=options["title"] or first_line(text),
                kind=options["kind"],
                issuer=options["issuer"],
                publisher=options["publisher"],
                source_url=options["source_url"],
                source_file=Path(options["file"]).name[:200],
            )
        except ValidationError as exc:
            raise CommandError(f"{options['file']}: the statement was not stored: {describe(exc)}") from None
        except DuplicateStatement as exc:
            raise CommandError(f"{exc} Use --resuggest to suggest again for it.") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.report(result, options, created=True)

    def read(self, path):
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from None
        try:
            return decode_statement_bytes(data, str(path))
        except StatementTextError as exc:
            raise CommandError(str(exc)) from None

    def meeting(self, slug):
        if slug is None:
            return None
        try:
            return Meeting.objects.get(slug=slug)
        except Meeting.DoesNotExist:
            known = ", ".join(Meeting.objects.in_order().values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown meeting “{slug}”. Known meetings: {known}.") from None

    def dry_run(self, text, meeting, options):
        # A text already stored is seen as its statement: its own commitments hidden, its place in time kept.
        stored = Statement.objects.filter(sha256=sha256_hex(text)).select_related("meeting").first()
        position = None
        if stored is not None and meeting in (None, stored.meeting):
            meeting, position = stored.meeting, stored.position
        result = suggestions_for_text(
            text, meeting=meeting, position=position, exclude_statement=stored.pk if stored else None
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"SHA-256 {result['sha256']}: nothing written (dry run).")
        self.stdout.write(f"{len(result['suggestions'])} suggested commitments, {len(result['figures'])} figures.")
        if options["verbosity"] >= 2:
            for item in result["suggestions"]:
                threads = ", ".join(f"{t['thread']} ({t['score']:.2f}, {t['change_kind']})" for t in item["threads"])
                self.stdout.write(
                    f"- [{item['start']}:{item['end']}] {item['strength']} “{item['cue']}” "
                    f"{item['line_of_effort'] or '(no line)'}; pledges: {threads or '—'}\n"
                    f"  {' '.join(item['quote'].split())}"
                )

    def resuggest(self, text, meeting, options):
        statement = Statement.objects.filter(sha256=sha256_hex(text)).first()
        if statement is None:
            raise CommandError(f"{options['file']}: no stored statement has this text; ingest it without --resuggest.")
        if meeting is not None and statement.meeting_id != meeting.pk:
            raise CommandError(f"{options['file']} is stored as “{statement.slug}” at another meeting.")
        self.report(suggest_for_statement(statement=statement), options, created=False)

    def report(self, result, options, *, created):
        summary = {
            "statement": result.statement.slug,
            "sha256": result.statement.sha256,
            "created": result.created,
            "skipped": result.skipped,
            "replaced": result.replaced,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        if options["verbosity"] >= 1:
            action = "Stored" if created else "Suggested again for"
            self.stdout.write(
                f"{action} “{result.statement.slug}” (SHA-256 {result.statement.sha256[:12]}…): "
                f"{result.created} suggestions to review, {result.skipped} spans already decided not suggested "
                f"again, {result.replaced} undecided suggestions replaced."
            )


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:300]
    return "Statement"


def describe(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
