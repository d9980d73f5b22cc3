"""Merging and splitting recurring pledges through the API (`commitments.merging` does the work).

`POST /threads/{slug}/merge/` and `POST /threads/{slug}/split/` are curators' writes on the pledge
the URL names: like every change they need its ETag in If-Match (428 without, 412 when it changed
since). A retired pledge (merged into another) answers its page with a permanent redirect (301) to
where its places are now; its history stays at its own address.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse as django_reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from commitments.merging import current_pledge, lock_pledges, merge_threads, split_thread
from commitments.models import Thread
from core.exceptions import ConcurrentChange

from .concurrency import check_unchanged, etag, if_match_versions
from .errors import Conflict, ErrorSerializer, as_drf_error
from .serializers import StrictJSONTypes, ThreadTimelineSerializer


class MergeSerializer(StrictJSONTypes, serializers.Serializer):
    """Merge this recurring pledge into another: every commitment moves there, in meeting order."""

    into = serializers.SlugRelatedField(
        slug_field="slug", queryset=Thread.objects.all(), help_text="The pledge its commitments go to."
    )
    reason = serializers.CharField(max_length=2000, help_text="Why, kept with the merge and in the history.")


class SplitSerializer(StrictJSONTypes, serializers.Serializer):
    """Split chosen commitments of this recurring pledge into a new one (or back into a pledge merged into it)."""

    commitments = serializers.ListField(
        child=serializers.SlugField(max_length=120),
        min_length=1,
        max_length=1000,
        help_text="Slugs of the commitments that go to the new pledge.",
    )
    slug = serializers.SlugField(
        max_length=100,
        help_text="The new pledge's slug; a pledge merged into this one takes its commitments back (an undo).",
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000, help_text="Why, kept with the split and in the history.")


WRITE_RESPONSES = {
    400: ErrorSerializer,
    409: OpenApiResponse(ErrorSerializer, description="Changed by someone else at the same time."),
}


def redirect_if_retired(request, thread, route="api:thread-detail"):
    """A permanent redirect to where a retired pledge's commitments are now (the query string kept), or None."""
    current = current_pledge(thread)
    if current is None:
        return None
    location = request.build_absolute_uri(django_reverse(route, args=[current.slug]))
    query = request.META.get("QUERY_STRING")
    return HttpResponsePermanentRedirect(f"{location}?{query}" if query else location)


class MergeSplitMixin:
    """The thread viewset's merge and split actions."""

    def _timeline(self, thread, status):
        thread = self.get_queryset().get(pk=thread.pk)
        body = ThreadTimelineSerializer(thread, context=self.get_serializer_context()).data
        location = self.request.build_absolute_uri(django_reverse("api:thread-detail", args=[thread.slug]))
        return Response(body, status=status, headers={"ETag": etag(thread), "Location": location})

    def _guarded(self, thread, versions, write, also=()):
        """Run `write` with the pledge locked and unchanged since an If-Match version; errors as the API's.
        The pledges `also` written are locked with it, in the order every merge locks them."""
        try:
            with transaction.atomic():
                lock_pledges(thread, *also)
                self.lock(thread)
                check_unchanged(thread, versions)
                return write()
        except ValidationError as exc:
            raise as_drf_error(exc) from None
        except ConcurrentChange as exc:
            raise Conflict(str(exc)) from None

    @extend_schema(
        request=MergeSerializer,
        responses={200: ThreadTimelineSerializer, **WRITE_RESPONSES},
        summary="Merge this recurring pledge into another (curators, If-Match); its address then redirects there",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def merge(self, request, slug=None):
        thread = self.get_object()
        versions = if_match_versions(request)
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        into = payload.validated_data["into"]
        self._guarded(
            thread,
            versions,
            lambda: merge_threads(thread=thread, into=into, reason=payload.validated_data["reason"], by=request.user),
            also=[into],
        )
        return self._timeline(into, 200)

    @extend_schema(
        request=SplitSerializer,
        responses={201: ThreadTimelineSerializer, **WRITE_RESPONSES},
        summary="Split chosen commitments of this recurring pledge into a new one (curators, If-Match)",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def split(self, request, slug=None):
        thread = self.get_object()
        versions = if_match_versions(request)
        payload = SplitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = payload.validated_data
        target = self._guarded(thread, versions, lambda: split_thread(thread=thread, by=request.user, **fields))
        return self._timeline(target, 201)
