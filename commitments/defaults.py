"""What a curator starts from for a new commitment: a slug from its quote, the actor, a first summary.

The admin's "New commitment from selection" and the ingest's suggestions both start from these.
"""

import re

from core.slugs import unique_slug
from core.spans import display_text
from core.words import words_of

from .models import Commitment

_ACTOR_PHRASE = re.compile(
    r"\b(?:the\s+|all\s+|our\s+)?(?:[A-Z][\w’'-]*\s+){0,4}"
    r"(?:Coalition|Ministers|Directors|members|partners|community|governments|Group|Co-leads|Leaders)\b"
)


def guess_actor(text: str, start: int, end: int, speaker: str) -> str:
    """Who commits in a span: its first actor phrase ("The Ministers"), else the statement's speaker for "we"."""
    span = text[start:end]
    match = _ACTOR_PHRASE.search(span)
    first_we = re.search(r"\b(?:we|our)\b", span, re.IGNORECASE)
    if match and not (first_we and first_we.start() < match.start()):
        phrase = " ".join(match.group().split())
        return phrase[0].lower() + phrase[1:] if phrase.lower().startswith("the ") else phrase
    return speaker


def default_commitment_slug(statement_slug: str, quote: str) -> str:
    """<statement slug>-<the quote's first content words>, unique among commitments."""
    topic = "-".join(words_of(quote)[:5])
    return unique_slug(f"{statement_slug}-{topic}", Commitment)


def default_summary(quote: str) -> str:
    """A first summary a curator can shorten: the quote as it reads, within 300 characters."""
    text = display_text(quote)
    return text if len(text) <= 300 else text[:299] + "…"
