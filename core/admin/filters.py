"""Admin list filters that stay small however much data there is."""

from django.contrib import admin
from django.contrib.admin.utils import get_model_from_relation
from django.db.models import Q


class BoundedRelatedFilter(admin.RelatedFieldListFilter):
    """A filter by a related record that lists the records while they are few, and searches them when many.

    Listing every meeting or every recurring pledge costs a link each on every page view and grows
    with the data (some 4,000 pledges beside 100,000 commitments). Past `MAX_LISTED` the filter is a
    search box instead, matching the related record's slug and its name or title.
    """

    MAX_LISTED = 30
    template = "meetings/admin/bounded_filter.html"
    TEXT_FIELDS = ("slug", "name", "title")

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.search_kwarg = f"{field_path}__q"
        self.related_model = get_model_from_relation(field)
        super().__init__(field, request, params, model, model_admin, field_path)
        # Consumed here, not a lookup: the words are matched against the related record's names.
        value = self.used_parameters.pop(self.search_kwarg, None) or [""]
        self.search_value = (value[-1] if isinstance(value, list) else value).strip()

    def expected_parameters(self):
        return [*super().expected_parameters(), self.search_kwarg]

    def field_choices(self, field, request, model_admin):
        # One query either way: at most one more record than may be listed.
        ordering = self.field_admin_ordering(field, request, model_admin)
        records = self.related_model._default_manager.all()
        records = list((records.order_by(*ordering) if ordering else records)[: self.MAX_LISTED + 1])
        self.searching = len(records) > self.MAX_LISTED
        target = field.target_field.attname
        return [] if self.searching else [(getattr(record, target), str(record)) for record in records]

    def has_output(self):
        return self.searching or super().has_output()

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        if not self.search_value:
            return queryset
        names = [f.name for f in self.related_model._meta.fields if f.name in self.TEXT_FIELDS]
        matches = Q()
        for name in names:
            matches |= Q(**{f"{self.field_path}__{name}__icontains": self.search_value})
        # Through a subquery, so that a commitment in two matching pledges is listed once.
        related = queryset.model._default_manager.filter(matches).values("pk")
        return queryset.filter(pk__in=related)

    def choices(self, changelist):
        if not self.searching:
            yield from super().choices(changelist)
            return
        keep = {
            name: values
            for name, values in changelist.params.items()
            if name not in {self.search_kwarg, self.lookup_kwarg, "p"}
        }
        yield {
            "search": True,
            "name": self.search_kwarg,
            "value": self.search_value,
            "hidden": [
                (name, value)
                for name, values in keep.items()
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear": changelist.get_query_string(remove=[self.search_kwarg, self.lookup_kwarg]),
            "selected": bool(self.search_value),
        }
