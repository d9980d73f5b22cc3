"""`?as_of=WHEN` on the API's reads: the moment asked for, the parameter in the schema, the past answer's headers.

A read that takes `as_of` (a viewset lists its actions in `as_of_actions`) answers with the record as it
stood then, in the same shape as today's, marked as a past state by its headers (RFC 7089, Memento):
`Memento-Datetime` (the moment), `Link: <today's address>; rel="original"`, and a weak `ETag`
(a past state is no version a change could be made from). A bad value is a 400 saying why; anywhere
else `as_of` is refused (`core.when.AsOfMiddleware`).
"""

from django.http import Http404
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from core import when as moments
from core.as_of import history_begins

AS_OF_PARAMETER = OpenApiParameter(
    moments.PARAMETER,
    str,
    OpenApiParameter.QUERY,
    description=moments.HELP
    + " The answer is the record as it stood then, in the same shape; its Memento-Datetime header says when, "
    'and Link: <…>; rel="original" gives today\'s address. 404 if it was not in the record then.',
)


def requested_moment(request):
    """The moment `as_of` names (UTC), None when it is absent or empty; a 400 saying why when it is bad."""
    text = request.query_params.get(moments.PARAMETER, "")
    if not text:
        return None
    try:
        return moments.parse_when(text)
    except moments.BadMoment as exc:
        raise ValidationError({moments.PARAMETER: [str(exc)]}) from None


def past_headers(request, moment):
    """The headers marking an answer as the record as it stood at `moment`."""
    today = request.query_params.copy()
    del today[moments.PARAMETER]
    original = request.build_absolute_uri(request.path + (f"?{today.urlencode()}" if today else ""))
    return {
        "Memento-Datetime": http_date(moment.timestamp()),
        "Link": f'<{original}>; rel="original"',
        "ETag": f'W/"as-of-{moments.stamp(moment)}"',
    }


def not_found(what, model, moment, *, by="slug", key=None):
    """The 404 for a record not in the record at `moment`, saying so, or that the history begins later; `by` names
    what addressed it (and `key`, when given, its value)."""
    begins = history_begins(model)
    if begins is None or moment < begins:
        since = f"begins on {moments.label(begins)}" if begins else "holds nothing yet"
        return Http404(f"The change history {since}: no {what} can be shown as of {moments.label(moment)}.")
    named = f"the {by} “{key}”" if key is not None else f"this {by}"
    return Http404(f"No {what} with {named} as of {moments.label(moment)}.")


class ReadsAsOf:
    """An APIView that reads `as_of` on its GET (`core.when.reads_as_of` on the view `as_view()` makes)."""

    @classmethod
    def as_view(cls, **initkwargs):
        return moments.reads_as_of(super().as_view(**initkwargs))  # type: ignore[misc]


def with_past_headers(response, request, moment):
    """`response` marked as the record as it stood at `moment` (`past_headers`), or as it is when `moment` is None."""
    if moment is not None:
        for name, value in past_headers(request, moment).items():
            response[name] = value
    return response
