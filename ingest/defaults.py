"""Defaults a curator starts from when accepting a suggestion: the actor, the figure's metric, slugs, a summary."""

import re

from django.utils.text import slugify

from commitments.models import Commitment
from core.spans import display_text
from meetings.models import Figure

from .corpus import words_of
from .figures import FigurePlace
from .models import Suggestion

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


_METRICS = (
    (re.compile(r"km2|square|territor", re.IGNORECASE), "territory"),
    (re.compile(r"fighters", re.IGNORECASE), "foreign-fighters"),
    (re.compile(r"freed|liberated", re.IGNORECASE), "people-freed"),
    (re.compile(r"trained|personnel", re.IGNORECASE), "personnel-trained"),
    (re.compile(r"gave their lives|killed|died", re.IGNORECASE), "service-members-killed"),
    (re.compile(r"\bmembers?\b|partners", re.IGNORECASE), "members"),
    (re.compile(r"returned|returns", re.IGNORECASE), "returns"),
    (re.compile(r"terabytes|data|information", re.IGNORECASE), "data"),
)


def guess_metric(text: str, figure: FigurePlace) -> str:
    """The figure metric a number most likely measures, from its unit and the words around it."""
    if figure["unit"] in {"USD", "EUR", "GBP"}:
        return "funds"
    around = text[figure["start"] : min(len(text), figure["end"] + 60)]
    for pattern, metric in _METRICS:
        if pattern.search(figure["unit"]) or pattern.search(around):
            return metric
    return "other"


def _unique_slug(base: str, model: type[Commitment | Figure], max_length: int = 120) -> str:
    base = slugify(base)[: max_length - 4].strip("-") or "item"
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def default_commitment_slug(suggestion: Suggestion) -> str:
    """<statement slug>-<its first words>, unique among commitments."""
    topic = "-".join(words_of(suggestion.quote)[:5])
    return _unique_slug(f"{suggestion.statement.slug}-{topic}", Commitment)


def default_summary(quote: str) -> str:
    """A first summary a curator can shorten: the quote as it reads, within 300 characters."""
    text = display_text(quote)
    return text if len(text) <= 300 else text[:299] + "…"


def default_figure_slug(suggestion: Suggestion) -> str:
    """<statement slug>-fig-<unit>, unique among figures."""
    return _unique_slug(f"{suggestion.statement.slug}-fig-{suggestion.unit or 'figure'}", Figure)


def default_figure_metric(suggestion: Suggestion) -> str:
    """The metric the figure most likely measures, from its unit and the words after it."""
    return guess_metric(
        suggestion.statement.text, {"start": suggestion.start, "end": suggestion.end, "unit": suggestion.unit}
    )
