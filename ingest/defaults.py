"""Defaults a curator starts from when accepting a suggestion: the actor, the figure's metric, slugs, a summary."""

import re

from commitments.defaults import default_commitment_slug as commitment_slug_from
from core.slugs import unique_slug
from meetings.models import Figure

from .figures import FigurePlace
from .models import Suggestion

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


def default_commitment_slug(suggestion: Suggestion) -> str:
    """<statement slug>-<its first words>, unique among commitments."""
    return commitment_slug_from(suggestion.statement.slug, suggestion.quote)


def default_figure_slug(suggestion: Suggestion) -> str:
    """<statement slug>-fig-<unit>, unique among figures."""
    return unique_slug(f"{suggestion.statement.slug}-fig-{suggestion.unit or 'figure'}", Figure)


def default_figure_metric(suggestion: Suggestion) -> str:
    """The metric the figure most likely measures, from its unit and the words after it."""
    return guess_metric(
        suggestion.statement.text, {"start": suggestion.start, "end": suggestion.end, "unit": suggestion.unit}
    )
