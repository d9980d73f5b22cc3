"""Pagination with a bounded page size; cursor (keyset) pages where tables grow large."""

from rest_framework import pagination


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
