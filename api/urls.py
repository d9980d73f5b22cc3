"""The REST API, version 1: the router of both domain apps' resources, aggregates, schema and docs.

The project mounts these under `/api/v1/` in the `api` namespace, beside the auditors' snapshot
download, which the snapshots app serves.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import routers

from .aggregates import CommitmentsByLineView, FigureSeriesView, PledgeMatrixView, VerdictsView
from .changes import ChangesView
from .docs_pages import RedocView, redoc_bundle_view
from .views import (
    APIRoot,
    AssessmentCycleViewSet,
    AssessmentViewSet,
    CommitmentViewSet,
    EvidenceViewSet,
    FigureViewSet,
    LineOfEffortViewSet,
    MeetingViewSet,
    MemberViewSet,
    ParticipationViewSet,
    StatementViewSet,
    ThreadViewSet,
)


class Router(routers.DefaultRouter):
    APIRootView = APIRoot


router = Router()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("statements", StatementViewSet, basename="statement")
router.register("lines-of-effort", LineOfEffortViewSet, basename="lineofeffort")
router.register("threads", ThreadViewSet, basename="thread")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("assessment-cycles", AssessmentCycleViewSet, basename="assessmentcycle")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("figures", FigureViewSet, basename="figure")
router.register("members", MemberViewSet, basename="member")
router.register("participations", ParticipationViewSet, basename="participation")

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    path("aggregates/pledge-matrix/", PledgeMatrixView.as_view(), name="pledge-matrix"),
    path("aggregates/commitments-by-line/", CommitmentsByLineView.as_view(), name="commitments-by-line"),
    path("aggregates/figure-series/", FigureSeriesView.as_view(), name="figure-series"),
    path("aggregates/verdicts/", VerdictsView.as_view(), name="verdicts"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle_view, name="redoc-bundle"),
    path("", include(router.urls)),
]
