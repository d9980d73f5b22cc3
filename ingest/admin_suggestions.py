"""The decision forms of participation and evidence suggestions (the review page's "accept with edits").

Kept apart from `ingest.forms` (the intake and the commitment and figure forms): `decision_form` here
picks the form for any kind of suggestion, and what a form gives is passed to
`ingest.services.accept_suggestion`, which creates the record through its owner's rules.
"""

from django import forms

from commitments.assessments import Evidence
from commitments.models import Commitment
from meetings.models import Participation

from . import forms as ingest_forms
from .models import SuggestionKind
from .suggested_facts import RECORDED_ROLE


class ParticipationDecisionForm(ingest_forms.DecisionForm):
    MODEL = Participation
    MODEL_FIELDS = ("member", "role", "note")

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, suggestion=suggestion, **kwargs)
        self.fields["member"].initial = suggestion.member_id
        self.fields["member"].help_text = f"The text names “{suggestion.member_name}”."
        self.fields["role"].initial = RECORDED_ROLE.get(suggestion.role)
        self.fields["note"].help_text = "Left empty: what the text says beyond the role (co-chair, ordinal)."


class EvidenceDecisionForm(ingest_forms.DecisionForm):
    MODEL = Evidence
    MODEL_FIELDS = ("slug", "self_reported", "note")

    commitment = forms.CharField(
        required=False,
        max_length=120,
        help_text="The slug of the earlier commitment it reports on (a draft assessment of it gets this "
        "evidence); empty: the evidence item only.",
    )
    relied_on = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 90}),
        help_text="What it shows about the pledge; empty: the quote, as the statement reports it.",
    )

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, suggestion=suggestion, **kwargs)
        self.fields["slug"].required = False
        self.fields["self_reported"].initial = True
        self.fields["commitment"].initial = suggestion.evidence_for.slug if suggestion.evidence_for else ""

    def clean_commitment(self):
        slug = self.cleaned_data["commitment"].strip()
        if not slug:
            return None
        try:
            return Commitment.objects.get(slug=slug)
        except Commitment.DoesNotExist:
            raise forms.ValidationError(f"No commitment has the slug “{slug}”.") from None


def decision_form(suggestion, data=None):
    """The form that accepts this kind of suggestion."""
    if suggestion.kind == SuggestionKind.PARTICIPATION:
        return ParticipationDecisionForm(data, suggestion=suggestion)
    if suggestion.kind == SuggestionKind.EVIDENCE:
        return EvidenceDecisionForm(data, suggestion=suggestion)
    return ingest_forms.decision_form(suggestion, data)
