"""Fixed choices of an initiative: these never change, so they are enums rather than tables."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.TextChoices):
    STICHTING = "stichting", _("foundation (stichting)")
    VERENIGING = "vereniging", _("association (vereniging)")
    COOPERATIE = "cooperatie", _("cooperative (coöperatie)")
    BV = "bv", _("private company (bv)")
    INFORMEEL = "informeel", _("informal (no legal entity)")


class Status(models.TextChoices):
    ACTIVE = "actief", _("active")
    PAUSED = "gepauzeerd", _("paused")
    STOPPED = "gestopt", _("stopped")


class StopReason(models.TextChoices):
    FUNDING = "financiering", _("lack of funding")
    PEOPLE = "menskracht", _("lack of people")
    GOAL_REACHED = "doel-bereikt", _("goal reached")
    OTHER = "overig", _("other")


class PublicationState(models.TextChoices):
    DRAFT = "concept", _("draft")
    PUBLISHED = "gepubliceerd", _("published")
    ARCHIVED = "gearchiveerd", _("archived")


class VerificationMethod(models.TextChoices):
    PHONE = "telefoon", _("by phone")
    EMAIL = "e-mail", _("by e-mail")
    VISIT = "bezoek", _("by a visit")
    WEBSITE = "website", _("from the website")
    SELF = "zelf", _("confirmed by the initiative itself")
    IMPORT = "import", _("from an imported list")


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("exact (placed on the map or from coordinates)")
    POSTCODE = "postcode", _("approximate (centre of the postcode area)")


class FundingModel(models.TextChoices):
    """How an initiative pays its way, as far as the register knows (registry.survival): not a field,
    a grouping of the funding sources recorded on it."""

    SUBSIDY_ONLY = "alleen-subsidie", _("subsidy only")
    MIXED = "gemengd", _("subsidy and other sources")
    WITHOUT_SUBSIDY = "zonder-subsidie", _("without subsidy")
    UNKNOWN = "onbekend", _("no sources recorded")
