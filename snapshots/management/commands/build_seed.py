from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from snapshots.seed import SeedError, build_seed, count_by_model, render_fixture

DEFAULT_CURATION = settings.BASE_DIR / "fixtures" / "curation"
DEFAULT_OUTPUT = settings.BASE_DIR / "fixtures" / "seed.json"


class Command(BaseCommand):
    help = (
        "Build fixtures/seed.json from the curation files and the verbatim source statements: "
        "find every quote's offsets, compute SHA-256 digests and thread positions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--curation", type=Path, default=DEFAULT_CURATION, help="Folder of curation YAML files.")
        parser.add_argument("--sources", type=Path, default=settings.SOURCES_DIR, help="Folder of source texts.")
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Fixture file to write.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the fixture on disk is not what would be built.",
        )

    def handle(self, *args, curation, sources, output, check, **options):
        if not sources.is_dir():
            raise CommandError(f"Source folder {sources} does not exist (set TRACKER_SOURCES_DIR or --sources).")
        try:
            records = build_seed(curation, sources)
        except SeedError as exc:
            raise CommandError(f"{len(exc.problems)} problem(s) in the curation files:\n" + str(exc)) from None
        data = render_fixture(records)
        counts = count_by_model(records)
        if check:
            if not output.exists() or output.read_bytes() != data:
                raise CommandError(f"{output} is out of date: run `python manage.py build_seed`.")
            self.stdout.write(f"{output} is up to date.")
            return
        output.write_bytes(data)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Wrote {output} ({len(records)} records).")
            for model, count in counts.items():
                self.stdout.write(f"  {model}: {count}")
