from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import AUDITORS, CURATORS, ensure_roles

DEV_USERNAME = "dev"
DEV_PASSWORD = "dev"  # noqa: S105 - a local development account, refused outside local development


class Command(BaseCommand):
    help = (
        "Create the local development superuser dev/dev. Refused anywhere but the local development "
        "set-up: DEBUG on and this checkout's own db.sqlite3."
    )

    def handle(self, *args, **options):
        if not (settings.DEBUG and settings.LOCAL_DEVELOPMENT_DATABASE):
            raise CommandError(
                "The development account dev/dev is only for the local development set-up (DEBUG=1 and this "
                "checkout's own db.sqlite3); it must never exist in a deployment's database."
            )
        ensure_roles()
        user, created = get_user_model().objects.get_or_create(
            username=DEV_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEV_PASSWORD)
            user.save()
        # Both roles, so that a newcomer can try everything: edits, history, snapshots.
        user.groups.add(*Group.objects.filter(name__in=[CURATORS, AUDITORS]))
        if options["verbosity"] >= 1:
            state = "created" if created else "already there"
            self.stdout.write(f"Development login {state}: user {DEV_USERNAME!r}, password {DEV_PASSWORD!r}")
