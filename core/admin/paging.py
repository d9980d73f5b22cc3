"""Changelists that cost the same on any page, however long the table: bounded navigation.

Django's changelist counts every row the filters let through (`COUNT(*)`) and reaches page N with
`OFFSET (N - 1) × per page`: both read more rows the longer the table and the deeper the page (a
page at 90 % of 100,000 commitments read 90,000 rows to skip them). Here:

- the count stops at `BoundedPaginator.bound` rows: the list says "more than 1,000", and its page
  numbers reach that far, so no OFFSET goes past the bound;
- past the bound, and from any full page, "Older" reads the next page by key (`?after=<pk>`): the
  rows after the last one shown, in the list's order, through the primary key's index. A page by
  key costs what the first page costs, at any depth, under any filter and search.

Pages by key follow the list's default order, newest first by primary key (what a table this long
is ordered by: any other order sorts the whole table per page). Sorted by a column, a list keeps
its page numbers up to the bound; a filter or a search narrows it below.
"""

from functools import cached_property

from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator

AFTER_VAR = "after"


class BoundedPaginator(Paginator):
    """A paginator that counts at most `bound` rows (one more, to know there are more)."""

    bound = 1_000

    @cached_property
    def count(self):
        return self.object_list[: self.bound + 1].count()

    @property
    def is_bounded(self):
        """Whether there are more rows than were counted."""
        return self.count > self.bound


class BoundedChangeList(ChangeList):
    """A changelist that pages past its paginator's bound by key (`?after=<pk>`), newest first."""

    # The orderings a page by key follows: the primary key's, each way.
    KEY_ORDERINGS = {("-pk",): "pk__lt", ("pk",): "pk__gt"}

    def __init__(self, request, *args, **kwargs):
        after = request.GET.get(AFTER_VAR, "")
        self.after = int(after) if after.isdigit() else None
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        # `after` places the page; it filters nothing the list's filters know of.
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(AFTER_VAR, None)
        return lookup_params

    def get_query_string(self, new_params=None, remove=None):
        # A filter, a search or a sort starts again from the first page.
        if AFTER_VAR not in (new_params or {}):
            remove = [*(remove or []), AFTER_VAR]
        return super().get_query_string(new_params, remove)

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        # The admin appends the primary key to make any ordering total: "-pk" may come twice.
        ordering = tuple(dict.fromkeys({"id": "pk", "-id": "-pk"}.get(str(t), str(t)) for t in queryset.query.order_by))
        self.key_lookup = self.KEY_ORDERINGS.get(ordering)
        if self.after is not None and self.key_lookup:
            queryset = queryset.filter(**{self.key_lookup: self.after})
        return queryset

    def get_results(self, request):
        if self.after is not None:
            self.page_num = 1  # a page by key is the first page of the rows after the key
        super().get_results(request)
        self.by_key = self.after is not None and bool(self.key_lookup)
        self.older_url = None
        if self.key_lookup and self.multi_page and not (self.show_all and self.can_show_all):
            rows = list(self.result_list)  # the page's own query: the template reads these cached rows
            more = self.page_num < self.paginator.num_pages or self.paginator.is_bounded
            if len(rows) == self.list_per_page and more:
                self.older_url = self.get_query_string({AFTER_VAR: rows[-1].pk}, remove=[PAGE_VAR])
        self.first_url = self.get_query_string(remove=[PAGE_VAR]) if self.by_key else None


class BoundedNavigationMixin:
    """For a ModelAdmin: its changelist counts at most a bound and pages past it by key (`BoundedChangeList`).
    The model's `pagination.html` includes "admin/bounded_pagination.html", which shows both."""

    paginator = BoundedPaginator
    # The total is a second count of the whole table on every page.
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList
