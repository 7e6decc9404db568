"""Pieces every resource uses: vocabulary and area references, and model validation for writes."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.models import Vocabulary
from registry.roles import signed_in

M = TypeVar("M", bound=Model)


class LabelSerializer(serializers.Serializer):
    nl = serializers.CharField(help_text="Dutch label.")
    en = serializers.CharField(help_text="English label.")


class VocabularyRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code.")
    label = LabelSerializer()  # type: ignore[assignment]  # a field: DRF takes it off the class


class AreaRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="CBS code.")
    name = serializers.CharField()


def vocabulary_ref(term: Vocabulary) -> dict[str, Any]:
    return {"code": term.code, "label": {"nl": term.label_nl, "en": term.label_en}}


class VocabularyField(serializers.RelatedField):
    """Shows a vocabulary term as code and labels; takes its code on input."""

    default_error_messages = {
        "unknown": _("Unknown code “%(code)s”; see %(list)s for the codes."),
        "invalid": _("Expected a code (text)."),
    }

    def __init__(self, *, list_path: str, **kwargs: Any) -> None:
        self.list_path = list_path
        super().__init__(**kwargs)

    def to_representation(self, value: Vocabulary) -> dict[str, Any]:  # type: ignore[override]  # never a PKOnlyObject
        return vocabulary_ref(value)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str):
            self.fail("invalid")
        queryset = self.get_queryset()
        assert queryset is not None, "DRF gives every writable related field a queryset"
        try:
            return queryset.get(code=data)
        except ObjectDoesNotExist:
            raise serializers.ValidationError(
                self.error_messages["unknown"] % {"code": data, "list": self.list_path}, code="unknown") from None


class AreaRefField(serializers.RelatedField):
    """A province or municipality shown as code and name; given as its code where writable."""

    default_error_messages = {"unknown": _("Unknown area code “%(code)s”.")}

    def __init__(self, **kwargs: Any) -> None:
        if "queryset" not in kwargs:
            kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, str]:
        return {"code": value.code, "name": value.name}

    def to_internal_value(self, data: Any) -> Model:
        queryset = self.get_queryset()
        assert queryset is not None, "DRF gives every writable related field a queryset"
        try:
            return queryset.get(code=str(data).upper())
        except ObjectDoesNotExist:
            raise serializers.ValidationError(self.error_messages["unknown"] % {"code": data},
                                              code="unknown") from None


@extend_schema_field(OpenApiTypes.STR)
class ChoiceCodeField(serializers.ChoiceField):
    """A fixed choice by its code; an unknown code names the ones allowed."""

    default_error_messages = {"invalid_choice": _("“%(input)s” is not one of: %(choices)s.")}

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if str(data) not in self.choice_strings_to_values:
            raise serializers.ValidationError(
                self.error_messages["invalid_choice"] % {"input": data, "choices": ", ".join(self.choices)},
                code="invalid_choice")
        return self.choice_strings_to_values[str(data)]


class ModelValidatedSerializer(serializers.Serializer[M]):
    """Writes go through the model's own validation (full_clean), as the admin does.

    Field `source`s name model attributes (a group such as `address` uses source="*", so its
    fields arrive flat); model errors are reported under the API's names.
    """

    many_to_many: tuple[str, ...] = ()

    def api_name(self, model_field: str) -> str:
        for name, field in self.fields.items():
            if field.source == model_field:
                return name
            if isinstance(field, serializers.Serializer):
                for inner_name, inner in field.fields.items():
                    if inner.source == model_field:
                        return f"{name}.{inner_name}"
        return "non_field_errors" if model_field == "__all__" else model_field

    def build(self, attrs: dict[str, Any]) -> M:
        instance = self.instance
        if instance is None:
            instance = self.Meta.model()  # type: ignore[attr-defined]  # Meta is declared by each subclass
        for attr, value in attrs.items():
            if attr not in self.many_to_many:
                setattr(instance, attr, value)
        return instance

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.build(attrs)
        try:
            instance.full_clean()
            self.check_access(instance)
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {self.api_name(field): messages for field, messages in error.message_dict.items()}) from None
        self._validated_instance = instance
        return attrs

    def check_access(self, instance: M) -> None:
        """Raise a (Django) ValidationError when the writer's region does not allow these values."""

    @property
    def acting_user(self) -> User:
        """The writer (only signed-in users get past the API's permissions to a write)."""
        return signed_in(self.context["request"].user)

    def save_instance(self) -> M:
        instance = self._validated_instance
        links = {name: self.validated_data[name] for name in self.many_to_many if name in self.validated_data}
        self.save_validated(instance, links)
        return instance

    def save_validated(self, instance: M, links: dict[str, Any]) -> None:
        """Write the validated instance (with the to-many `links` given) through registry.actions."""
        raise NotImplementedError

    def create(self, validated_data: dict[str, Any]) -> M:
        return self.save_instance()

    def update(self, instance: M, validated_data: dict[str, Any]) -> M:
        return self.save_instance()

