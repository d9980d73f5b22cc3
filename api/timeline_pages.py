"""A recurring pledge's timeline a page at a time in its API answer (`GET /api/v1/threads/{slug}/`).

A pledge whose timeline fits in one page (`TIMELINE_PAGE_SIZE` steps, as on its public page) answers as
it always has: every step, nothing more. A longer one answers with the steps of one page, `timeline_page`
(1 by default), and with what a client pages by: `timeline_count` (every step), `timeline_page`,
`timeline_pages`, and `timeline_next` / `timeline_previous` (the addresses of the pages beside it, with
every other parameter kept, `as_of` among them; null at either end). `commitment_count` stays the count of
all its commitments and `meetings` every meeting it recurs at (a slug each, far smaller than a step). A
page past the last, or not a page number, is a 404. Its CSV is the whole timeline: an export is whole.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import remove_query_param, replace_query_param

from commitments.timeline import TIMELINE_PAGE_SIZE, TimelineStep

from .serializers import ThreadTimelineSerializer, write_timeline

PARAMETER = "timeline_page"

TIMELINE_PAGE_PARAMETER = OpenApiParameter(
    PARAMETER,
    int,
    OpenApiParameter.QUERY,
    description=f"For a pledge of more than {TIMELINE_PAGE_SIZE} commitments, the page of its timeline to answer "
    f"with ({TIMELINE_PAGE_SIZE} steps a page, 1 by default); the answer's `timeline_next` and `timeline_previous` "
    "link the pages beside it. A pledge of one page answers with its whole timeline; a page it does not have is a 404.",
)


# What a client pages a long pledge's timeline by (absent from a pledge of one page).
PAGING_FIELDS = ("timeline_count", "timeline_page", "timeline_pages", "timeline_next", "timeline_previous")


class ThreadTimelinePageSerializer(ThreadTimelineSerializer):
    """A recurring pledge's answer (the schema only: `timeline_document` writes it): ThreadTimelineSerializer's
    fields and, for a timeline longer than a page, those to page it by (absent otherwise)."""

    # Left out of the schema's `required`: a pledge of one page answers without them (`api.schema`).
    OPTIONAL_IN_RESPONSE = PAGING_FIELDS

    timeline_count = serializers.IntegerField(read_only=True, help_text="Steps in the whole timeline.")
    timeline_page = serializers.IntegerField(read_only=True, help_text="The page of the timeline in `timeline`.")
    timeline_pages = serializers.IntegerField(read_only=True, help_text="Pages of the timeline.")
    timeline_next = serializers.URLField(read_only=True, allow_null=True, help_text="The next page, or null.")
    timeline_previous = serializers.URLField(read_only=True, allow_null=True, help_text="The page before, or null.")

    class Meta(ThreadTimelineSerializer.Meta):
        fields = [*ThreadTimelineSerializer.Meta.fields, *PAGING_FIELDS]


def requested_page(request, count):
    """(the page of a timeline of `count` steps that `timeline_page` asks for, 1 when absent or empty; the
    number of pages); a 404 for a page it does not have."""
    text = request.query_params.get(PARAMETER, "")
    pages = max(1, -(-count // TIMELINE_PAGE_SIZE))
    try:
        number = int(text) if text else 1
    except ValueError:
        number = 0
    if not 1 <= number <= pages:
        raise NotFound(
            f"This pledge's timeline has no page {text}: it has {pages} page{'s' * (pages != 1)} "
            f"of {TIMELINE_PAGE_SIZE} steps."
        )
    return number, pages


def timeline_document(request, thread, entries, count, links, meetings):
    """A pledge's answer, a page of its timeline when it is longer than one (see the module).

    `entries` are its timeline's entries in position order, `count` of them (a QuerySet, of which only the
    page and the entry before it are read, or a list); `meetings()` gives the slugs of every meeting it
    recurs at, called only for a pledge of several pages (a short one's are its steps')."""
    number, pages = requested_page(request, count)
    if pages == 1:
        return write_timeline(thread, TimelineStep.chain(list(entries)), links)
    start = (number - 1) * TIMELINE_PAGE_SIZE
    steps = TimelineStep.chain_page(entries, start, min(start + TIMELINE_PAGE_SIZE, count))
    document = write_timeline(thread, steps, links, meetings=meetings(), count=count)
    here = request.build_absolute_uri()

    def link(n):
        if not 1 <= n <= pages:
            return None
        return remove_query_param(here, PARAMETER) if n == 1 else replace_query_param(here, PARAMETER, n)

    document.update(
        timeline_count=count,
        timeline_page=number,
        timeline_pages=pages,
        timeline_next=link(number + 1),
        timeline_previous=link(number - 1),
    )
    return document


def whole_timeline(thread, entries, links):
    """A pledge's whole timeline, however long: for its CSV (an export is whole)."""
    return write_timeline(thread, TimelineStep.chain(list(entries)), links)
