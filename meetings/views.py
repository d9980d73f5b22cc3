from django.db.models import Prefetch
from django.http import Http404
from rest_framework import viewsets

from tracker.api import HistoryMixin

from .filters import FigureFilter, MeetingFilter, MemberFilter, ParticipationFilter, StatementFilter
from .models import Figure, Meeting, Member, Participation, ParticipationRole, Statement
from .serializers import (
    FigureSerializer,
    MeetingSerializer,
    MemberSerializer,
    ParticipationSerializer,
    StatementDetailSerializer,
    StatementSerializer,
)


class MeetingViewSet(HistoryMixin, viewsets.ModelViewSet):
    queryset = Meeting.objects.all()
    serializer_class = MeetingSerializer
    lookup_field = "slug"
    filterset_class = MeetingFilter
    ordering_fields = ["start_date", "name", "slug"]
    ordering = ["start_date", "slug"]


class StatementViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Statements: the list leaves out the verbatim text; a statement's own page has it. Never deleted."""

    lookup_field = "slug"
    filterset_class = StatementFilter
    ordering_fields = ["issued_on", "slug", "position"]
    ordering = ["meeting__start_date", "position"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # The meeting's slug is shown on every row; the text only on a statement's own page.
        statements = Statement.objects.select_related("meeting")
        return statements.defer("text") if self.action == "list" else statements

    def get_serializer_class(self):
        return StatementSerializer if self.action == "list" else StatementDetailSerializer


class MemberViewSet(HistoryMixin, viewsets.ModelViewSet):
    serializer_class = MemberSerializer
    lookup_field = "slug"
    filterset_class = MemberFilter
    ordering_fields = ["name", "slug"]
    ordering = ["name"]

    def get_queryset(self):
        joins = Participation.objects.filter(role=ParticipationRole.NEW_MEMBER).select_related("meeting", "statement")
        # Feeds joined_per_sources and sources_disagree_on_joining without a query per member.
        return Member.objects.prefetch_related(
            Prefetch("participations", queryset=joins.defer("statement__text"), to_attr="joins")
        )


class ParticipationViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Who hosted, joined or observed each meeting, as each source says it; sources may disagree."""

    serializer_class = ParticipationSerializer
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    filterset_class = ParticipationFilter
    ordering_fields = ["meeting__start_date", "role"]
    ordering = ["meeting__start_date", "member__name", "role"]

    def get_queryset(self):
        # Meeting, member and statement slugs are on every row.
        return Participation.objects.select_related("meeting", "member", "statement").defer("statement__text")

    def get_object(self):
        try:
            obj = self.get_queryset().get_by_key(self.kwargs["key"])
        except Participation.DoesNotExist:
            raise Http404("No participation record has this key.") from None
        self.check_object_permissions(self.request, obj)
        return obj


class FigureViewSet(HistoryMixin, viewsets.ModelViewSet):
    serializer_class = FigureSerializer
    lookup_field = "slug"
    filterset_class = FigureFilter
    ordering_fields = ["value", "slug", "statement__meeting__start_date"]
    ordering = ["statement__meeting__start_date", "statement__position", "start"]

    def get_queryset(self):
        # The statement and meeting slugs are on every row; the statement text is not.
        return Figure.objects.select_related("statement__meeting").defer("statement__text")
