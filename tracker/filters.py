"""The filter backend and the filters shared by every API list."""

import django_filters as filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the FilterSet's parameters.

    Building a FilterSet deep-copies its filters and validates a form: about 4 ms on the
    commitments list, more than serializing the page. Without a filter parameter there is
    nothing for it to do. The schema still lists every filter (this is the same backend).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(name in request.query_params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class YearFilter(filters.NumberFilter):
    """A whole year from 1 to 9999 (a date's year): anything else is a 400, not a server error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        super().__init__(*args, min_value=1, max_value=9999, **kwargs)


class StrictBooleanField(forms.Field):
    """true/false (also 1/0); any other value is an error instead of silently no filter."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField
