"""Words as of a date: the concepts of a query found in the texts as they stood then, the one rule the API's
lists (`q` with `as_of`) and the public pages as of a date (search, the matrix, the commitments list) read.

Today's search reads the full-text indexes ingest keeps (`commitments.search`), which hold the present texts
only. As of a date the same concepts (a word, its other spelling, the curated synonyms) are matched on the
historical rows' texts and their line of effort's name then, each word of an alternative at the start of a
word of the text, cut to what it shares with its stem (`search.names_holding`, alike on both databases,
first narrowed by a plain LIKE): a scan of the rows of then, inside the list's own query (the lines of
then a subquery), whatever the history's length.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from core.as_of import standing

from . import search
from .models import Commitment, LineOfEffort, ThreadEntry


def holding_then(concepts, fields: tuple[str, ...], when: datetime.datetime, line_field: str = "") -> Q:
    """A filter on historical rows for those holding every concept of a search (`commitments.search.parse`) in
    one of `fields` as they stood at `when`, or, with `line_field` (their line of effort's key), filed then
    under a line of effort whose name then holds it."""
    held = Q()
    for concept in concepts:
        either = Q()
        for name in fields:
            either |= search.names_holding(concept, name, long=True)
        if line_field:
            named = standing(LineOfEffort, when).filter(search.names_holding(concept)).values("id")
            either |= Q(**{f"{line_field}__in": named})
        held &= either
    return held


def threads_holding_then(concepts, when: datetime.datetime) -> Q:
    """Pledges (historical rows) holding every concept as they stood at `when`: in their title or description,
    their line of effort's name, or the quote or summary of one of their commitments (`Thread.objects.search`)."""
    held = Q()
    for concept in concepts:
        quoted = standing(Commitment, when).filter(holding_then([concept], ("quote", "summary"), when))
        placed = standing(ThreadEntry, when).filter(thread_id=OuterRef("id"), commitment_id__in=quoted.values("id"))
        held &= holding_then([concept], ("title", "description"), when, "line_of_effort_id") | Q(Exists(placed))
    return held


def commitments_matching_then(rows, text: str, when: datetime.datetime):
    """The historical commitment `rows` holding every concept of `text` in their quote, summary or line of
    effort's name as they stood at `when` (an empty text filters nothing; one of stopwords only finds nothing,
    as today's)."""
    if not text.strip():
        return rows
    concepts = search.parse(text)
    if not concepts:
        return rows.none()
    return rows.filter(holding_then(concepts, ("quote", "summary"), when, "line_of_effort_id"))
