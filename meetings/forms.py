"""The statement form: a statement's verbatim text, uploaded from its file or pasted."""

from django import forms

from core.texts import decode_statement_bytes, normalise_newlines

from .models import Statement


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
        fields = Statement.CURATED_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            # Verbatim: keep surrounding white space, and take pasted text only when no file is given.
            self.fields["text"].strip = False
            self.fields["text"].required = False

    def clean_text(self):
        return normalise_newlines(self.cleaned_data.get("text") or "")

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
