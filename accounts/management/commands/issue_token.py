from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import DashboardToken


class Command(BaseCommand):
    help = (
        "Issue an API token for a named dashboard, acting with a user's rights: read-only unless "
        "--read-write, expiring after --days. Prints the key once; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the dashboard or client that will use the token")
        parser.add_argument("--user", required=True, help="username whose rights the token carries")
        parser.add_argument("--days", type=int, default=90, help="days until it expires (default 90)")
        parser.add_argument("--read-write", action="store_true", help="allow writes (default: read-only)")

    def handle(self, *args, name, user, days, read_write, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if not name.strip():
            raise CommandError("Give the dashboard a name.")
        try:
            owner = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        if not owner.is_active:
            raise CommandError(f"User {user!r} is inactive: a token of theirs would be refused.")
        token, key = DashboardToken.objects.issue(name=name.strip(), user=owner, days=days, read_only=not read_write)
        # The key alone on stdout, so that a script can capture it; the rest is for the person.
        self.stdout.write(key)
        if options["verbosity"] >= 1:
            rights = "read-only" if token.read_only else "read-write"
            self.stderr.write(
                f"Token {token} for {name!r}: {rights}, as {owner.get_username()!r}, expires "
                f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Copy the key now: it is not shown again."
            )
