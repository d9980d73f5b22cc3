from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from meetings.models import Statement

SEED = settings.BASE_DIR / "fixtures" / "seed.json"


class Command(BaseCommand):
    help = (
        "Load fixtures/seed.json into an empty database. A database that already holds statements "
        "is left alone, so that `make run` never overwrites curators' edits (use loaddata to force)."
    )

    def handle(self, *args, **options):
        if Statement.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("The database already holds data: seed not loaded.")
            return
        call_command("loaddata", str(SEED), verbosity=options["verbosity"])
