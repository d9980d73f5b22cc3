"""Fields and addresses are said once, on the model: the admin, the API, the seed and ingest forms read them."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from api import serializers as api
from api.assessment_parts import MemberScoreSerializer, MoneyStageSerializer
from commitments.assessment_parts import MemberScore, MoneyStage
from commitments.models import Assessment, AssessmentEvidence, PledgeLink, ThreadEntry
from ingest.forms import CommitmentDecisionForm, FigureDecisionForm
from ingest.models import Suggestion
from snapshots.records import curated_models
from snapshots.seed import ALLOWED_KEYS
from tests.factories import AssessmentFactory, StatementFactory, UserFactory

# The models a curator writes, with their serializer; ThreadEntry is written through its pledge.
SERIALIZERS = {
    "meetings.meeting": api.MeetingSerializer,
    "meetings.statement": api.StatementDetailSerializer,
    "meetings.member": api.MemberSerializer,
    "meetings.participation": api.ParticipationSerializer,
    "meetings.figure": api.FigureSerializer,
    "commitments.lineofeffort": api.LineOfEffortSerializer,
    "commitments.thread": api.ThreadSerializer,
    "commitments.commitment": api.CommitmentSerializer,
    "commitments.assessment": api.AssessmentSerializer,
    "commitments.assessmentcycle": api.AssessmentCycleSerializer,
    "commitments.evidence": api.EvidenceSerializer,
}
# An assessment's evidence rows are written and shown with their assessment.
# An assessment's parts (evidence rows, member scores, money stages) are written with it, nested in it.
PARTS = {MemberScore: MemberScoreSerializer, MoneyStage: MoneyStageSerializer}
# A link between pledges is written by a merge or a split (commitments.merging), never field by field.
DECLARING = [model for model in curated_models() if model not in (ThreadEntry, AssessmentEvidence, PledgeLink, *PARTS)]


def test_every_curated_model_declares_its_fields_and_each_is_a_field_of_it():
    assert {model._meta.label_lower for model in DECLARING} == set(SERIALIZERS)
    for model in DECLARING:
        assert model.CURATED_FIELDS, model
        names = {field.name for field in model._meta.concrete_fields}
        assert set(model.CURATED_FIELDS) <= names, model


@pytest.mark.parametrize("model", DECLARING, ids=lambda model: model._meta.label_lower)
def test_the_api_and_the_admin_show_exactly_the_declared_fields_in_their_order(model):
    declared = list(model.CURATED_FIELDS)
    serialized = [name for name in SERIALIZERS[model._meta.label_lower].Meta.fields if name in declared]
    assert serialized == declared
    request = RequestFactory().get("/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True)
    shown = [name for name in admin.site._registry[model].get_fields(request) if name in declared]
    assert shown == declared


@pytest.mark.parametrize("model", PARTS, ids=lambda model: model._meta.label_lower)
def test_an_assessment_s_parts_show_their_declared_fields_less_the_assessment_they_are_nested_in(model):
    declared = [name for name in model.CURATED_FIELDS if name != "assessment"]
    assert [name for name in PARTS[model].Meta.fields if name in model.CURATED_FIELDS] == declared


def test_the_seed_builder_takes_a_model_s_declared_fields_less_what_it_computes():
    computed = {"statement", "start", "end"}
    assert ALLOWED_KEYS["line of effort"] == {"slug", "name", "position", "description"}
    assert ALLOWED_KEYS["figure"] == {
        "slug",
        "quote",
        "metric",
        "value",
        "unit",
        "qualifier",
        "stage",
        "about_from",
        "about_to",
        "note",
    }
    assert ALLOWED_KEYS["participation"] == {"member", "role", "quote", "note"}
    assert ALLOWED_KEYS["member"] == {"slug", "name", "kind"}
    assert ALLOWED_KEYS["thread"] == {"slug", "title", "description", "line_of_effort", "_from"}
    for kind, model in [("figure", "meetings.figure"), ("commitment", "commitments.commitment")]:
        declared = {m for m in DECLARING if m._meta.label_lower == model}.pop().CURATED_FIELDS
        assert set(declared) - computed <= ALLOWED_KEYS[kind]


@pytest.mark.parametrize(("form", "kind"), [(CommitmentDecisionForm, "commitment"), (FigureDecisionForm, "figure")])
def test_an_ingest_decision_form_takes_the_model_s_limits_choices_and_help(db, form, kind):
    statement = StatementFactory(text="We will fund 8 million people.")
    suggestion = Suggestion.objects.create(statement=statement, kind=kind, start=0, end=7, quote="We will")
    fields = form(suggestion=suggestion).fields
    for name in form.MODEL_FIELDS:
        model_field = form.MODEL._meta.get_field(name)
        if name != "line_of_effort":  # optional in the form, which says itself what to do when it is missing
            # A checkbox is never required: unticked is its other value.
            assert fields[name].required == (
                not model_field.blank and model_field.get_internal_type() != "BooleanField"
            )
        assert str(fields[name].help_text) == str(model_field.help_text), name
        if model_field.choices:
            assert {value for value, _ in fields[name].choices} - {""} == {value for value, _ in model_field.choices}
        elif getattr(model_field, "max_length", None):
            assert fields[name].max_length == model_field.max_length, name
    assert list(fields)[:2] == ["quote", "start"] and list(fields)[-1] == "decision_note"


def test_an_assessment_formats_and_parses_its_own_key(db, client):
    assessment = AssessmentFactory()
    key = assessment.key()
    assert key == f"{assessment.commitment.slug}@{assessment.assessed_on.isoformat()}"
    assert Assessment.objects.get_by_key(key) == assessment
    for wrong in [f"{assessment.commitment.slug}@2019-02-30", assessment.commitment.slug, "nope@2020-01-01"]:
        with pytest.raises(Assessment.DoesNotExist):
            Assessment.objects.get_by_key(wrong)
    answer = client.get(reverse("api:assessment-detail", args=[key]))
    assert answer.status_code == 200 and answer.json()["key"] == key
    assert (
        client.get(reverse("api:assessment-detail", args=[f"{assessment.commitment.slug}@2019-02-30"])).status_code
        == 404
    )
