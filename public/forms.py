"""The matrix's filters: read from the URL's query string, so a filtered view can be shared as a link."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from commitments.models import Strength


class Select(forms.Select):
    """A <select> written out in one go: the same markup as Django's, without a template per option.

    A tracker with decades of meetings offers every year twice; rendering each option through the
    form renderer's templates took longer than all of the matrix's queries.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "\n".join(
            f'<option value="{escape(option)}"{" selected" if option in chosen else ""}>{escape(str(label))}</option>'
            for option, label in ((str(option), label) for option, label in self.choices)
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>\n{options}\n</select>')  # noqa: S308 - escaped


class MatrixFilterForm(forms.Form):
    """Line of effort, a range of years and words to look for; every field may be left out."""

    line_of_effort = forms.ChoiceField(required=False, label="Line of effort", widget=Select)
    year_from = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="From", widget=Select)
    year_to = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="To", widget=Select)
    q = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.SearchInput,
        label="Words",
        help_text="In the pledge's title, its line of effort or any of its quotes, in any order.",
    )

    def __init__(self, data, *, lines, years):
        """`lines` and `years` are the choices, read once by the view (no query of its own here)."""
        super().__init__(data)
        self.fields["line_of_effort"].choices = [
            ("", "All lines of effort"),
            *((line.slug, line.name) for line in lines),
        ]
        year_choices = [(year, str(year)) for year in years]
        self.fields["year_from"].choices = [("", "First meeting"), *year_choices]
        self.fields["year_to"].choices = [("", "Latest meeting"), *year_choices]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("year_from"), cleaned.get("year_to")
        if first is not None and last is not None and first > last:
            self.add_error("year_to", f"Choose a year from {first} on, or an earlier “From” year.")
        return cleaned

    def is_filtered(self):
        """Whether any filter is set (valid or not)."""
        return any(self.data.get(name) for name in self.fields)


class SearchForm(forms.Form):
    """The words to look for across pledges and commitments."""

    q = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.SearchInput,
        label="Words",
        help_text="Every word is looked for, in any order: in quotes, pledge titles and line-of-effort names, "
        "in either spelling and by the record's other names for it (FTF, Daesh …).",
    )


class CommitmentFilterForm(forms.Form):
    """Which commitments the list shows: of a meeting, of a line of effort, of a strength, in a pledge or
    not. The values are the API's own (slugs, `binding`, `true`), so its data links take the same filters."""

    meeting = forms.ChoiceField(
        required=False,
        label="Meeting",
        widget=Select,
        error_messages={"invalid_choice": "There is no meeting “%(value)s”: choose one from the list."},
    )
    line_of_effort = forms.ChoiceField(
        required=False,
        label="Line of effort",
        widget=Select,
        error_messages={"invalid_choice": "There is no line of effort “%(value)s”: choose one from the list."},
    )
    strength = forms.ChoiceField(
        required=False,
        label="Strength",
        widget=Select,
        choices=[("", "Any strength"), *Strength.choices],
        error_messages={"invalid_choice": "There is no strength “%(value)s”: choose one from the list."},
    )
    has_thread = forms.ChoiceField(
        required=False,
        label="Recurring pledge",
        widget=Select,
        choices=[("", "In one or not"), ("true", "In a recurring pledge"), ("false", "In no recurring pledge")],
        error_messages={"invalid_choice": "“%(value)s” is neither true nor false: choose from the list."},
    )
    q = forms.CharField(required=False, max_length=200, widget=forms.SearchInput, label="Words")

    def __init__(self, data, *, lines, meetings):
        """`lines` are lines of effort and `meetings` (slug, name) pairs in order, read once by the view."""
        super().__init__(data)
        self.fields["meeting"].choices = [("", "All meetings"), *meetings]
        self.fields["line_of_effort"].choices = [
            ("", "All lines of effort"),
            *((line.slug, line.name) for line in lines),
        ]

    def is_filtered(self):
        """Whether any filter is set (valid or not)."""
        return any(self.data.get(name) for name in self.fields)
