"""Forms that let curators paste a quote instead of counting characters."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from .models import Statement, decode_statement_bytes, resolve_span


class StatementForm(forms.ModelForm):
    """A statement's text, uploaded byte for byte from the captured file, or pasted."""

    source_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    text_file = forms.FileField(
        required=False,
        label="Text from file",
        help_text="Upload the captured .txt file: its text is stored exactly, byte for byte. "
        "Pasted text has its line breaks normalised and may differ from the file.",
    )

    class Meta:
        model = Statement
        fields = [
            "slug",
            "meeting",
            "position",
            "kind",
            "title",
            "issuer",
            "publisher",
            "source_url",
            "source_file",
            "issued_on",
            "issued_on_basis",
            "note",
            "text",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            # Verbatim: keep surrounding white space, and take pasted text only when no file is given.
            self.fields["text"].strip = False
            self.fields["text"].required = False

    def clean_text(self):
        # Browsers send a textarea's line breaks as CRLF; the captured sources use LF.
        return (self.cleaned_data.get("text") or "").replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("text_file")
        if upload:
            try:
                cleaned["text"] = decode_statement_bytes(upload.read(), upload.name)
            except ValueError as exc:
                self.add_error("text_file", str(exc))
                return cleaned
            self.instance.text = cleaned["text"]
        if "text" in self.fields and not cleaned.get("text"):
            self.add_error("text", "Upload the statement's file or paste its text.")
        return cleaned


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
