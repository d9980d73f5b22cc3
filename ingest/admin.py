"""The curators' ingest in the admin: a new statement's intake, the review of its suggestions, accept, reject."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from commitments.models import Commitment, ThreadEntry
from core.admin.filters import BoundedRelatedFilter
from core.admin.history import HistoryAdmin
from core.admin.quotes import quote_in_context
from core.marking import innermost, mark_spans
from core.spans import display_text
from meetings.models import Statement

from .admin_suggestions import decision_form
from .forms import IntakeForm, apply_errors
from .models import Suggestion, SuggestionStatus
from .proposal import as_proposed
from .services import (
    accept_suggestion,
    accept_suggestions,
    ingest_statement,
    reject_suggestion,
    reopen_suggestion,
    suggest_for_statement,
)


def highlighted_text(text, suggestions):
    """The statement's text with each suggested span marked and linked to its suggestion.

    Spans may overlap (a figure inside a commitment): each piece is marked with the classes of all
    the spans covering it and linked to the shortest (`core.marking.mark_spans`).
    """
    return mark_spans(text, suggestions, _suggested_piece)


def _suggested_piece(piece, covering):
    target = innermost(covering)
    classes = " ".join(sorted({f"kind-{s.kind}" for s in covering} | {f"status-{s.status}" for s in covering}))
    return format_html(
        '<a class="span {}" href="#suggestion-{}" title="{}">{}</a>',
        classes,
        target.pk,
        f"{target.get_kind_display()} · {target.get_status_display()}",
        piece,
    )


def shortened(quote, length=90):
    """A quote on one line, cut to `length` characters."""
    quote = display_text(quote)
    return quote if len(quote) <= length else quote[: length - 3] + "…"


def _accepted_message(suggestion, record, placed, proposal):
    """What accepting as proposed did with one suggestion: the record created, the pledge it went in or why none."""
    name = getattr(record, "slug", record)
    created = f"“{shortened(suggestion.quote, 60)}”: created the {record._meta.verbose_name} “{name}”"
    if not isinstance(record, Commitment):
        return f"{created}."
    entry = placed.get(record.pk)
    if entry is not None:
        return f"{created}, placed in the pledge “{entry.thread.title}” ({entry.get_change_kind_display().lower()})."
    return f"{created}, placed in no pledge: {proposal.no_pledge_because or 'none was preselected'}."


# The admin's home links the intake ("Ingest a new statement"), as the statements' list does.
admin.site.index_template = "admin/ingest/index.html"


@admin.register(Suggestion)
class SuggestionAdmin(HistoryAdmin):
    list_display = ["short_quote", "kind", "statement", "status", "line_of_effort", "thread", "review"]
    list_filter = ["status", "kind", ("statement", BoundedRelatedFilter)]
    search_fields = ["quote", "statement__slug", "statement__title"]
    actions = ["accept_selected", "reject_selected", "reopen_selected"]

    def get_queryset(self, request):
        # The changelist shows each suggestion's statement, line and pledge: joined, the statement's
        # text (its widest column) left out.
        queryset = super().get_queryset(request).select_related("statement", "line_of_effort", "thread")
        return queryset.defer("statement__text")

    def has_add_permission(self, request):
        # Suggestions come from ingesting a statement: the app list's "Add" beside them leads to the intake.
        return self.has_change_permission(request) and request.user.has_perm("meetings.add_statement")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:ingest_suggestion_intake"))

    def has_delete_permission(self, request, obj=None):
        return False  # a decision is kept; undecided ones are replaced by suggesting again

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("ingest/", view(self.intake_view), name="ingest_suggestion_intake"),
            path("review/<int:statement_id>/", view(self.review_view), name="ingest_suggestion_review"),
            *super().get_urls(),
        ]

    @admin.display(description="quote")
    def short_quote(self, obj):
        return shortened(obj.quote)

    @admin.display(description="review")
    def review(self, obj):
        url = reverse("admin:ingest_suggestion_review", args=[obj.statement_id])
        return format_html('<a href="{}#suggestion-{}">in the text</a>', url, obj.pk)

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def _form_context(self, form):
        """The form as the admin's own pages draw it: its fieldsets, widgets' media and error note."""
        adminform = helpers.AdminForm(form, form.fieldsets(), {})
        return {"form": form, "adminform": adminform, "media": self.media + adminform.media, "errors": form.errors}

    def intake_view(self, request):
        """Paste or upload a new statement, at a meeting chosen or created: it is stored with its suggestions."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntakeForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = ingest_statement(
                    text=data["text"],
                    meeting=data["meeting"],
                    new_meeting=data["new_meeting"],
                    slug=data["slug"],
                    title=data["title"],
                    kind=data["kind"],
                    issuer=data["issuer"],
                    publisher=data["publisher"],
                    source_url=data["source_url"],
                    source_file=data["source_file"],
                )
            except (ValidationError, ValueError) as exc:
                apply_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
                if data["source_file"]:
                    form.keep_upload(data["source_file"], data["text"])
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Stored “%(statement)s” with %(count)d suggestion to review.",
                        "Stored “%(statement)s” with %(count)d suggestions to review.",
                        result.created,
                    )
                    % {"statement": result.statement, "count": result.created},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:ingest_suggestion_review", args=[result.statement.pk]))
        return TemplateResponse(
            request,
            "admin/ingest/suggestion/intake.html",
            self._context(request, title="Ingest a new statement", **self._form_context(form)),
        )

    def review_view(self, request, statement_id):
        """A statement's text with every suggested span marked, beside the suggestions to accept or reject."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = get_object_or_404(Statement.objects.select_related("meeting"), pk=statement_id)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            return self._review_post(request, statement)
        suggestions = list(statement.suggestions.for_review())
        for suggestion in suggestions:
            suggestion.proposal = as_proposed(suggestion) if suggestion.is_pending() else None
        pending = [s for s in suggestions if s.is_pending()]
        return TemplateResponse(
            request,
            "admin/ingest/suggestion/review.html",
            self._context(
                request,
                title=f"Suggestions for “{statement}”",
                statement=statement,
                suggestions=suggestions,
                pending_count=len(pending),
                highlighted=highlighted_text(statement.text, suggestions),
                can_change=self.has_change_permission(request),
            ),
        )

    def _review_post(self, request, statement):
        back = reverse("admin:ingest_suggestion_review", args=[statement.pk])
        if "_resuggest" in request.POST:
            self._resuggest(request, statement)
            return HttpResponseRedirect(back)
        if "_reopen" in request.POST:
            pk = request.POST["_reopen"]
            self._reopen(request, list(statement.suggestions.filter(pk=pk)) if pk.isdigit() else [])
            return HttpResponseRedirect(f"{back}#suggestion-{pk}")
        ids = [int(i) for i in request.POST.getlist("selected") if i.isdigit()]
        chosen = statement.suggestions.pending().filter(pk__in=ids)
        chosen = list(
            chosen.select_related("statement__meeting", "line_of_effort", "thread", "member", "evidence_for")
        )  # what as_proposed reads
        if not chosen:
            self.message_user(request, "Select the suggestions to accept or reject.", messages.WARNING)
        elif "_accept_selected" in request.POST:
            self._accept(request, chosen)
        elif "_reject_confirmed" in request.POST:
            self._reject(request, chosen, note=request.POST.get("decision_note", ""))
        elif "_reject_selected" in request.POST:
            hidden = [("selected", s.pk) for s in chosen]
            return self._confirm_reject(request, chosen, hidden, back=back, statement=statement)
        return HttpResponseRedirect(back)

    def _resuggest(self, request, statement):
        result = suggest_for_statement(statement=statement)
        self.message_user(
            request,
            ngettext(
                "Suggested again: %(count)d suggestion to review; ",
                "Suggested again: %(count)d suggestions to review; ",
                result.created,
            )
            % {"count": result.created}
            + ngettext(
                "%(count)d span already decided was not suggested again.",
                "%(count)d spans already decided were not suggested again.",
                result.skipped,
            )
            % {"count": result.skipped},
            messages.SUCCESS,
        )

    def _confirm_reject(self, request, suggestions, hidden, *, back, statement=None):
        """The page a bulk reject asks on first, as the admin's delete_selected does: how many, which."""
        count = len(suggestions)
        title = ngettext("Reject %(count)d suggestion?", "Reject %(count)d suggestions?", count) % {"count": count}
        return TemplateResponse(
            request,
            "admin/ingest/suggestion/reject_confirmation.html",
            self._context(
                request,
                title=title,
                suggestions=suggestions,
                hidden=hidden,
                back=back,
                statement=statement,
            ),
        )

    def _accept(self, request, suggestions):
        """Accept as proposed, then say what was done with each: the record, the pledge it went in or why none."""
        proposals = {s.pk: as_proposed(s) for s in suggestions}
        accepted, problems = accept_suggestions(suggestions=suggestions, by=request.user)
        if accepted:
            count = len(accepted)
            message = ngettext("Accepted %(count)d suggestion.", "Accepted %(count)d suggestions.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
        commitments = [record for _, record in accepted if isinstance(record, Commitment)]
        entries = ThreadEntry.objects.filter(commitment__in=commitments).select_related("thread")
        placed = {entry.commitment_id: entry for entry in entries}
        for suggestion, record in accepted:
            self.message_user(request, _accepted_message(suggestion, record, placed, proposals[suggestion.pk]))
        for suggestion, problem in problems:
            self.message_user(request, f"Not accepted: “{suggestion}”: {problem}", messages.ERROR)

    def _reject(self, request, suggestions, note=""):
        for suggestion in suggestions:
            reject_suggestion(suggestion=suggestion, by=request.user, note=note)
        count = len(suggestions)
        message = ngettext(
            "Rejected %(count)d suggestion. A rejection can be reopened.",
            "Rejected %(count)d suggestions. A rejection can be reopened.",
            count,
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    def _reopen(self, request, suggestions):
        reopened = 0
        for suggestion in suggestions:
            try:
                reopen_suggestion(suggestion=suggestion, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"Not reopened: “{suggestion}”: {'; '.join(exc.messages)}", messages.ERROR)
            else:
                reopened += 1
        if reopened:
            message = ngettext(
                "Reopened %(count)d suggestion: it is to review again.",
                "Reopened %(count)d suggestions: they are to review again.",
                reopened,
            )
            self.message_user(request, message % {"count": reopened}, messages.SUCCESS)

    @admin.action(description="Accept the selected suggestions as proposed", permissions=["change"])
    def accept_selected(self, request, queryset):
        self._accept(
            request,
            list(
                queryset.pending().select_related(
                    "statement__meeting", "line_of_effort", "thread", "member", "evidence_for"
                )
            ),
        )

    @admin.action(description="Reject the selected suggestions…", permissions=["change"])
    def reject_selected(self, request, queryset):
        """Asks first (the page lists them and how many); rejects on the confirmation's post."""
        chosen = list(queryset.pending().select_related("statement"))
        if not chosen:
            self.message_user(request, "None of the selected suggestions is to review.", messages.WARNING)
            return None
        if request.POST.get("post") == "yes":
            self._reject(request, chosen, note=request.POST.get("decision_note", ""))
            return None
        hidden = [(helpers.ACTION_CHECKBOX_NAME, s.pk) for s in chosen]
        hidden += [("action", "reject_selected"), ("post", "yes")]
        return self._confirm_reject(request, chosen, hidden, back=request.get_full_path())

    @admin.action(description="Reopen the selected rejected suggestions", permissions=["change"])
    def reopen_selected(self, request, queryset):
        self._reopen(request, list(queryset.filter(status=SuggestionStatus.REJECTED)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """One suggestion: accept it with the curator's edits, or reject it."""
        suggestion = self.get_object(request, unquote(object_id))
        if suggestion is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, suggestion):
            raise PermissionDenied
        back = reverse("admin:ingest_suggestion_review", args=[suggestion.statement_id])
        form = decision_form(suggestion, request.POST or None) if suggestion.is_pending() else None
        if request.method == "POST" and not self.has_change_permission(request, suggestion):
            raise PermissionDenied
        if request.method == "POST" and "_reopen" in request.POST:
            self._reopen(request, [suggestion])
            return HttpResponseRedirect(reverse("admin:ingest_suggestion_change", args=[suggestion.pk]))
        if request.method == "POST" and form is not None:
            if "_reject" in request.POST:
                reject_suggestion(suggestion=suggestion, by=request.user, note=request.POST.get("decision_note", ""))
                self.message_user(request, f"Rejected “{suggestion}”.", messages.SUCCESS)
                return HttpResponseRedirect(f"{back}#suggestion-{suggestion.pk}")
            if form.is_valid():
                try:
                    record = accept_suggestion(suggestion=suggestion, by=request.user, changes=form.changes())
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    created = getattr(record, "slug", record)  # a participation has no slug
                    self.message_user(request, f"Accepted: created “{created}”.", messages.SUCCESS)
                    return HttpResponseRedirect(f"{back}#suggestion-{suggestion.pk}")
        return TemplateResponse(
            request,
            "admin/ingest/suggestion/decide.html",
            self._context(
                request,
                title=f"Suggestion: {suggestion}",
                suggestion=suggestion,
                **(self._form_context(form) if form is not None else {}),
                proposal=as_proposed(suggestion) if form is not None else None,
                in_context=quote_in_context(suggestion),
                review_url=back,
                can_change=self.has_change_permission(request, suggestion),
            ),
        )
