"""Partners (municipalities, funds, care organisations ...) and their partnerships with initiatives."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.models import Municipality
from registry.models.initiatives import Initiative, first_free_slug, slug_base
from registry.models.vocabularies import PartnerKind, PartnershipRole
from registry.validators import (
    DigitsField,
    WebAddressField,
    parse_partial_date,
    validate_kvk_number,
    validate_oin,
    validate_partial_date,
)


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, blank=True)
    kind = models.ForeignKey(PartnerKind, on_delete=models.PROTECT, related_name="partners",
                             verbose_name=_("kind"))
    kvk_number = DigitsField(_("KvK number"), max_length=8, blank=True, validators=[validate_kvk_number])
    oin = DigitsField(_("OIN"), max_length=20, blank=True, validators=[validate_oin],
                      help_text=_("Government organisation identification number (20 digits)."))
    website = WebAddressField(_("website"), max_length=300, blank=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="partners", verbose_name=_("municipality"),
                                     help_text=_("Only for a partner that is a municipality."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        is_municipality = self.kind_id is not None and self.kind.code == "gemeente"
        if is_municipality and self.municipality_id is None:
            raise ValidationError({"municipality": _("A partner of kind municipality names its municipality.")})
        if not is_municipality and self.municipality_id is not None:
            raise ValidationError({"municipality": _("Only a partner of kind municipality names a municipality.")})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            base = slug_base(self.name, "partner")
            taken = set(Partner.objects.filter(slug__startswith=base).exclude(pk=self.pk)
                        .values_list("slug", flat=True))
            self.slug = first_free_slug(base, taken)
        super().save(*args, **kwargs)


class Partnership(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="partnerships",
                                   verbose_name=_("initiative"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships",
                                verbose_name=_("partner"))
    role = models.ForeignKey(PartnershipRole, on_delete=models.PROTECT, related_name="partnerships",
                             verbose_name=_("role"))
    start = models.CharField(_("start"), max_length=10, blank=True, validators=[validate_partial_date],
                             help_text=_("A year (2021) or a date (2021-03-15)."))
    end = models.CharField(_("end"), max_length=10, blank=True, validators=[validate_partial_date],
                           help_text=_("A year or a date; empty while it lasts."))
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "partner", "role"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "partner", "role", "start"],
                                    name="partnership_unique_per_period",
                                    violation_error_message=_("This partner already has this role "
                                                              "with this initiative from this start.")),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.role}) – {self.initiative}"

    def clean(self) -> None:
        try:
            start, end = parse_partial_date(self.start), parse_partial_date(self.end)
        except ValueError:
            return  # an empty or malformed value has its own error from the field
        # A year as end means the whole year: 2021–2021 is fine, 2021-06-01–2020 is not.
        end_last_day = end.replace(month=12, day=31) if len(self.end) == 4 else end
        if end_last_day < start:
            raise ValidationError({"end": _("The end lies before the start.")})
