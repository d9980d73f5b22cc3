"""Django's PostgreSQL backend with every wait for the database bounded (base.py); settings.ENGINE names it."""
