"""Django's PostgreSQL backend, with every wait for the database bounded.

libpq's `connect_timeout` bounds opening a connection, and the server's `statement_timeout` a statement
it is running; neither helps once a database has accepted a connection and then answers nothing (a
frozen server, a host that holds the socket): psycopg would wait for ever, and the gunicorn worker
with it, until gunicorn kills it. Here the client bounds its waits too, and closes a connection that
outlived its bound, so the request fails with an OperationalError, which tracker.health answers 503:

- opening a connection: `connect_timeout` (OPTIONS, seconds), as libpq and psycopg enforce it;
- the check of a kept connection at the start of a request (CONN_MAX_AGE): the same bound, and no
  answer in time fails the request at once instead of waiting for a new connection as long again
  (Django's check of a connection after an error, at the end of a request, has the same bound);
- any other wait (a statement, a commit): `statement_timeout` (OPTIONS, seconds, sent to the server
  as its own `statement_timeout`) plus ANSWER_MARGIN, so that the server's own cancellation of a slow
  statement comes first and the client gives up only on a database that says nothing at all.

0 turns either bound off.
"""

import psycopg
from django.db import OperationalError
from django.db.backends.postgresql import base

# Seconds a client waits beyond the statement timeout: time for the server's cancellation to arrive.
ANSWER_MARGIN = 2


class NoAnswer(psycopg.OperationalError):
    """The database accepted the connection but did not answer within the bound; the connection is closed."""


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after `answer_timeout` seconds (None: never)."""

    answer_timeout = None

    def wait(self, gen, *args, **kwargs):
        # psycopg's own bounded waits (a cancellation, notifies) keep their timeout.
        if self.answer_timeout is None or len(args) > 1 or kwargs.get("timeout") is not None:
            return super().wait(gen, *args, **kwargs)
        kwargs["timeout"] = self.answer_timeout
        try:
            return super().wait(gen, *args, **kwargs)
        # What Connection.wait raises when its timeout expires (its docstring), an OperationalError.
        except psycopg.errors._WaitTimeout:
            # The answer may still come, into a conversation nobody follows any more: never reuse it.
            self.close()
            raise NoAnswer(
                f"the database did not answer within {self.answer_timeout:g} s; the connection was closed"
            ) from None


class _Psycopg:
    """The psycopg module as Django's backend uses it (its errors, its types), connecting with BoundedConnection."""

    connect = BoundedConnection.connect

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()

    def get_connection_params(self):
        params = super().get_connection_params()
        statement_timeout = params.pop("statement_timeout", None)
        if statement_timeout is not None:
            server_option = f"-c statement_timeout={int(statement_timeout) * 1000}"
            params["options"] = f"{params.get('options', '')} {server_option}".strip()
        return params

    @property
    def answer_timeout(self):
        statement_timeout = int(self.settings_dict["OPTIONS"].get("statement_timeout", 0) or 0)
        return statement_timeout + ANSWER_MARGIN if statement_timeout else None

    @property
    def check_timeout(self):
        return int(self.settings_dict["OPTIONS"].get("connect_timeout", 0) or 0) or self.answer_timeout

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.answer_timeout = self.answer_timeout
        return connection

    def is_usable(self):
        """Django's check of a connection after an error, bounded as the check of a kept connection is."""
        if self.connection is None:
            return False
        self.connection.answer_timeout = self.check_timeout
        try:
            return super().is_usable()
        finally:
            self.connection.answer_timeout = self.answer_timeout

    def close_if_health_check_failed(self):
        """Django's check of a kept connection (CONN_MAX_AGE with health checks), bounded by the connect timeout.

        A connection the database broke (it went away, or restarted) is replaced, as Django does; one it
        holds without answering fails the request: a new connection would most likely wait as long again.
        """
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        connection = self.connection
        connection.answer_timeout = self.check_timeout
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except NoAnswer as exc:
            self.close()
            raise OperationalError(str(exc)) from exc
        except psycopg.Error:
            self.close()
        finally:
            connection.answer_timeout = self.answer_timeout
        self.health_check_done = True
