"""Forms of the curators' intake and review of suggestions, drawn as the rest of the admin draws its forms."""

import base64
import binascii

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.utils.html import format_html

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

# The admin's own widgets for these fields (as ModelAdmin gives a model's fields): its widths, its calendar.
ADMIN_WIDGETS = [
    (forms.DateField, admin_widgets.AdminDateWidget),
    (forms.URLField, admin_widgets.AdminURLFieldWidget),
    (forms.IntegerField, admin_widgets.AdminIntegerFieldWidget),
]


def use_admin_widgets(form):
    """Give the form's fields the widgets the admin gives a model's fields, keeping their sizes."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Textarea):
            field.widget = admin_widgets.AdminTextareaWidget(attrs=widget.attrs)
        elif type(widget) is forms.TextInput:
            field.widget = admin_widgets.AdminTextInputWidget(attrs=widget.attrs)
        else:
            for kind, admin_widget in ADMIN_WIDGETS:
                if isinstance(field, kind) and not widget.is_hidden:
                    field.widget = admin_widget()
                    break


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
    # An uploaded file kept when the form comes back with errors: browsers never send a file twice.
    kept_file = forms.CharField(required=False, widget=forms.HiddenInput)
    kept_file_name = forms.CharField(required=False, widget=forms.HiddenInput)

    FIELDSETS = [
        ("Text", {"fields": ["text", "text_file", "store_anyway", "kept_file", "kept_file_name"]}),
        (
            "Meeting",
            {
                "fields": ["meeting", *(f"new_meeting_{name}" for name in NEW_MEETING_FIELDS)],
                "description": "Choose a stored meeting, or describe a new one with all its details.",
            },
        ),
        ("Statement", {"fields": ["slug", "title", "kind", "issuer", "publisher", "source_url"]}),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_admin_widgets(self)
        self.kept = None  # (file name, text) of an upload kept for the next submission

    def fieldsets(self):
        return self.FIELDSETS

    def clean(self):
        cleaned = super().clean()
        upload, pasted = cleaned.get("text_file"), normalise_newlines(cleaned.get("text") or "")
        kept = None if upload or pasted.strip() else self._kept_upload(cleaned)
        if kept is None and self.data.get("kept_file"):
            self._forget_kept()  # a new upload or a pasted text replaces the kept file
        cleaned["source_file"] = ""
        if upload and pasted.strip():
            self.add_error("text", "Paste the text or upload the file, not both.")
        elif upload:
            try:
                cleaned["text"] = decode_statement_bytes(upload.read(), upload.name)
            except StatementTextError as exc:
                self.add_error("text_file", str(exc))
            else:
                cleaned["source_file"] = upload.name[:200]
        elif kept is not None:
            cleaned["source_file"], cleaned["text"] = kept
            upload = kept  # its errors go with the file, as a new upload's do
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
        if self.errors and cleaned["source_file"]:
            self.keep_upload(cleaned["source_file"], cleaned["text"])
        return cleaned

    def _kept_upload(self, cleaned):
        """(name, text) of the file kept from the previous submission, or None."""
        if not cleaned.get("kept_file"):
            return None
        try:
            data = base64.b64decode(cleaned["kept_file"], validate=True)
            name = cleaned.get("kept_file_name") or "upload.txt"
            return name[:200], decode_statement_bytes(data, name)
        except (binascii.Error, StatementTextError):
            self.add_error("text_file", "The file kept from the previous submission was damaged: upload it again.")
            return None

    def keep_upload(self, name, text):
        """Carry the upload's exact text to the next submission in hidden fields, and say so on the page."""
        self.kept = (name, text)
        self.data = self.data.copy()
        self.data["kept_file"] = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.data["kept_file_name"] = name
        opening = " ".join(text.split())[:80]
        # The admin shows help text as HTML: the file's name and words are escaped here.
        self.fields["text_file"].help_text = self["text_file"].help_text = format_html(
            "Kept from your upload: <strong>“{}”</strong>, {} characters, beginning “{}…”. It is stored when you "
            "submit the form again, unless you upload another file or paste a text.",
            name,
            f"{len(text):,}",
            opening,
        )

    def _forget_kept(self):
        self.data = self.data.copy()
        self.data["kept_file"] = self.data["kept_file_name"] = ""


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
        use_admin_widgets(self)
        self.suggestion = suggestion
        self.fields["quote"].initial = suggestion.quote
        self.fields["start"].initial = suggestion.start

    def fieldsets(self):
        """The admin's fieldsets: the span, the record it creates, the note on the decision."""
        record = [name for name in self.fields if name not in ("quote", "start", "decision_note")]
        return [
            ("The span", {"fields": ["quote", "start"]}),
            (f"Accept as a {self.MODEL._meta.verbose_name}", {"fields": record}),
            ("Decision", {"fields": ["decision_note"]}),
        ]

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
