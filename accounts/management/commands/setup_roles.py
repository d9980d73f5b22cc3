from django.core.management.base import BaseCommand

from accounts.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or update the curators (edit) and auditors (read, history) groups. Idempotent."

    def handle(self, *args, **options):
        counts = ensure_roles()
        if options["verbosity"] >= 1:
            for group, count in counts.items():
                self.stdout.write(f"{group}: {count} permissions")
