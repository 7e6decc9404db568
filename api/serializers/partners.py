from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import AreaRefField, ModelValidatedSerializer, VocabularyField
from geo.models import Municipality
from registry import actions
from registry.models import Partner, PartnerKind


class PartnerSerializer(ModelValidatedSerializer[Partner]):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(required=False, allow_blank=True, max_length=220)
    name = serializers.CharField(max_length=200)
    kind = VocabularyField(queryset=PartnerKind.objects.all(), list_path="/api/v1/partnerKinds")
    kvkNumber = serializers.CharField(source="kvk_number", required=False, allow_blank=True)
    oin = serializers.CharField(required=False, allow_blank=True)
    website = serializers.CharField(required=False, allow_blank=True)
    municipality = AreaRefField(queryset=Municipality.objects.current(), allow_null=True, required=False,
                                help_text="Only for a partner that is a municipality: its CBS code on input.")
    initiativeCount = serializers.IntegerField(source="initiative_count", read_only=True,
                                               help_text="Published initiatives this partner works with.")

    class Meta:
        model = Partner

    def save_validated(self, instance: Partner, links: dict[str, Any]) -> None:
        before = Partner.objects.get(pk=instance.pk) if instance.pk else None
        actions.save_partner(instance, before, acting_user=self.acting_user)
