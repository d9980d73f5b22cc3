"""The statement form: a statement's verbatim text, uploaded from its file or pasted."""

from django import forms

from core.texts import decode_statement_bytes, normalise_newlines

from .models import Statement


def store_anyway_field():
    return forms.BooleanField(
        required=False,
        label="Store it anyway",
        help_text="Tick to store a text that is nearly identical to a stored statement of the same meeting.",
    )


def near_duplicate_problem(text, meeting, exclude_pk=None):
    """What to say when `text` is nearly identical to a stored statement of `meeting`, or None."""
    if not text or meeting is None or meeting.pk is None:
        return None
    found = Statement.objects.filter(meeting=meeting).exclude(pk=exclude_pk).nearly_identical_to(text)
    if found is None:
        return None
    statement, share = found
    return (
        f"This text is nearly identical to the stored statement “{statement.slug}” ({statement.title}) of the "
        f"same meeting: {share:.0%} of its wording is the same. Is it a copy (a banner or a footer removed)? "
        "Tick “Store it anyway” to store it as a statement of its own."
    )


class StatementForm(forms.ModelForm):
    """A statement's text, uploaded byte for byte from the captured file, or pasted."""

    source_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    text_file = forms.FileField(
        required=False,
        label="Text from file",
        help_text="Upload the captured .txt file: its text is stored exactly, byte for byte. "
        "Pasted text has its line breaks normalised and may differ from the file.",
    )
    store_anyway = store_anyway_field()

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
        elif self.instance.pk is None and "text" in self.fields and not cleaned.get("store_anyway"):
            problem = near_duplicate_problem(cleaned.get("text"), cleaned.get("meeting"))
            if problem:
                self.add_error("text_file" if upload else "text", problem)
        return cleaned
