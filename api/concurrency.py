"""Optimistic concurrency: no edit silently overwrites another.

A record's page carries its version as an `ETag` (`NaturalKeyModel.version()`, the same version
the admin's change form carries). It covers what the page shows: the record's columns and, for a
recurring pledge, its entries; for a commitment, its assessments and places in pledges. PUT, PATCH
and DELETE must send it back in `If-Match`:

- without it (or with `*`, which names no version): 428 Precondition Required; not an entity tag: 400;
- only weak tags (`W/"…"`), even of the current version: 412, saying so (If-Match compares strongly,
  RFC 9110, 13.1.1); a tag that is no version of this record: 412, saying so;
- PUT and DELETE, when the record changed in any way since that version: 412 Precondition Failed;
- PATCH, when a field it sends changed since that version, or the rows shown with it (a pledge's
  entries, a commitment's assessments or places): 412. A PATCH writes only the fields it sends, so
  two clients changing different fields of one record both succeed.

The comparison and the write happen in one transaction, with the row locked (PostgreSQL) or the
database's write lock held (SQLite), so no other write can come between them.
"""

import re

from django.db import transaction
from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .errors import PreconditionFailed, PreconditionRequired

# One or more entity tags (RFC 9110), comma-separated; the schema states the same pattern.
ENTITY_TAGS = r'(W/)?"[!#-~]*"(, ?(W/)?"[!#-~]*")*'
_TAG = re.compile(r'(W/)?"([!#-~]*)"')


def etag(instance):
    """The `ETag` header value of a record: its version, as a strong entity tag."""
    return f'"{instance.version()}"'


WEAK_ONLY = (
    'If-Match holds only weak entity tags (W/"…"), and a change needs the record\'s own, strong one '
    '(RFC 9110, 13.1.1): send the ETag exactly as a GET gave it, e.g. If-Match: "…".'
)
UNKNOWN_VERSION = "If-Match names no version of this record: send the ETag a GET of it gave, as given."


def if_match_versions(request):
    """The versions a write's strong If-Match tags name (none when all are weak); 428 without any tag."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    if not re.fullmatch(ENTITY_TAGS, header):
        raise ValidationError({"If-Match": ['Not an entity tag: send the ETag as given, e.g. If-Match: "…".']})
    # A weak tag never matches a change's precondition (RFC 9110, 13.1.1), even one of the current
    # version; check_unchanged() says so, after the body is read (a 400 comes first).
    return [match.group(2) for match in _TAG.finditer(header) if not match.group(1)]


def check_unchanged(instance, versions, fields=None):
    """412 unless one of `versions` is the record's version (or, with `fields`, none of those columns changed).

    The rows the record's page shows with it (`VERSIONED_CHILDREN`: a pledge's entries) are watched by
    every write: a PATCH made from a read that showed other entries is refused, whatever it sends.
    The 412 names the fields changed since the version sent only when it is a version of this record;
    with no versions (If-Match held only weak tags), it says that a strong one is needed.
    """
    if not versions:
        raise PreconditionFailed(WEAK_ONLY)
    current = etag(instance).strip('"')  # the version the record's ETag names
    if current in versions:
        return
    versions = [version for version in versions if len(version) == len(current)]
    if not versions:
        raise PreconditionFailed(UNKNOWN_VERSION)
    watched = None if fields is None else {*fields, *instance.VERSIONED_CHILDREN}
    for version in versions:
        changed = set(instance.changed_since(version))
        if not (changed if watched is None else changed & watched):
            return
    if watched is None:
        raise PreconditionFailed()
    changed = sorted(watched.intersection(*(instance.changed_since(v) for v in versions)))
    raise PreconditionFailed(
        f"Since the version in If-Match, another change was made to: {', '.join(changed) or 'this record'}. "
        "Read the record again (GET) and retry."
    )


class VersionedMixin:
    """Viewset mixin: ETag on a record's page and on the answer to a change; If-Match required to change or delete."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag(instance)})

    def create(self, request, *args, **kwargs):
        # One transaction: the record, its history row and its change in the feed (with the webhooks'
        # outbox) are committed together or not at all (changes.recording).
        with transaction.atomic():
            return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        versions = if_match_versions(request)
        with transaction.atomic():
            self.lock(instance)
            # The request is read first (a 400 says what is wrong with it whatever its If-Match),
            # then compared with the record, then written: all under the lock.
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            if partial:
                model = type(instance)
                written = [model._meta.get_field(name).attname for name in serializer.validated_data]
                check_unchanged(instance, versions, fields=written)
            else:
                check_unchanged(instance, versions)
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
