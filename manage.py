#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    if "SECRET_KEY" not in os.environ:
        from tracker.development import is_local_database

        # Nothing configured and the checkout's own db.sqlite3: a development checkout, where
        # manage.py runs with DEBUG on and the published development key. Any other database
        # is someone's real data: without SECRET_KEY, stop rather than guess.
        if not is_local_database(os.environ.get("DATABASE_URL")):
            sys.exit(
                "manage.py: SECRET_KEY is not set, and DATABASE_URL names a database other than this "
                "checkout's db.sqlite3.\nThe development settings (DEBUG on, a key published in the "
                "repository) are only for that local file. Set SECRET_KEY, as the deployment does "
                "(docs/deploy.md, Production), to run commands against this database."
            )
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
