from django.conf import settings
from django.core.management.base import BaseCommand

from meetings.models import Statement
from snapshots.seed import SEED_CHANGE_REASON, load_seed

SEED = settings.BASE_DIR / "fixtures" / "seed.json"


class Command(BaseCommand):
    help = (
        "Load fixtures/seed.json into an empty database, each record with a first history entry "
        f"(“{SEED_CHANGE_REASON}”). A database that already holds statements is left alone, so that "
        "`make run` never overwrites curators' edits (use loaddata to force)."
    )

    def handle(self, *args, **options):
        if Statement.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("The database already holds data: seed not loaded.")
            return
        counts = load_seed(SEED, verbosity=options["verbosity"])
        if options["verbosity"] >= 1:
            self.stdout.write(f"Recorded a first history entry for each of the {sum(counts.values())} records.")
