"""Serializer building blocks shared by the apps' API modules."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.fields import get_error_detail


def as_drf_error(exc):
    """A model ValidationError as DRF's field-level 400 payload."""
    return serializers.ValidationError(get_error_detail(exc))


class CleanModelSerializer(serializers.ModelSerializer):
    """Writes through the model's full_clean(): the same rules as the admin, field-level 400s, nothing saved."""

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        return self._clean_and_save(instance)

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._clean_and_save(instance)

    @transaction.atomic
    def _clean_and_save(self, instance):
        try:
            instance.full_clean()
            instance.save()
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None
        return instance


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryRecordSerializer(serializers.Serializer):
    """One recorded change: when, who, what kind, and the fields it changed."""

    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    type = serializers.ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    reason = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)
