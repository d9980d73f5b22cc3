"""`q` on a list as of a date: the words of a query found in the commitments' texts as they stood then.

Today's search reads the full-text indexes ingest keeps (`commitments.search`), which hold the present texts
only. As of a date the same concepts (a word, its other spelling, the curated synonyms) are matched on the
historical rows' quote and summary, and their line of effort's name then, each word of an alternative at the
start of a word of the text (`search.names_holding`, alike on both databases): a scan of the rows of then,
inside the list's one query.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from core.as_of import value_as_of

from . import search
from .models import Commitment


def commitments_matching_then(rows, text: str, when: datetime.datetime):
    """The historical commitment `rows` holding every concept of `text` in their quote, summary or line of
    effort's name as they stood at `when` (an empty text filters nothing; one of stopwords only, everything)."""
    if not text.strip():
        return rows
    concepts = search.parse(text)
    if not concepts:
        return rows.none()
    rows = rows.annotate(line_name_then=value_as_of(Commitment, "line_of_effort__name", when))
    for concept in concepts:
        held = Q()
        for field in ("quote", "summary", "line_name_then"):
            held |= search.names_holding(concept, field)
        rows = rows.filter(held)
    return rows
