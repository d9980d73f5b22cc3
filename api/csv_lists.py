"""`?format=csv` on a list: every matching row as a file a person can open, streamed.

Same filters and order as the JSON list, but not paged: the rows are read in chunks of
CHUNK_ROWS (keyset-friendly `iterator()` reads; a server-side cursor on PostgreSQL) and written
as they are read, so memory stays flat however many rows match. Columns are flat: nested objects
as `meeting.slug`, lists joined with "; " (a commitment's threads as `thread:position:change_kind`),
no JSON inside a cell, and a cell a spreadsheet would run as a formula is written as text.

A document whose rows are inside it is written as those rows: the pledge matrix one row per entry
(`matrix_rows`), a recurring pledge's page one row per step of its timeline (`timeline_rows`).
"""

import csv
from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers

from .renderers import cell

CHUNK_ROWS = 500


class _Line:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def columns_of(serializer):
    """(column name, path into a row document) for each field, nested objects expanded."""
    columns = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer) and not isinstance(field, serializers.ListSerializer):
            columns.extend((f"{name}.{sub}", (name, sub)) for sub in field.fields)
        else:
            columns.append((name, (name,)))
    return columns


def _value(document, path):
    for key in path:
        document = document.get(key) if isinstance(document, dict) else None
    return document


def chunked(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def file_name(request):
    """`commitments-YYYY-MM-DD.csv`: the list's address and today's date."""
    resource = request.path_info.rstrip("/").rsplit("/", 1)[-1].removesuffix(".csv")
    return f"{resource}-{timezone.localdate().isoformat()}.csv"


class CSVListMixin:
    """Viewset mixin: a list asked for as CSV is every matching row, streamed as a dated file."""

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", None) != "csv":
            return super().list(request, *args, **kwargs)
        if self.paginator is not None:
            self.paginator.check_parameters(request)  # ignored in a file, but never wrong unnoticed
        columns = columns_of(self.get_serializer())
        documents = self.csv_documents()  # filters are read now: a bad one is a 400, not a broken file
        line = csv.writer(_Line(), lineterminator="\r\n")

        def lines():
            yield line.writerow([name for name, _ in columns])
            for document in documents:
                yield line.writerow([cell(_value(document, path)) for _, path in columns])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file_name(request)}"'
        return response

    def csv_documents(self):
        """Every matching row as the JSON list writes it, a chunk of instances at a time."""
        queryset = self.filter_queryset(self.get_queryset())
        return in_chunks(queryset, lambda chunk: self.get_serializer(chunk, many=True).data)


def in_chunks(queryset, serialize):
    """The queryset's rows read CHUNK_ROWS at a time, each chunk written by `serialize`."""
    for chunk in chunked(queryset.iterator(chunk_size=CHUNK_ROWS), CHUNK_ROWS):
        yield from serialize(chunk)


def wants_csv(request):
    return getattr(request.accepted_renderer, "format", None) == "csv"


def matrix_rows(document):
    """The pledge matrix as rows: one per entry, with its pledge and meeting as `thread.*` and `meeting.*`."""
    meetings = {meeting["slug"]: meeting for meeting in document["meetings"]}
    return [
        {
            "thread": {"slug": thread["slug"], "title": thread["title"], "line_of_effort": thread["line_of_effort"]},
            "meeting": meetings[meeting],
            **entry,
        }
        for thread in document["threads"]
        for meeting, entries in thread["meetings"].items()
        for entry in entries
    ]


DIFF_MARKS = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}


def diff_text(runs):
    """A word difference as one line of text, as `git diff --word-diff` writes it: [-old-] {+new+}."""
    return " ".join(DIFF_MARKS[run["op"]].format(run["text"]) for run in runs)


def timeline_rows(document):
    """A recurring pledge's page as rows: one per step of its timeline, the word difference as text."""
    return [{"thread": document["slug"], **step, "diff": diff_text(step["diff"])} for step in document["timeline"]]
