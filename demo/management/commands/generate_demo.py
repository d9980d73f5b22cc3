import time

from django.core.management.base import BaseCommand, CommandError

from meetings.models import Statement


class Command(BaseCommand):
    help = (
        "Fill an empty database with synthetic data at any size, shaped like the seed (docs/benchmark.md): "
        "meetings, statements, N commitments as exact quotes, recurring pledges (a long tail of them hundreds "
        "of entries long), assessments, figures, participation and history. Needs the development requirements."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, required=True, help="How many commitments to make.")
        parser.add_argument(
            "--seed", type=int, default=1, help="The random seed (1 by default): the same seed gives the same data."
        )

    def handle(self, *args, commitments, seed, **options):
        if commitments < 1:
            raise CommandError("--commitments must be at least 1.")
        if Statement.objects.exists():
            raise CommandError(
                "The database already holds statements: synthetic data goes into an empty database only "
                "(migrate a new one, e.g. DATABASE_URL=sqlite:///var/demo.sqlite3)."
            )
        try:
            from demo.synthetic import generate
        except ImportError as exc:
            raise CommandError(f"generate_demo needs the development requirements ({exc}).") from None
        started = time.perf_counter()

        def progress(done, total):
            if options["verbosity"] >= 1:
                self.stderr.write(f"  commitments: {done:,} of {total:,} ({time.perf_counter() - started:.0f} s)")

        counts = generate(commitments, seed=seed, progress=progress)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Generated in {time.perf_counter() - started:.1f} s:")
            for label, count in counts.items():
                self.stdout.write(f"  {label}: {count:,}")
