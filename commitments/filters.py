import django_filters as filters

from tracker.filters import BooleanFilter, YearFilter

from .models import Assessment, ChangeKind, Commitment, ImplementationStatus, Strength, Thread, ThreadEntry


class CommitmentFilter(filters.FilterSet):
    meeting = filters.CharFilter(field_name="statement__meeting__slug", lookup_expr="exact", help_text="Meeting slug.")
    statement = filters.CharFilter(field_name="statement__slug", lookup_expr="exact", help_text="Statement slug.")
    year = YearFilter(field_name="statement__meeting__start_date")
    date_after = filters.DateFilter(
        field_name="statement__meeting__start_date", lookup_expr="gte", help_text="Meetings on or after this date."
    )
    date_before = filters.DateFilter(
        field_name="statement__meeting__start_date", lookup_expr="lte", help_text="Meetings on or before this date."
    )
    line_of_effort = filters.CharFilter(field_name="line_of_effort__slug", lookup_expr="exact")
    thread = filters.CharFilter(method="filter_thread", help_text="Recurring pledge slug.")
    has_thread = BooleanFilter(method="filter_has_thread", help_text="In any recurring pledge, or in none.")
    strength = filters.ChoiceFilter(choices=Strength.choices, lookup_expr="exact")
    change_kind = filters.ChoiceFilter(
        choices=ChangeKind.choices, method="filter_change_kind", help_text="How it changed in any of its threads."
    )
    status = filters.ChoiceFilter(
        choices=ImplementationStatus.choices, method="filter_status", help_text="Status of the newest assessment."
    )
    actor = filters.CharFilter(field_name="actor", lookup_expr="icontains")
    q = filters.CharFilter(
        method="filter_q", help_text="Free text over quote and summary (full-text search on PostgreSQL)."
    )

    class Meta:
        model = Commitment
        fields = []

    # Thread conditions go through a subquery, so a commitment in two threads is listed once.
    def filter_thread(self, queryset, name, value):
        return queryset.filter(pk__in=ThreadEntry.objects.filter(thread__slug=value).values("commitment_id"))

    def filter_has_thread(self, queryset, name, value):
        in_threads = ThreadEntry.objects.values("commitment_id")
        return queryset.filter(pk__in=in_threads) if value else queryset.exclude(pk__in=in_threads)

    def filter_change_kind(self, queryset, name, value):
        return queryset.filter(pk__in=ThreadEntry.objects.filter(change_kind=value).values("commitment_id"))

    def filter_status(self, queryset, name, value):
        return queryset.with_latest_status().filter(latest_status=value)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class ThreadFilter(filters.FilterSet):
    line_of_effort = filters.CharFilter(field_name="line_of_effort__slug", lookup_expr="exact")

    class Meta:
        model = Thread
        fields = []


class AssessmentFilter(filters.FilterSet):
    commitment = filters.CharFilter(field_name="commitment__slug", lookup_expr="exact")
    status = filters.ChoiceFilter(choices=ImplementationStatus.choices, lookup_expr="exact")
    funding_stage = filters.CharFilter(field_name="funding_stage", lookup_expr="exact")
    assessed_after = filters.DateFilter(field_name="assessed_on", lookup_expr="gte")
    assessed_before = filters.DateFilter(field_name="assessed_on", lookup_expr="lte")

    class Meta:
        model = Assessment
        fields = []
