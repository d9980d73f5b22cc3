#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    if "SECRET_KEY" not in os.environ:
        # A checkout with nothing configured is a development checkout: manage.py runs there
        # with DEBUG on. A deployment sets SECRET_KEY (wsgi/asgi refuse to start without it),
        # so this never turns DEBUG on in production.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
