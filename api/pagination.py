"""Pagination with a bounded page size; cursor (keyset) pages where tables grow large."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorPagination(pagination.CursorPagination):
    """Keyset pages: as cheap deep into the table as on its first page, and no COUNT(*)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A well-formed cursor can still carry a position the ordering field cannot hold.
        if cursor is not None and cursor.position is not None and self.ordering[0].lstrip("-") == "id":
            try:
                int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor
