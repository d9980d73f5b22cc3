"""Who made a batch of changes, and why, for every history row written meanwhile.

simple-history takes the user from the request (its middleware) or from `instance._history_user`,
and the reason from `instance._change_reason`: neither reaches the rows a service saves on its own
(a pledge's entries renumbered by `place_in_thread`). `attributed(user, reason)` names both for
everything saved inside it, whichever code saves it; `record_attribution` (connected by
`CoreConfig.ready`) writes them into each history row that has none of its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar[tuple[Any, str] | None] = ContextVar("attribution", default=None)


@contextmanager
def attributed(user: Any, reason: str) -> Iterator[None]:
    """History rows written inside the block name `user` (a User, or None) and `reason`."""
    token = _current.set((user, reason))
    try:
        yield
    finally:
        _current.reset(token)


def current_attribution() -> tuple[Any, str] | None:
    """(user, reason) of the enclosing `attributed` block, or None: for history rows written in bulk."""
    return _current.get()


def record_attribution(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """Receives simple-history's pre_create_historical_record: the current attribution, if any."""
    current = _current.get()
    if current is None:
        return
    user, reason = current
    if history_instance.history_user_id is None and user is not None:
        history_instance.history_user = user
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = reason[:100]
