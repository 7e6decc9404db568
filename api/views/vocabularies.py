from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from api.serializers.vocabularies import VocabularySerializer
from registry.models import FundingSource, Kind, PartnerKind, PartnershipRole, Service, Vocabulary


class VocabularyViewSet(viewsets.ReadOnlyModelViewSet):
    """A vocabulary: its terms with stable codes and Dutch and English labels."""

    serializer_class = VocabularySerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    pagination_class = None
    model: type[Vocabulary]

    def get_queryset(self) -> QuerySet[Vocabulary]:
        return self.model._default_manager.order_by("order", "code")


def vocabulary_viewset(model: type[Vocabulary], description: str) -> type[VocabularyViewSet]:
    return type(f"{model.__name__}ViewSet", (VocabularyViewSet,), {"model": model, "__doc__": description})


KindViewSet = vocabulary_viewset(Kind, "Kinds of initiative.")
ServiceViewSet = vocabulary_viewset(Service, "Services an initiative offers.")
PartnerKindViewSet = vocabulary_viewset(PartnerKind, "Kinds of partner.")
PartnershipRoleViewSet = vocabulary_viewset(PartnershipRole, "Roles a partner plays for an initiative.")
FundingSourceViewSet = vocabulary_viewset(FundingSource, "How initiatives are financed.")
