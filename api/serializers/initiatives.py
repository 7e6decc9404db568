from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from api.serializers.common import AreaRefField, ChoiceCodeField, ModelValidatedSerializer, VocabularyField
from registry import actions, figures
from registry.models import (
    EvidenceMethod,
    FundingSource,
    Initiative,
    Kind,
    LegalForm,
    LocationPrecision,
    Partner,
    Partnership,
    PartnershipRole,
    PublicationState,
    Service,
    Status,
    StopReason,
    VerificationMethod,
)
from registry.roles import access_for

POINT_SCHEMA = inline_serializer("GeoJSONPoint", {
    "type": serializers.ChoiceField(choices=["Point"]),
    "coordinates": serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2,
                                         help_text="[longitude, latitude] in WGS84 (RFC 7946)."),
})


@extend_schema_field(POINT_SCHEMA)
class PointField(serializers.Field):
    """A GeoJSON Point (RFC 7946: [lon, lat], WGS84), checked here rather than parsed by GEOS."""

    default_error_messages = {
        # DRF formats these with str.format: the braces of the example are doubled.
        "invalid": _('Expected a GeoJSON Point: {{"type": "Point", "coordinates": [lon, lat]}}.'),
        "range": _("Longitude must lie in -180…180 and latitude in -90…90."),
    }

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(value.x, 6), round(value.y, 6)]}

    def to_internal_value(self, data: Any) -> Point:
        if not isinstance(data, dict) or data.get("type") != "Point":
            self.fail("invalid")
        coordinates = data.get("coordinates")
        if (not isinstance(coordinates, list) or len(coordinates) != 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)):
            self.fail("invalid")
        lon, lat = (float(c) for c in coordinates)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail("range")
        return Point(lon, lat, srid=4326)


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField(required=False, allow_blank=True)
    houseNumber = serializers.CharField(source="house_number", required=False, allow_blank=True)
    postcode = serializers.CharField(required=False, allow_blank=True, help_text="Like 1234 AB.")
    place = serializers.CharField(required=False, allow_blank=True)


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = VocabularyField(read_only=True, list_path="/api/v1/partnerKinds")


class EmbeddedPartnershipSerializer(serializers.Serializer):
    partner = PartnerRefSerializer()
    role = VocabularyField(read_only=True, list_path="/api/v1/partnershipRoles")
    start = serializers.CharField(help_text="A year (2021) or a date (2021-03-15); empty when unknown.")
    end = serializers.CharField(help_text="A year or a date; empty while it lasts.")


class InitiativeFields(serializers.Serializer):
    """The public fields of an initiative, shared by the JSON and GeoJSON forms and by writes."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    location = PointField(required=False, allow_null=True,
                          help_text="Left out on a write: the centre of the postcode area (approximate).")

    slug = serializers.SlugField(required=False, allow_blank=True, max_length=220)
    name = serializers.CharField(max_length=200)
    kind = VocabularyField(queryset=Kind.objects.all(), list_path="/api/v1/kinds")
    services = VocabularyField(queryset=Service.objects.all(), many=True, required=False,
                                list_path="/api/v1/services")
    shortDescription = serializers.CharField(source="short_description", required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    legalForm = ChoiceCodeField(source="legal_form", choices=LegalForm.choices, required=False,
                                 allow_blank=True)
    kvkNumber = serializers.CharField(source="kvk_number", required=False, allow_blank=True)
    foundedYear = serializers.IntegerField(source="founded_year", required=False, allow_null=True)
    status = ChoiceCodeField(choices=Status.choices, required=False)
    stoppedOn = serializers.DateField(source="stopped_on", required=False, allow_null=True)
    stopReason = ChoiceCodeField(source="stop_reason", choices=StopReason.choices, required=False,
                                  allow_blank=True)
    address = AddressSerializer(source="*", required=False)
    municipality = AreaRefField(allow_null=True)
    province = AreaRefField(allow_null=True)
    locationPrecision = serializers.ChoiceField(source="location_precision", read_only=True,
                                                 choices=LocationPrecision.choices)
    website = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    fundingSources = VocabularyField(source="funding_sources", queryset=FundingSource.objects.all(),
                                      many=True, required=False, list_path="/api/v1/fundingSources")
    volunteers = serializers.IntegerField(required=False, allow_null=True)
    paidStaff = serializers.IntegerField(source="paid_staff", required=False, allow_null=True)
    reachPerWeek = serializers.IntegerField(source="reach_per_week", required=False, allow_null=True)
    partnerships = EmbeddedPartnershipSerializer(many=True, read_only=True)
    publicationState = ChoiceCodeField(source="publication_state", choices=PublicationState.choices,
                                        required=False)
    source = serializers.CharField(  # type: ignore[assignment]  # a field: DRF takes it off the class
        required=False, allow_blank=True)
    sourceUrl = serializers.CharField(source="source_url", required=False, allow_blank=True)
    lastVerifiedOn = serializers.DateField(source="last_verified_on", required=False, allow_null=True)
    verificationMethod = ChoiceCodeField(source="verification_method", choices=VerificationMethod.choices,
                                          required=False, allow_blank=True)
    stale = serializers.BooleanField(source="is_stale", read_only=True,
                                     help_text="Running, and not verified in the last 12 months (or never).")
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    def get_url(self, initiative: Initiative) -> str:
        request = self.context["request"]
        # Built once per request: reversing and absolutising per item costs more than the item.
        if not hasattr(request, "_initiatives_url"):
            request._initiatives_url = request.build_absolute_uri(reverse("api:initiative-list"))
        return f"{request._initiatives_url}/{initiative.pk}"


class InitiativeSerializer(ModelValidatedSerializer[Initiative], InitiativeFields):
    """An initiative as JSON; the same serializer validates writes through the model."""

    many_to_many = ("services", "funding_sources")

    class Meta:
        model = Initiative

    def check_access(self, instance: Initiative) -> None:
        access_for(self.acting_user).check_place(instance)

    def save_validated(self, instance: Initiative, links: dict[str, Any]) -> None:
        before = Initiative.objects.get(pk=instance.pk) if instance.pk else None
        actions.save_edit(instance, before, acting_user=self.acting_user, **links)


class InitiativeFeatureSerializer(GeoFeatureModelSerializer, InitiativeFields):
    """An initiative as a GeoJSON Feature (RFC 7946): the point as geometry, the rest as properties."""

    class Meta:
        model = Initiative
        geo_field = "location"
        id_field = "id"
        fields = list(InitiativeFields._declared_fields)


class PartnershipSerializer(ModelValidatedSerializer[Partnership]):
    id = serializers.IntegerField(read_only=True)
    initiative = serializers.PrimaryKeyRelatedField(queryset=Initiative.objects.all())
    partner = serializers.SlugRelatedField(slug_field="slug", queryset=Partner.objects.all())
    role = VocabularyField(queryset=PartnershipRole.objects.all(), list_path="/api/v1/partnershipRoles")
    start = serializers.CharField(required=False, allow_blank=True)
    end = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Partnership

    def check_access(self, instance: Partnership) -> None:
        if not access_for(self.acting_user).can_change(instance.initiative):
            raise DjangoValidationError({"initiative": _("This initiative lies outside your region.")})

    def save_validated(self, instance: Partnership, links: dict[str, Any]) -> None:
        before = Partnership.objects.get(pk=instance.pk) if instance.pk else None
        actions.save_partnership(instance, before, acting_user=self.acting_user)


class FigureIndicatorsSerializer(serializers.Serializer):
    subsidyShare = serializers.FloatField(allow_null=True, help_text="Share of the income from subsidy (0–1).")
    commissionShare = serializers.FloatField(allow_null=True, help_text="Share of the income from commissions (0–1).")
    incomeSources = serializers.IntegerField(help_text="Number of funding sources with income above 0.")
    changeFromPreviousYear = serializers.FloatField(
        allow_null=True, help_text="Relative change of the income against the year before (0.1 = 10% more), "
                                   "when that year is public too.")


class YearlyFiguresSerializer(serializers.Serializer):
    """One public year of an initiative's figures (schema only: the document is made by
    registry.figures.public_document)."""

    year = serializers.IntegerField()
    income = serializers.DictField(child=serializers.IntegerField(allow_null=True),
                                   help_text="Euros by funding-source code (see /fundingSources); null when unknown.")
    incomeTotal = serializers.IntegerField(allow_null=True)
    commissioningPartner = inline_serializer("CommissioningPartner", {
        "slug": serializers.CharField(), "name": serializers.CharField()}, allow_null=True)
    expenses = serializers.IntegerField(allow_null=True)
    volunteers = serializers.IntegerField(allow_null=True)
    paidStaffFte = serializers.FloatField(allow_null=True)
    peopleReached = serializers.IntegerField(allow_null=True)
    workPlaces = serializers.IntegerField(allow_null=True)
    members = serializers.IntegerField(allow_null=True)
    householdShare = serializers.FloatField(allow_null=True, help_text="Per cent of local households (0–100).")
    premises = serializers.CharField(help_text="eigendom, huur, om-niet, geen, or empty.")
    indicators = FigureIndicatorsSerializer()


class SocialValueEvidenceSerializer(serializers.Serializer):
    """One piece of evidence of an initiative's social value (schema only: the document is made by
    registry.figures.evidence_document). Public with its initiative: not an amount of its own money."""

    year = serializers.IntegerField(help_text="The year the assessment is about.")
    method = serializers.ChoiceField([method.value for method in EvidenceMethod], help_text=(
        "sroi (social return on investment), mkba (social cost-benefit analysis), eigen-meting (own "
        "measurement) or overig (other)."))
    result = serializers.CharField(help_text="What the assessment found, in words.")
    figure = serializers.FloatField(allow_null=True, help_text=(
        "A figure where there is one: for an SROI the euros of social value per euro invested, for an MKBA "
        "the net social value in euros."))
    assessedBy = serializers.CharField(help_text="Who assessed it; empty when not recorded.")
    reportUrl = serializers.CharField(help_text="A link to the report; empty when there is none.")


class InitiativeDetailSerializer(InitiativeSerializer):
    """The detail document: the record, with the years whose figures the initiative agreed to publish
    (the read uses the prepared document and registry.figures; this serializer describes it in the
    OpenAPI schema and is the oracle the tests compare it with)."""

    yearlyFigures = serializers.SerializerMethodField(help_text=(
        "The years whose figures the initiative agreed to publish, oldest first (empty when none)."))

    socialValueEvidence = serializers.SerializerMethodField(help_text=(
        "Evidence of the initiative's social value (SROI, social cost-benefit analysis, own measurement), "
        "newest first (empty when none)."))

    @extend_schema_field(YearlyFiguresSerializer(many=True))
    def get_yearlyFigures(self, initiative: Initiative) -> list[dict[str, Any]]:
        return figures.public_document(initiative.pk)

    @extend_schema_field(SocialValueEvidenceSerializer(many=True))
    def get_socialValueEvidence(self, initiative: Initiative) -> list[dict[str, Any]]:
        return figures.evidence_document(initiative.pk)
