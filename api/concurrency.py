"""Optimistic concurrency: no edit silently overwrites another.

A record's page carries its version as an `ETag` (`NaturalKeyModel.version()`, the same version
the admin's change form carries). PUT, PATCH and DELETE must send it back in `If-Match`:

- without it (or with `*`, which names no version): 428 Precondition Required;
- PUT and DELETE, when the record changed in any way since that version: 412 Precondition Failed;
- PATCH, when a field it sends changed since that version: 412. A PATCH writes only the fields it
  sends, so two clients changing different fields of one record both succeed.

The comparison and the write happen in one transaction, with the row locked (PostgreSQL) or the
database's write lock held (SQLite), so no other write can come between them.
"""

import re

from django.db import transaction
from django.http import Http404
from rest_framework.response import Response

from .errors import PreconditionFailed, PreconditionRequired

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag(instance):
    """The `ETag` header value of a record: its version, as a strong entity tag."""
    return f'"{instance.version()}"'


def if_match_versions(request):
    """The versions a write's If-Match names; 428 when it names none."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions, position = [], 0
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None or match.end() == position:
            raise PreconditionFailed('If-Match must be the ETag of the record, e.g. If-Match: "…".')
        if not match.group(1):  # a weak tag never matches a write's precondition (RFC 9110, 13.1.1)
            versions.append(match.group(2))
        position = match.end()
    return versions


def check_unchanged(instance, versions, fields=None):
    """412 unless one of `versions` is the record's version (or, with `fields`, none of those columns changed)."""
    for version in versions:
        changed = instance.changed_since(version)
        if not changed if fields is None else not set(changed) & set(fields):
            return
    if fields is None:
        raise PreconditionFailed()
    changed = sorted(set(fields).intersection(*(instance.changed_since(v) for v in versions)))
    raise PreconditionFailed(
        f"Since the version in If-Match, another change was made to: {', '.join(changed) or 'this record'}. "
        "Read the record again (GET) and retry."
    )


class VersionedMixin:
    """Viewset mixin: ETag on a record's page and on the answer to a change; If-Match required to change or delete."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag(instance)})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        versions = if_match_versions(request)
        with transaction.atomic():
            self.lock(instance)
            if not partial:
                check_unchanged(instance, versions)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            if partial:
                model = type(instance)
                written = [model._meta.get_field(name).attname for name in serializer.validated_data]
                check_unchanged(instance, versions, fields=written)
            serializer.save()
        return Response(serializer.data, headers={"ETag": etag(serializer.instance)})

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        versions = if_match_versions(request)
        with transaction.atomic():
            self.lock(instance)
            check_unchanged(instance, versions)
            self.perform_destroy(instance)
        return Response(status=204)

    @staticmethod
    def lock(instance):
        try:
            instance.refresh_locked()
        except type(instance).DoesNotExist:
            raise Http404("This record was deleted meanwhile.") from None
