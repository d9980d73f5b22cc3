"""Addresses of the public pages, built without a URL resolver walk per link.

A matrix page links a few thousand cells and a statement a hundred commitments; `reverse()` costs
tens of microseconds each. A page's address by slug is its route with the slug put in: the route is
reversed once (per URL configuration and script prefix) with a stand-in slug, and the slug, which
a slug field keeps to letters, digits, hyphens and underscores, is put in its place. And a page's
data in the API (`DataLink`), by URL name only: the pages never import the API's code.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import get_script_prefix, get_urlconf, reverse

from commitments.timeline import TIMELINE_PAGE_SIZE

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_STAND_IN = "slug-stand-in"
_routes = {}


def card_in_pledge(position, commitment, query=""):
    """What follows a pledge page's path to lead to the card of its commitment `commitment` (a slug) at
    `position`: the page of a long pledge's timeline it is on (`?page=N`, `TIMELINE_PAGE_SIZE` positions a
    page; none for the first) and its anchor; `query` ("?as_of=…", or "") kept before the page."""
    number = (position - 1) // TIMELINE_PAGE_SIZE + 1
    if number > 1:
        query = f"{query}&page={number}" if query else f"?page={number}"
    return f"{query}#c-{commitment}"


class Route:
    """The addresses of one kind of page by slug: `Route("public:pledge")(slug)`; with a `query` ("?as_of=…"),
    each address carries it (the links of a past page keep its moment).

    Made once for a list (it reads the request's URL configuration and script prefix), then called
    for each item.
    """

    def __init__(self, name, query=""):
        self.name = name
        self.query = query
        key = ("route", name, get_urlconf(), get_script_prefix())
        parts = _routes.get(key)
        if parts is None:
            parts = _routes[key] = tuple(reverse(name, args=[_STAND_IN]).split(_STAND_IN))
        self.before, self.after = parts

    def __call__(self, slug):
        if not _SLUG.fullmatch(slug):
            # anything but a plain slug: the resolver quotes or refuses it
            return reverse(self.name, args=[slug]) + self.query
        return f"{self.before}{slug}{self.after}{self.query}"


def page_url(name, slug=None):
    """The address of a page by its URL name, and its slug if it has one: `page_url("public:pledge", slug)`."""
    if slug is not None:
        return Route(name)(slug)
    key = ("page", name, get_urlconf(), get_script_prefix())
    url = _routes.get(key)
    if url is None:
        url = _routes[key] = reverse(name)
    return url


def with_query(url, params):
    """The address with the parameters that are set as its query string (in the given order)."""
    query = urlencode([(key, value) for key, value in params.items() if value not in (None, "")])
    return f"{url}?{query}" if query else url


# The CSV links ask for the API's largest page; the next page's address is in the response's Link header.
CSV_PAGE_SIZE = 500


@dataclass
class DataLink:
    """A page's data in the API: the JSON document and, for a list, the same rows as CSV."""

    label: str
    json: str
    csv: str = ""


def api_url(name, *args, **params):
    """The address of an API endpoint by its URL name, with the query parameters that are set."""
    url = reverse(f"api:{name}", args=args)
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


def list_link(label, name, **filters):
    """A link to an API list with filters, as JSON and as CSV."""
    return DataLink(
        label=label,
        json=api_url(name, **filters),
        csv=api_url(name, format="csv", page_size=CSV_PAGE_SIZE, **filters),
    )
