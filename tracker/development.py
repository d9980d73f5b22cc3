"""What counts as the checkout's local development set-up, decided before the settings load.

manage.py reads this to choose whether DEBUG may come on by itself; the settings read it to
allow the published development key; `ensure_dev_user` reads the settings' answer. Plain
Python, no Django imports: manage.py calls it before Django is set up.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DATABASE_FILE = BASE_DIR / "db.sqlite3"


def is_local_database(database_url):
    """True when DATABASE_URL is unset or names this checkout's own SQLite file, db.sqlite3 beside manage.py."""
    if not database_url:
        return True
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        return False
    # A relative path is opened from the working directory, so it is resolved from there too.
    return Path(database_url[len(prefix) :]).resolve() == LOCAL_DATABASE_FILE.resolve()
