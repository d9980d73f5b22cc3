"""The public pages as of a date (`?as_of=WHEN`): the moment asked for, the past-state banner, the dated link.

A page that reads `as_of` (marked `core.when.reads_as_of`) shows the record as it stood then, opens
with a banner saying so, with a link to today's page, and cites its dated address. Today's page
offers, in its "How to cite", the dated link to the record as it stands now, which keeps saying
what the page said when it was cited. A bad value is a 400 page saying why.
"""

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone

from core import when as moments
from core.as_of import history_begins


@dataclass(frozen=True)
class PastState:
    """What a past page says of itself: the moment it shows, said and stamped, and today's address."""

    moment: object
    label: str
    stamp: str
    today_url: str

    @property
    def query(self) -> str:
        """The query string that keeps a link at the same moment: `?as_of=…`, for a link inside the past page."""
        return f"?{urlencode({moments.PARAMETER: self.stamp})}"


def with_past(past_view):
    """Make a page read `as_of` (marked `core.when.reads_as_of`): with a moment, `past_view(request, [slug,]
    moment=moment)` answers it; a bad value is a 400 page saying why; without one, the page itself, today's."""

    def decorate(view):
        @functools.wraps(view)
        def page(request, *args, **kwargs):
            moment, bad = requested_moment(request)
            if bad:
                return refused(request, bad)
            if moment:
                return past_view(request, *args, moment=moment, **kwargs)
            return view(request, *args, **kwargs)

        return moments.reads_as_of(page)

    return decorate


def requested_moment(request):
    """(the moment `as_of` names or None when absent or empty, the reason it is bad or None)."""
    text = request.GET.get(moments.PARAMETER, "")
    if not text:
        return None, None
    try:
        return moments.parse_when(text), None
    except moments.BadMoment as exc:
        return None, str(exc)


def past_state(request, moment):
    """The banner's facts for a page shown as it stood at `moment`."""
    today = request.GET.copy()
    del today[moments.PARAMETER]
    today_url = request.path + (f"?{today.urlencode()}" if today else "")
    return PastState(moment=moment, label=moments.label(moment), stamp=moments.stamp(moment), today_url=today_url)


def dated_link(request):
    """This page's absolute address as of now, to the second: what a citation of it should link."""
    query = request.GET.copy()
    query[moments.PARAMETER] = moments.stamp(timezone.now())
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def refused(request, reason):
    """The 400 page for an `as_of` value that names no moment the record can be shown at."""
    today = request.GET.copy()
    del today[moments.PARAMETER]
    today_url = request.path + (f"?{today.urlencode()}" if today else "")
    return render(request, "public/as_of_refused.html", {"reason": reason, "today_url": today_url}, status=400)


def absent(request, what, model, moment):
    """The 404 page for a record that was not in the record (or not published) at `moment`; when the moment is
    before the change history of such records begins, it says that instead (the record may have existed)."""
    state = past_state(request, moment)
    begins = history_begins(model)
    before = begins is None or moment < begins
    context = {"what": what, "past": state, "before_history": before, "begins": begins and moments.label(begins)}
    return render(request, "public/as_of_absent.html", context, status=404)
