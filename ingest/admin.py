"""The curators' ingest in the admin: a new statement's intake, the review of its suggestions, accept, reject."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from core.admin.filters import BoundedRelatedFilter
from core.admin.history import HistoryAdmin
from core.admin.quotes import quote_in_context
from core.marking import innermost, mark_spans
from core.spans import display_text
from meetings.models import Statement

from .admin_suggestions import decision_form
from .forms import IntakeForm, apply_errors
from .models import Suggestion
from .services import accept_suggestion, accept_suggestions, ingest_statement, reject_suggestion, suggest_for_statement


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


# The admin's home links the intake ("Ingest a new statement"), as the statements' list does.
admin.site.index_template = "admin/ingest/index.html"


@admin.register(Suggestion)
class SuggestionAdmin(HistoryAdmin):
    list_display = ["short_quote", "kind", "statement", "status", "line_of_effort", "thread", "review"]
    list_filter = ["status", "kind", ("statement", BoundedRelatedFilter)]
    search_fields = ["quote", "statement__slug", "statement__title"]
    actions = ["accept_selected", "reject_selected"]

    def get_queryset(self, request):
        # The changelist shows each suggestion's statement, line and pledge: joined, the statement's
        # text (its widest column) left out.
        queryset = super().get_queryset(request).select_related("statement", "line_of_effort", "thread")
        return queryset.defer("statement__text")

    def has_add_permission(self, request):
        return False  # suggestions come from ingesting a statement

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
        quote = display_text(obj.quote)
        return quote if len(quote) <= 90 else quote[:87] + "…"

    @admin.display(description="review")
    def review(self, obj):
        url = reverse("admin:ingest_suggestion_review", args=[obj.statement_id])
        return format_html('<a href="{}#suggestion-{}">in the text</a>', url, obj.pk)

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def intake_view(self, request):
        """Paste or upload a new statement, at a meeting chosen or created: it is stored with its suggestions."""
        if not (self.has_change_permission(request) and request.user.has_perm("meetings.add_statement")):
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
                    source_file=data["text_file"].name[:200] if data.get("text_file") else "",
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except ValueError as exc:
                form.add_error(None, str(exc))
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
            self._context(request, title="Ingest a new statement", form=form),
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
            return HttpResponseRedirect(back)
        ids = [int(i) for i in request.POST.getlist("selected") if i.isdigit()]
        chosen = list(statement.suggestions.pending().filter(pk__in=ids).select_related("statement__meeting"))
        if not chosen:
            self.message_user(request, "Select the suggestions to accept or reject.", messages.WARNING)
        elif "_accept_selected" in request.POST:
            self._accept(request, chosen)
        elif "_reject_selected" in request.POST:
            self._reject(request, chosen)
        return HttpResponseRedirect(back)

    def _accept(self, request, suggestions):
        created, problems = accept_suggestions(suggestions=suggestions, by=request.user)
        if created:
            count = len(created)
            message = ngettext("Accepted %(count)d suggestion.", "Accepted %(count)d suggestions.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
        for suggestion, problem in problems:
            self.message_user(request, f"Not accepted: “{suggestion}”: {problem}", messages.ERROR)

    def _reject(self, request, suggestions):
        for suggestion in suggestions:
            reject_suggestion(suggestion=suggestion, by=request.user)
        count = len(suggestions)
        message = ngettext("Rejected %(count)d suggestion.", "Rejected %(count)d suggestions.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description="Accept the selected suggestions as proposed", permissions=["change"])
    def accept_selected(self, request, queryset):
        self._accept(request, list(queryset.pending().select_related("statement__meeting")))

    @admin.action(description="Reject the selected suggestions", permissions=["change"])
    def reject_selected(self, request, queryset):
        self._reject(request, list(queryset.pending()))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """One suggestion: accept it with the curator's edits, or reject it."""
        suggestion = self.get_object(request, unquote(object_id))
        if suggestion is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, suggestion):
            raise PermissionDenied
        back = reverse("admin:ingest_suggestion_review", args=[suggestion.statement_id])
        form = decision_form(suggestion, request.POST or None) if suggestion.is_pending() else None
        if request.method == "POST" and form is not None:
            if not self.has_change_permission(request, suggestion):
                raise PermissionDenied
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
                form=form,
                in_context=quote_in_context(suggestion),
                review_url=back,
                can_change=self.has_change_permission(request, suggestion),
            ),
        )
