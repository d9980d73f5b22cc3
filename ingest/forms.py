"""Forms of the curators' intake and review of suggestions."""

from django import forms

from commitments.defaults import default_summary
from commitments.models import ChangeKind, Commitment, LineOfEffort, Thread
from core.numbers import plain
from core.texts import StatementTextError, decode_statement_bytes, normalise_newlines
from meetings.forms import near_duplicate_problem, store_anyway_field
from meetings.models import Figure, Meeting, MeetingFormat, StatementKind

from .defaults import default_commitment_slug, default_figure_metric, default_figure_slug
from .models import SuggestionKind
from .services import check_new_statement_text

NEW_MEETING_FIELDS = ("slug", "name", "format", "city", "country", "start_date", "end_date")


class IntakeForm(forms.Form):
    """A new statement: its text pasted or uploaded, its meeting chosen or created, its details."""

    text = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
        help_text="Paste the statement. Line breaks are kept (a browser's CRLF is stored as LF).",
    )
    text_file = forms.FileField(
        required=False,
        label="or upload the .txt file",
        help_text="Stored byte for byte as UTF-8 text; at most 1 MB.",
    )
    meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.in_order(), required=False, help_text="The meeting the statement was issued at."
    )
    new_meeting_slug = forms.SlugField(required=False, label="or a new meeting: slug")
    new_meeting_name = forms.CharField(required=False, max_length=200, label="name")
    new_meeting_format = forms.ChoiceField(required=False, choices=[("", "—"), *MeetingFormat.choices], label="format")
    new_meeting_city = forms.CharField(required=False, max_length=100, label="city")
    new_meeting_country = forms.CharField(required=False, max_length=100, label="country")
    new_meeting_start_date = forms.DateField(required=False, label="start date", help_text="YYYY-MM-DD")
    new_meeting_end_date = forms.DateField(required=False, label="end date", help_text="YYYY-MM-DD")
    slug = forms.SlugField(max_length=100, help_text="The statement's slug, e.g. brussels-2022-statement.")
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=StatementKind.choices, initial=StatementKind.STATEMENT)
    issuer = forms.CharField(max_length=300)
    publisher = forms.CharField(max_length=200, required=False)
    source_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    store_anyway = store_anyway_field()

    def clean(self):
        cleaned = super().clean()
        upload, pasted = cleaned.get("text_file"), normalise_newlines(cleaned.get("text") or "")
        if upload and pasted.strip():
            self.add_error("text", "Paste the text or upload the file, not both.")
        elif upload:
            try:
                cleaned["text"] = decode_statement_bytes(upload.read(), upload.name)
            except StatementTextError as exc:
                self.add_error("text_file", str(exc))
        elif pasted.strip():
            cleaned["text"] = pasted
        else:
            self.add_error("text", "Paste the statement's text or upload its file.")
        if cleaned.get("text") and not self.has_error("text") and not self.has_error("text_file"):
            try:
                check_new_statement_text(cleaned["text"], "The statement")
            except StatementTextError as exc:
                self.add_error("text_file" if upload else "text", str(exc))
        new_meeting = {name: cleaned.get(f"new_meeting_{name}") for name in NEW_MEETING_FIELDS}
        given = {name for name, value in new_meeting.items() if value}
        if cleaned.get("meeting") and given:
            self.add_error("meeting", "Choose a meeting or describe a new one, not both.")
        elif not cleaned.get("meeting") and not given and not self.has_error("meeting"):
            self.add_error("meeting", "Choose the meeting, or describe a new one below.")
        elif given and given != set(NEW_MEETING_FIELDS):
            missing = ", ".join(n.replace("_", " ") for n in NEW_MEETING_FIELDS if n not in given)
            self.add_error("new_meeting_slug", f"A new meeting needs all its details; missing: {missing}.")
        cleaned["new_meeting"] = new_meeting if given else None
        if cleaned.get("text") and not self.errors and not cleaned.get("store_anyway"):
            problem = near_duplicate_problem(cleaned["text"], cleaned.get("meeting"))
            if problem:
                self.add_error("text_file" if upload else "text", problem)
        return cleaned


class DecisionForm(forms.Form):
    """A suggestion as a curator accepts it: every field starts from the proposal and may be changed.

    The record's own fields come from its model (`MODEL_FIELDS`: label, limits, choices and help
    text as the model declares them); the form declares only what is about the decision.
    """

    MODEL = None
    MODEL_FIELDS = ()

    quote = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 90}),
        help_text="Shorten or lengthen it: it must be exactly the statement's words (its place is found).",
    )
    start = forms.IntegerField(required=False, min_value=0, help_text="Only to choose between two places.")
    decision_note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 90}), label="note on the decision"
    )

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            self.MODEL, fields=self.MODEL_FIELDS, widgets={"note": forms.Textarea(attrs={"rows": 2, "cols": 90})}
        )
        declared = [name for name in self.fields if name not in ("quote", "start", "decision_note")]
        self.fields.update({name: field for name, field in model_fields.items() if name not in self.fields})
        self.order_fields(["quote", "start", *self.MODEL_FIELDS, *declared, "decision_note"])
        self.suggestion = suggestion
        self.fields["quote"].initial = suggestion.quote
        self.fields["start"].initial = suggestion.start

    def clean_quote(self):
        return normalise_newlines(self.cleaned_data["quote"])

    def changes(self):
        """The cleaned fields as `accept_suggestion` takes them."""
        changes = dict(self.cleaned_data)
        quote, start, text = changes.get("quote") or "", changes.get("start"), self.suggestion.statement.text
        if start is not None and text[start : start + len(quote)] != quote:
            changes["start"] = None  # an edited quote that no longer starts there is found in the text again
        return changes


class CommitmentDecisionForm(DecisionForm):
    MODEL = Commitment
    MODEL_FIELDS = ("slug", "line_of_effort", "actor", "strength", "summary", "assessable", "note")

    # Optional here so that clean() can say what to do when it is missing.
    line_of_effort = forms.ModelChoiceField(queryset=LineOfEffort.objects.all(), required=False)
    thread = forms.ModelChoiceField(
        queryset=Thread.objects.all(),
        required=False,
        label="recurring pledge",
        help_text="Leave empty if this commitment continues no earlier pledge.",
    )
    change_kind = forms.ChoiceField(choices=[("", "—"), *ChangeKind.choices], required=False)

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, suggestion=suggestion, **kwargs)
        initial = {
            "slug": default_commitment_slug(suggestion),
            "line_of_effort": suggestion.line_of_effort_id,
            "actor": suggestion.actor or suggestion.statement.issuer,
            "strength": suggestion.strength,
            "summary": default_summary(suggestion.quote),
            "thread": suggestion.thread_id,
            "change_kind": suggestion.change_kind,
        }
        for name, value in initial.items():
            self.fields[name].initial = value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("thread") is None:
            cleaned["change_kind"] = ""
        elif not cleaned.get("change_kind"):
            self.add_error("change_kind", "Say how it changed from the pledge's previous commitment.")
        if cleaned.get("line_of_effort") is None:
            self.add_error("line_of_effort", "Choose the line of effort to file this commitment under.")
        return cleaned


class FigureDecisionForm(DecisionForm):
    MODEL = Figure
    MODEL_FIELDS = ("slug", "metric", "value", "unit", "qualifier", "note")

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, suggestion=suggestion, **kwargs)
        initial = {
            "slug": default_figure_slug(suggestion),
            "metric": default_figure_metric(suggestion),
            "value": plain(suggestion.value) if suggestion.value is not None else None,
            "unit": suggestion.unit,
            "qualifier": suggestion.qualifier,
        }
        for name, value in initial.items():
            self.fields[name].initial = value


def decision_form(suggestion, data=None):
    """The form that accepts this kind of suggestion."""
    if suggestion.kind == SuggestionKind.FIGURE:
        return FigureDecisionForm(data, suggestion=suggestion)
    return CommitmentDecisionForm(data, suggestion=suggestion)


def apply_errors(form, error):
    """Show a service's ValidationError on the form: on its field when the form has it, else above."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
