"""The admin's quote forms: paste a quote, and its offsets in the statement are found (`core.spans`)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from ..spans import QuotePlaces, context_of, resolve_span
from ..texts import normalise_newlines
from .inlines import AddOnlyMixin


class QuotePasteForm(forms.ModelForm):
    """Paste the quote; its offsets in the statement are found automatically.

    A quote that is not in the text is refused with a message saying where it parts from the
    text; one that occurs more than once lists its places, each with the words around it, as
    choices under Start. Nothing is saved until the quote stands for one place.
    """

    quote_required = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quote_refused = False
        for name in ("quote", "start", "end"):
            if name in self.fields:
                self.fields[name].required = False
        if "quote" in self.fields:
            self.fields["quote"].help_text = (
                "Paste the words as the statement has them: spaces, line breaks, quotation marks and dashes "
                "may differ; the text's own characters are stored."
            )
            # A quote may begin or end with white space the text really has (" revenue").
            self.fields["quote"].strip = False
        if "start" in self.fields:
            self.fields["start"].help_text = "Found from the quote. Give it only to choose between two places."
        if "end" in self.fields:
            self.fields["end"].help_text = "Found from the quote."

    def statement_for_quote(self):
        return self.cleaned_data.get("statement") or getattr(self, "parent_statement", None)

    def clean_quote(self):
        return normalise_newlines(self.cleaned_data.get("quote") or "")

    def clean(self):
        cleaned = super().clean()
        quote, start, end = cleaned.get("quote") or "", cleaned.get("start"), cleaned.get("end")
        if self.instance.pk and {"quote", "statement"} & set(self.changed_data):
            if not {"start", "end"} & set(self.changed_data):
                # The offsets on the page are the old quote's: find the new one afresh.
                start = end = None
        if not quote and start is None and end is None and not self.quote_required:
            return cleaned
        statement = self.statement_for_quote()
        if statement is None:
            if not self.has_error("statement"):
                self.add_error("statement", "Choose the statement the quote comes from.")
            return cleaned
        try:
            quote, start, end = resolve_span(statement, quote, start, end)
        except QuotePlaces as exc:
            self.quote_refused = True
            self.offer_places(statement, exc.places)
            return cleaned
        except ValidationError as exc:
            self.quote_refused = True
            self.add_error(None, exc)
            return cleaned
        cleaned.update(quote=quote, start=start, end=end)
        return cleaned

    def offer_places(self, statement, places):
        """Refuse the quote, and offer each place it occurs at, with the words around it, as a choice of start."""
        self.add_error(
            "quote",
            ValidationError(
                "This quote occurs %(count)d times in “%(statement)s”: pick the place you mean under Start, "
                "then save again.",
                code="quote_places",
                params={"count": len(places), "statement": statement},
            )
            if len(places) > 1
            else ValidationError(
                "This quote is not at the offset given: it is at the place shown under Start. "
                "Pick it, then save again.",
                code="quote_places",
            ),
        )
        if "start" not in self.fields:
            return
        field = self.fields["start"]
        field.widget = forms.RadioSelect(
            choices=[(start, place_label(statement.text, start, end)) for start, end in places],
            attrs={"class": "quote-places"},
        )
        # The page shows the bound field, which keeps the label and help text it was made with.
        self["start"].label = "Which place?"
        self["start"].help_text = "Where the quote occurs, with the words around it: pick the one you mean."

    def _post_clean(self):
        # The model re-checks the span (QuotedSpan.clean); after a refusal it would only repeat it,
        # as a second, puzzling error under Start or End. Keep the refusal the only word.
        span_errors = {name: self._errors.get(name) for name in ("quote", "start", "end", NON_FIELD_ERRORS)}
        span_errors = {name: list(errors) for name, errors in span_errors.items() if errors is not None}
        super()._post_clean()
        if self.quote_refused:
            for name in ("quote", "start", "end", NON_FIELD_ERRORS):
                if name in span_errors:
                    self._errors[name] = self.error_class(span_errors[name])
                elif name in self._errors and name != NON_FIELD_ERRORS:
                    del self._errors[name]


class OptionalQuotePasteForm(QuotePasteForm):
    """For records whose fact may be known without a quote (a host named only in a press release)."""

    quote_required = False


class ParentStatementFormSet(BaseInlineFormSet):
    """Inline formset that lets each quote form find offsets in the parent statement, saved or not."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.parent_statement = self.instance
        return form


class QuoteAddInline(AddOnlyMixin, admin.StackedInline):
    """Empty forms for adding quoted rows to a statement by pasting their quotes."""

    form = QuotePasteForm
    formset = ParentStatementFormSet


def place_label(text, start, end):
    """A choice label for one place of a quote: its offset and the quote marked among the words around it."""
    before, quote, after = context_of(text, start, end)
    return format_html("offset {}: “{}<mark>{}</mark>{}”", start, before, quote, after)


def quote_in_context(span, width=160):
    """The quote highlighted inside the words around it, for checking it at a glance."""
    if span.statement_id is None or span.start is None or span.end is None:
        return "—"  # not located yet: a new record, or a quote just refused
    text = span.statement.text
    return format_html(
        '<div style="max-width:60em;white-space:pre-wrap">…{}<mark>{}</mark>{}…</div>',
        text[max(0, span.start - width) : span.start],
        text[span.start : span.end],
        text[span.end : span.end + width],
    )
