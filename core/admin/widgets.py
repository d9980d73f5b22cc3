"""Form field settings the admins share."""

from django import forms
from django.db import models

# Thread notes are a line or two: keep the inline rows compact.
COMPACT_NOTES = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}

# Evidence links are typed without a scheme more often than not: read them as https.
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}
