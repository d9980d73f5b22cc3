"""Quote handling, in one place: finding a quote's offsets in a statement, checking a span, the
paste form and inline the admin uses, and a quote shown in its context.

A quote is held as character offsets into a statement's verbatim text; `text[start:end] == quote`
always. Curators paste quotes rather than count characters: `resolve_span()` turns what they
give (a quote, offsets, or both) into the exact span, and the admin's forms and the API's
serializers both call it, so a quote is matched the same way wherever it comes from.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from .inlines import AddOnlyMixin


def locate_quote(text, quote):
    """The (start, end) offsets of `quote` in `text`; ValueError unless it occurs exactly once."""
    if not quote:
        raise ValueError("The quote is empty.")
    first = text.find(quote)
    if first == -1:
        raise ValueError("not found")
    count = text.count(quote)
    if count > 1:
        raise ValueError(f"occurs {count} times")
    return first, first + len(quote)


def display_text(text):
    """A capture cleaned for reading only: line breaks folded, `\\$` and Markdown `*` undone."""
    return " ".join(text.replace("\\$", "$").replace("*", "").split())


def check_span(statement, start, end, quote):
    """Validate that `quote` is `statement.text[start:end]`; raise a field-level ValidationError if not."""
    if start is None or end is None:
        raise ValidationError({"start": "A quote needs its start and end offsets."})
    if not (0 <= start < end <= len(statement.text)):
        raise ValidationError({"end": f"Offsets {start}-{end} are outside the text (0-{len(statement.text)})."})
    if statement.text[start:end] != quote:
        raise ValidationError({"quote": f"The quote is not the text at offsets {start}-{end} of “{statement}”."})


def resolve_span(statement, quote, start=None, end=None):
    """The (quote, start, end) a curator means: from a pasted quote, or from offsets alone.

    A quote is located in the statement's text (a start offset chooses between places
    when it occurs more than once); offsets alone give the quote. A quote given with offsets
    that do not hold it is refused, never looked up elsewhere: the offsets are part of what was
    sent. Raises a field-level ValidationError that the admin and the API show as they are.
    """
    if not quote:
        if start is None or end is None:
            raise ValidationError({"quote": "Give the quote, or both its start and end offsets."})
        try:
            return statement.excerpt(start, end), start, end
        except ValidationError as exc:
            raise ValidationError({"end": exc.messages}) from None
    if start is not None:
        if statement.text[start : start + len(quote)] != quote:
            raise ValidationError(
                {
                    "start": f"The quote is not the text at offset {start} of “{statement}”: give the offsets of "
                    "this quote, or leave them out to have them found."
                }
            )
        if end is not None and end != start + len(quote):
            raise ValidationError({"end": f"The quote starting at {start} ends at {start + len(quote)}, not {end}."})
        return quote, start, start + len(quote)
    if end is not None:
        raise ValidationError({"start": "An end offset needs its start offset (or leave both out)."})
    try:
        start, end = statement.locate(quote)
    except ValidationError as exc:
        raise ValidationError({"quote": exc.messages}) from None
    return quote, start, end


class QuotePasteForm(forms.ModelForm):
    """Paste the quote; its offsets in the statement are found automatically.

    A quote that is not in the text, or occurs more than once without a start offset
    to choose between the places, is refused with a message and nothing is saved.
    """

    quote_required = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("quote", "start", "end"):
            if name in self.fields:
                self.fields[name].required = False
        if "quote" in self.fields:
            self.fields["quote"].help_text = "Paste the words exactly as the statement has them."
            # A quote may begin or end with white space the text really has (" revenue").
            self.fields["quote"].strip = False
        if "start" in self.fields:
            self.fields["start"].help_text = "Found from the quote. Give it only to choose between two places."
        if "end" in self.fields:
            self.fields["end"].help_text = "Found from the quote."

    def statement_for_quote(self):
        return self.cleaned_data.get("statement") or getattr(self, "parent_statement", None)

    def clean_quote(self):
        # Browsers send a textarea's line breaks as CRLF; the captured sources use LF.
        return (self.cleaned_data.get("quote") or "").replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        quote, start, end = cleaned.get("quote") or "", cleaned.get("start"), cleaned.get("end")
        if not quote and start is None and end is None and not self.quote_required:
            return cleaned
        statement = self.statement_for_quote()
        if statement is None:
            if not self.has_error("statement"):
                self.add_error("statement", "Choose the statement the quote comes from.")
            return cleaned
        try:
            quote, start, end = resolve_span(statement, quote, start, end)
        except ValidationError as exc:
            self.add_error(None, exc)
            return cleaned
        cleaned.update(quote=quote, start=start, end=end)
        return cleaned


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


def quote_in_context(span, width=160):
    """The quote highlighted inside the words around it, for checking it at a glance."""
    if span.statement_id is None or span.start is None:
        return "—"
    text = span.statement.text
    return format_html(
        '<div style="max-width:60em;white-space:pre-wrap">…{}<mark>{}</mark>{}…</div>',
        text[max(0, span.start - width) : span.start],
        text[span.start : span.end],
        text[span.end : span.end + width],
    )
