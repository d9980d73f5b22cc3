"""`manage.py run_webhooks`: the worker that drains the webhooks' outbox (`make worker`)."""

import time

from django.core.management.base import BaseCommand

from changes.webhooks import drain


class Command(BaseCommand):
    help = "Send the pending webhook deliveries, retrying failures with back-off; runs until stopped (or --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due now, then stop.")
        parser.add_argument("--max", type=int, default=None, help="Stop after this many attempts.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between looks at the outbox.")

    def handle(self, *args, once=False, max=None, interval=2.0, **options):
        attempted = 0
        while True:
            limit = 100 if max is None else min(100, max - attempted)
            done = drain(limit=limit) if limit > 0 else 0
            attempted += done
            if once or (max is not None and attempted >= max):
                break
            if not done:
                time.sleep(interval)
        self.stdout.write(f"{attempted} delivery attempt(s).")
