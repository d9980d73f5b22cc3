"""Exceptions the domain raises and every layer above understands."""


class ConcurrentChange(Exception):
    """Another write changed the same records first; nothing of this one was saved."""
