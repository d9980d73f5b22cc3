"""Pagination with a bounded page size; cursor (keyset) pages where tables grow large.

A page size, page number or cursor the API cannot use is a 400 naming the parameter, never
silently replaced by a default or answered as a missing page.
"""

import base64
import binascii
import re
from urllib.parse import parse_qs

from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from core.pages import counted_slice

# What the API writes in a cursor: base64 of a query string of o (offset), r (reverse), p (position).
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_CURSOR_TOKENS = {"o", "r", "p"}


class BoundedPageSize:
    """`page_size`: a whole number from 1 to max_page_size, or a 400."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if not value:  # absent or empty: the default, as for every parameter left empty
            return self.page_size
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}, code="invalid"
            )
        return int(value)

    def bounded(self, parameters):
        """The schema's page_size parameter with its bounds."""
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class PageNumberPagination(BoundedPageSize, pagination.PageNumberPagination):
    page_size = 50

    def paginate_queryset(self, queryset, request, view=None):
        self.check_parameters(request)
        return super().paginate_queryset(queryset, request, view)

    def counted_page(self, queryset, request):
        """`paginate_queryset()` in one query (`core.pages.counted_slice`): the page's rows (LIMIT and OFFSET),
        each with the count of all, so the rows chosen are found once, not once to count and again to slice.
        The count alone costs a second query only where the page has no row (past the end, or nothing
        to page) or is asked as the last. Returns (the page's rows, the count); `get_next_link()` and
        `get_previous_link()` then work as after `paginate_queryset()`."""
        self.check_parameters(request)
        self.request = request
        size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, size)
        number = request.query_params.get(self.page_query_param) or 1
        rows, count = [], None
        if number not in self.last_page_strings:
            first = (int(number) - 1) * size
            rows, count = counted_slice(queryset, first, first + size)
        # A cached property: with the rows' count, the paginator does not count again.
        paginator.count = queryset.count() if count is None else count
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        if not rows and paginator.count:  # the last page, asked as such
            rows = list(self.page.object_list)
        return rows, paginator.count

    def check_parameters(self, request):
        """400 for a page size or page number the API cannot use, paged or not (a CSV file is not)."""
        self.get_page_size(request)
        number = request.query_params.get(self.page_query_param)
        if number and number not in self.last_page_strings:
            if not number.isascii() or not number.isdigit() or not 1 <= int(number) <= 999_999_999:
                raise ValidationError({self.page_query_param: ["A page number from 1."]}, code="invalid")

    def get_schema_operation_parameters(self, view):
        parameters = self.bounded(super().get_schema_operation_parameters(view))
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1, maximum=999_999_999)
        return parameters


class CursorPagination(BoundedPageSize, pagination.CursorPagination):
    """Keyset pages: as cheap deep into the table as on its first page, and no COUNT(*)."""

    page_size = 100
    ordering = "id"
    invalid_cursor_message = "This cursor is not one the API gave: follow the `next` and `previous` links."

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded and not self.well_formed(encoded):
            # DRF reads what base64 it finds and ignores the rest: `%%%` or `!!` would be the first page.
            raise self.invalid()
        try:
            cursor = super().decode_cursor(request)
        except pagination.NotFound:
            raise self.invalid() from None
        # A well-formed cursor can still carry a position the ordering field cannot hold.
        ordering = (self.ordering,) if isinstance(self.ordering, str) else self.ordering
        if cursor is not None and cursor.position is not None and ordering[0].lstrip("-") == "id":
            try:
                position = int(cursor.position)
            except ValueError:
                raise self.invalid() from None
            if not 0 <= position < 2**63:
                raise self.invalid()
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise self.invalid()
        return cursor

    @staticmethod
    def well_formed(encoded):
        """Whether `encoded` is a cursor as the API writes them: padded base64 of o, r and p, each at most once."""
        if not _BASE64.fullmatch(encoded):
            return False
        try:
            text = base64.b64decode(encoded, validate=True).decode("ascii")
            tokens = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return set(tokens) <= _CURSOR_TOKENS and all(len(values) == 1 for values in tokens.values())

    def check_parameters(self, request):
        """400 for a page size or cursor the API cannot use, paged or not (a CSV file is not)."""
        self.get_page_size(request)
        self.decode_cursor(request)

    def invalid(self):
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid")

    def get_schema_operation_parameters(self, view):
        return self.bounded(super().get_schema_operation_parameters(view))
