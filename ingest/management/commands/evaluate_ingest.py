"""How good the suggestions are, measured on the curated statements (see ingest.evaluation)."""

import json

from django.core.management.base import BaseCommand, CommandError

from ingest.evaluation import evaluate, format_table
from meetings.models import Statement


class Command(BaseCommand):
    help = (
        "Hide each curated statement's commitments in turn, suggest for its text against the rest, and print "
        "span precision and recall, line-of-effort accuracy, recurring-pledge top-1 and top-3 accuracy and "
        "change-kind accuracy per statement and overall. Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--statement", action="append", help="only this statement (slug); repeatable")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        slugs = options["statement"]
        if slugs:
            unknown = sorted(set(slugs) - set(Statement.objects.filter(slug__in=slugs).values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"Unknown statement(s): {', '.join(unknown)}.")
        scores, overall = evaluate(slugs)
        if not scores:
            raise CommandError("No statement has curated commitments to measure against: load the seed first.")
        if options["json"]:
            self.stdout.write(
                json.dumps({"statements": [s.as_dict() for s in scores], "overall": overall.as_dict()}, indent=2)
            )
            return
        self.stdout.write(format_table(scores, overall))
