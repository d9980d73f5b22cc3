"""The admin's Import page: upload a file, read its preview, confirm; for curators.

The confirm step imports the very bytes previewed: the upload is kept under its SHA-256 in
UPLOADS (a folder of the host's temporary directory) and named in a signed token with the preview's
plan (`ImportResult.plan_digest`). Confirming re-reads those bytes, checks their digest, and imports
only if the import does exactly what the preview showed; if the records changed since, nothing is
stored and the new preview is shown instead (a stale preview).
"""

import tempfile
import time
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from .import_files import Table
from .import_resources import RESOURCES
from .imports import ImportResult, import_file

UPLOADS = Path(tempfile.gettempdir()) / "tracker-imports"
SALT = "api.import_admin"
# A preview is confirmed within this many seconds, or read again.
TOKEN_MAX_AGE = 3600
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# The permission that opens the page (curators hold it); each file also needs its own resource's.
PAGE_PERMISSION = "commitments.change_commitment"


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A .csv file as the API's ?format=csv writes it, or the same table as .xlsx.")
    resource = forms.ChoiceField(
        choices=[("", "Read from the file's header"), *((name, name) for name in RESOURCES)],
        required=False,
        help_text="What the file holds.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
        return upload


def import_view(request):
    """Upload (GET, or POST without a token), preview, and confirm (POST with the preview's token)."""
    if not request.user.has_perm(PAGE_PERMISSION):
        raise PermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        name = Path(form.cleaned_data["file"].name).name
        resource = form.cleaned_data["resource"] or None
        result = import_file(data, name, resource=resource, user=request.user, dry_run=True)
        _keep(data, result)
        return _page(request, form=None, result=result, token=_token(result, resource, request.user))
    return _page(request, form=form)


def _confirm(request):
    try:
        signed = signing.loads(request.POST["token"], salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, "This preview is too old or was altered: upload the file again.")
        return redirect("admin-import")
    if signed["user"] != request.user.pk:
        raise PermissionDenied
    path = UPLOADS / signed["sha256"]
    data = path.read_bytes() if path.exists() else b""
    if Table.digest(data) != signed["sha256"]:
        messages.error(request, "The previewed file is no longer on the server: upload it again.")
        return redirect("admin-import")
    result = import_file(
        data, signed["name"], resource=signed["resource"], user=request.user, expect_plan=signed["plan"]
    )
    if not result.applied:
        notice = (
            "The records changed since the preview: nothing was stored. This is the preview as it is now."
            if result.stale
            else "Nothing was stored: the file has errors."
        )
        messages.error(request, notice)
        return _page(request, form=None, result=result, token=_token(result, signed["resource"], request.user))
    path.unlink(missing_ok=True)
    counts = result.counts()
    messages.success(
        request,
        f"Imported {result.filename}: {counts['create']} created, {counts['change']} changed, "
        f"{counts['unchanged']} unchanged.",
    )
    return redirect("admin:index")


def _keep(data: bytes, result: ImportResult) -> None:
    """Keep the previewed bytes under their digest until the preview is confirmed; forget those too old
    to be confirmed."""
    UPLOADS.mkdir(parents=True, exist_ok=True)
    expired = time.time() - TOKEN_MAX_AGE
    for kept in UPLOADS.iterdir():
        if kept.stat().st_mtime < expired:
            kept.unlink(missing_ok=True)
    (UPLOADS / result.sha256).write_bytes(data)


def _token(result: ImportResult, resource: str | None, user) -> str:
    payload = {
        "sha256": result.sha256,
        "name": result.filename,
        "resource": resource,
        "plan": result.plan_digest(),
        "user": user.pk,
    }
    return signing.dumps(payload, salt=SALT)


def _page(request, *, form, result=None, token=None):
    shown = [row for row in result.rows if row.action != "unchanged"] if result else []
    context = {
        **admin.site.each_context(request),
        "title": "Import",
        "form": form,
        "result": result,
        "rows": shown,
        "counts": result.counts() if result else None,
        "token": token if result and not result.errors else None,
    }
    return TemplateResponse(request, "admin/import/import.html", context)
