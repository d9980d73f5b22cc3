"""`manage.py webhooks add URL --resources … --actions … --secret …`, `list`, `remove NAME`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from changes.models import Receiver, new_secret
from changes.webhooks import Refused, check_host


class Command(BaseCommand):
    help = "Register, list or remove webhook receivers."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        add = commands.add_parser("add", help="Register a receiver; prints its secret once.")
        add.add_argument("url")
        add.add_argument("--name", default="")
        add.add_argument("--resources", default="", help="Comma-separated resources; all when left out.")
        add.add_argument("--events", "--actions", dest="actions", default="", help="created,updated,deleted,reset")
        add.add_argument("--secret", default="", help="A secret of your own; a random one when left out.")
        commands.add_parser("list", help="The receivers.")
        remove = commands.add_parser("remove", help="Remove a receiver and its log.")
        remove.add_argument("name")

    def handle(self, *args, command, **options):
        getattr(self, f"do_{command}")(**options)

    def do_add(self, url, name, resources, actions, secret, **options):
        try:
            check_host(url)
        except Refused as exc:
            raise CommandError(str(exc)) from None
        receiver = Receiver(
            name=name or url, url=url, resources=resources, actions=actions, secret=secret or new_secret()
        )
        try:
            receiver.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        receiver.save()
        self.stdout.write(f"Receiver {receiver.name} added. Secret (shown once): {receiver.secret}")

    def do_list(self, **options):
        for receiver in Receiver.objects.all():
            state = "active" if receiver.active else "inactive"
            self.stdout.write(
                f"{receiver.name}\t{receiver.url}\t{receiver.resources or '*'}\t{receiver.actions or '*'}\t{state}"
            )

    def do_remove(self, name, **options):
        deleted, _ = Receiver.objects.filter(name=name).delete()
        if not deleted:
            raise CommandError(f"No receiver is named {name}.")
        self.stdout.write(f"Receiver {name} removed.")
