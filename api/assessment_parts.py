"""How the API writes an assessment's parts beside its evidence: per-member scores and money stages
(`commitments.assessment_parts`). Read with their assessment, as its evidence rows are; written by
curators in the admin, where the draft and its rows are reviewed together."""

from rest_framework import serializers

from commitments.models import MemberScore, MoneyStage


class MemberScoreSerializer(serializers.ModelSerializer):
    """One member's score on a collective pledge: -1, 0 or +1 (G7/G20 Research Group)."""

    member = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    evidence = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = MemberScore
        fields = MemberScore.curated_fields(without=("assessment",))


class MoneyStageSerializer(serializers.ModelSerializer):
    """One stage of a pledge's money as the assessment finds it, in the commitment's currency; each stage
    apart (a pledge is never counted as paid)."""

    evidence = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = MoneyStage
        fields = MoneyStage.curated_fields(without=("assessment",))
