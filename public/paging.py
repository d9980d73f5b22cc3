"""Pages of a long list, addressed as `?page=N` beside the list's filters, so that a page can be shared."""

from dataclasses import dataclass

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404

from core.pages import counted_slice

from .links import with_query


@dataclass(frozen=True)
class PageLink:
    number: int
    url: str
    current: bool


@dataclass(frozen=True)
class Pager:
    """A page of a list with the links to its neighbours; `links` has None where pages are left out."""

    page: object  # django.core.paginator.Page
    links: list
    previous: str
    next: str
    label: str  # what the pages are pages of, for the navigation's name: "recurring pledges"

    @property
    def first_shown(self):
        return self.page.start_index()

    @property
    def last_shown(self):
        return self.page.end_index()

    @property
    def count(self):
        return self.page.paginator.count

    @property
    def is_paged(self):
        return self.page.paginator.num_pages > 1


class GroupedList:
    """A long list in order, read a page at a time through the sizes of its groups, in the same order.

    `groups` are (key, size) pairs in the list's order; `read(keys, skip, limit)` gives `limit` items
    of those groups in order, from the `skip`-th of the first. A page then costs a query over the few
    groups it spans rather than a sort of the whole list. Sliced by `Paginator` as a list would be.
    """

    def __init__(self, groups, read):
        self.groups = list(groups)
        self.read = read
        self.total = sum(size for _, size in self.groups)

    def __len__(self):
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("A grouped list is read a slice at a time.")
        start, stop, _ = index.indices(self.total)
        if start >= stop:
            return []
        keys, before, skip = [], 0, 0
        for key, size in self.groups:
            if before >= stop:
                break
            if before + size > start and size:
                if not keys:
                    skip = start - before
                keys.append(key)
            before += size
        return self.read(keys, skip, stop - start) if keys else []


def paginate(items, per_page, number, *, url, params, label):
    """The page `number` (from the query string) of `items`, with links that keep `params` (the filters).

    A page that is not a positive whole number, or past the last, is a 404 as in Django's own lists.
    """
    paginator = Paginator(items, per_page, allow_empty_first_page=True)
    try:
        page = paginator.page(number or 1)
    except InvalidPage as exc:
        raise Http404(f"There is no page {number} of {label}: {exc}") from None
    return _pager(page, url=url, params=params, label=label)


def paginate_counted(queryset, per_page, number, *, url, params, label):
    """`paginate()` of a long query's primary keys, never read whole: the page's keys and the count of all
    in one query (`core.pages.counted_slice`, as the API's `counted_page()`). The same pages, links and
    404s as `paginate()` of the whole list gives; a page with no row is page 1 of nothing, or a 404.
    """
    paginator = Paginator([], per_page, allow_empty_first_page=True)
    try:
        asked = int(number or 1)
    except (TypeError, ValueError):
        asked = 0  # not a page number: `validate_number` says so below, as for the whole list
    keys, count = counted_slice(queryset, (asked - 1) * per_page, asked * per_page) if asked > 0 else ([], None)
    # A cached property: with the rows' count, the paginator does not count. With no row, page 1 has
    # nothing to page, and any other is past the end: a 404 either way, whatever the count.
    paginator.count = count or 0
    try:
        page = Page(keys, paginator.validate_number(number or 1), paginator)
    except InvalidPage as exc:
        raise Http404(f"There is no page {number} of {label}: {exc}") from None
    return _pager(page, url=url, params=params, label=label)


def paginate_known(count, per_page, number, read, *, url, params, label):
    """`paginate()` of a list whose length is known already (`count`): only the page's items are read, as
    `read(start, stop)` gives them (0-based, `stop` excluded). The same pages, links and 404s."""
    paginator = Paginator([], per_page, allow_empty_first_page=True)
    paginator.count = count  # a cached property: the paginator does not count
    try:
        number = paginator.validate_number(number or 1)
    except InvalidPage as exc:
        raise Http404(f"There is no page {number} of {label}: {exc}") from None
    start = (number - 1) * per_page
    page = Page(read(start, min(start + per_page, count)), number, paginator)
    return _pager(page, url=url, params=params, label=label)


def _pager(page, *, url, params, label):
    paginator = page.paginator

    def link(n):
        return with_query(url, {**params, "page": n if n > 1 else None})

    around = range(max(1, page.number - 2), min(paginator.num_pages, page.number + 2) + 1)
    numbers = sorted({1, paginator.num_pages, *around})
    links, before = [], 0
    for n in numbers:
        if n > before + 1:
            links.append(None)
        links.append(PageLink(n, link(n), n == page.number))
        before = n
    return Pager(
        page=page,
        links=links,
        previous=link(page.number - 1) if page.has_previous() else "",
        next=link(page.number + 1) if page.has_next() else "",
        label=label,
    )
