"""How good the suggestions are: on the curated statements, or on an annotated corpus (ingest.evaluation)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest.evaluation import (
    CorpusError,
    evaluate,
    evaluate_corpus,
    format_corpus_table,
    format_table,
    load_corpus,
    unknown_pledges,
)
from ingest.evaluation_splits import columns, format_splits
from meetings.models import Statement

EVAL_DIR = settings.BASE_DIR / "fixtures" / "ingest-eval"


class Command(BaseCommand):
    help = (
        "Hide each curated statement's commitments in turn, suggest for its text against the rest, and print "
        "span precision and recall, line-of-effort accuracy, recurring-pledge top-1 and top-3 accuracy and "
        "change-kind accuracy per statement and overall. With --corpus DIR, instead suggest for each "
        "<slug>.txt of DIR as the dry run does and compare with its <slug>.yaml annotation "
        "(fixtures/ingest-eval/README.md). With --splits, print the leave-one-out and the dev, test and holdout "
        "splits side by side (span recall and precision, pledge top-1, participants P/R, progress recall). "
        "Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--statement", action="append", help="only this statement (slug); repeatable")
        parser.add_argument(
            "--corpus",
            metavar="DIR",
            help="measure on the annotated statements of DIR (e.g. fixtures/ingest-eval/dev) instead",
        )
        parser.add_argument(
            "--splits",
            action="store_true",
            help="the seed's leave-one-out and the dev, test and holdout splits side by side (the holdout is "
            "measured, never tuned on)",
        )
        parser.add_argument(
            "--eval-dir", type=Path, default=EVAL_DIR, metavar="DIR", help=f"where the splits are (default {EVAL_DIR})"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        if options["splits"]:
            if options["corpus"] or options["statement"]:
                raise CommandError("--splits measures every set: it cannot be combined with --corpus or --statement.")
            return self.handle_splits(options)
        if options["corpus"]:
            if options["statement"]:
                raise CommandError("--statement is for the curated statements; it cannot be combined with --corpus.")
            return self.handle_corpus(Path(options["corpus"]), options)
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

    def handle_splits(self, options):
        if not Statement.objects.filter(commitments__isnull=False).exists():
            raise CommandError("No statement has curated commitments to measure against: load the seed first.")
        try:
            measured = columns(options["eval_dir"])
        except CorpusError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps({"columns": [c.as_dict() for c in measured]}, ensure_ascii=False, indent=2))
            return
        self.stdout.write(format_splits(measured))

    def handle_corpus(self, directory, options):
        try:
            corpus = load_corpus(directory)
        except CorpusError as error:
            raise CommandError(str(error)) from None
        unknown = unknown_pledges(corpus)
        if unknown:
            named = "; ".join(f"{slug}: {', '.join(pledges)}" for slug, pledges in unknown.items())
            raise CommandError(f"'continues' names pledges that are not stored (load the seed first?): {named}.")
        report = evaluate_corpus(corpus)
        if options["json"]:
            self.stdout.write(json.dumps({"corpus": str(directory), **report.as_dict()}, ensure_ascii=False, indent=2))
            return
        self.stdout.write(format_corpus_table(report))
