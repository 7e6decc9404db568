"""Yearly figures of an initiative (its business case: income by source, expenses, people, places) and
the evidence of its social value. Validated here, so the admin, the import and the verification link
share one set of rules; aggregated only through registry.figures.

Amounts are whole euros. Whether a year's amounts may be shown is the initiative's own choice, recorded
per year with who recorded it, when and how (`public`, `consent_*`): only then are they on the site or in
the API, and only then do they count in any published aggregate (registry.figures.aggregate).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.initiatives import Initiative
from registry.models.partners import Partner
from registry.validators import EARLIEST_FOUNDED_YEAR, WebAddressField


def validate_amount(value: int) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("An amount cannot be negative (%(value)s); write 0 for none."),
                              code="negative_amount", params={"value": value})


def validate_count(value: Any) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("A number of people or places cannot be negative (%(value)s)."),
                              code="negative_count", params={"value": value})


def validate_share(value: Decimal) -> None:
    if value is not None and not 0 <= value <= 100:
        raise ValidationError(_("A share lies between 0 and 100 per cent; %(value)s does not."),
                              code="invalid_share", params={"value": value})


class Premises(models.TextChoices):
    OWNED = "eigendom", _("owned")
    RENTED = "huur", _("rented")
    FREE = "om-niet", _("used for free")
    NONE = "geen", _("no premises")


class ConsentOrigin(models.TextChoices):
    MAINTAINER = "beheer", _("recorded by a maintainer")
    IMPORT = "import", _("from an imported figures file")
    LINK = "controlelink", _("given by the initiative through its verification link")
    DEMO = "demo", _("demo data")


class EvidenceMethod(models.TextChoices):
    SROI = "sroi", _("social return on investment (SROI)")
    SCBA = "mkba", _("social cost-benefit analysis (MKBA)")
    OWN = "eigen-meting", _("own measurement")
    OTHER = "overig", _("other")


def _amount(label: Any, help_text: Any = "") -> models.IntegerField[Any, Any]:
    return models.IntegerField(label, null=True, blank=True, validators=[validate_amount], help_text=help_text)


def _count(label: Any, help_text: Any = "") -> models.IntegerField[Any, Any]:
    return models.IntegerField(label, null=True, blank=True, validators=[validate_count], help_text=help_text)


# The income fields by funding source, in the order of the funding-source vocabulary (its codes), for
# the indicators, the chart and the aggregates.
INCOME_FIELDS: dict[str, str] = {
    "income_subsidy": "subsidie",
    "income_commissions": "opdrachten",
    "income_funds": "vermogensfondsen",
    "income_crowdfunding": "crowdfunding",
    "income_loans": "lening",
    "income_own": "eigen-inkomsten",
    "income_membership": "contributie",
    "income_donations": "donaties",
    "income_partnerships": "partnerschap",
}
AMOUNT_FIELDS = [*INCOME_FIELDS, "expenses"]
PEOPLE_FIELDS = ["volunteers", "paid_staff_fte", "people_reached", "work_places", "members", "household_share"]


class YearlyFigures(models.Model):
    """One initiative's figures for one calendar year (one record per initiative and year)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="yearly_figures",
                                   verbose_name=_("initiative"))
    year = models.PositiveSmallIntegerField(_("year"))

    income_subsidy = _amount(_("income from subsidy (€)"))
    income_commissions = _amount(_("income from commissions (€)"),
                                 _("Paid work on commission, for example re-integration places or day activities "
                                   "for a municipality or care organisation."))
    commissioning_partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="commissioned_figures",
        verbose_name=_("commissioning partner"), help_text=_("Who commissioned the work, where known."))
    income_funds = _amount(_("income from charitable funds (€)"))
    income_crowdfunding = _amount(_("income from crowdfunding (€)"))
    income_loans = _amount(_("loans received (€)"))
    income_own = _amount(_("own income: sales, rent, catering (€)"))
    income_membership = _amount(_("membership fees (€)"))
    income_donations = _amount(_("donations (€)"))
    income_partnerships = _amount(_("income from partnerships (€)"))
    expenses = _amount(_("total expenses (€)"))

    volunteers = _count(_("volunteers"), _("Number of people volunteering in the year."))
    paid_staff_fte = models.DecimalField(_("paid staff (FTE)"), max_digits=7, decimal_places=2, null=True,
                                         blank=True, validators=[validate_count],
                                         help_text=_("Full-time equivalents, for example 1.6."))
    people_reached = _count(_("people reached in the year"))
    work_places = _count(_("work-experience and re-integration places"))
    members = _count(_("members"))
    household_share = models.DecimalField(_("share of local households that are members (%)"), max_digits=5,
                                          decimal_places=1, null=True, blank=True, validators=[validate_share],
                                          help_text=_("For cooperatives, when known: 0 to 100."))
    premises = models.CharField(_("premises"), max_length=10, choices=Premises.choices, blank=True)

    public = models.BooleanField(
        _("amounts may be published"), default=False,
        help_text=_("The initiative agreed that its amounts of this year are shown on the site and in the API. "
                    "Without it they count in no published figure."))
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True, editable=False)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                            blank=True, editable=False, related_name="+",
                                            verbose_name=_("consent recorded by"))
    consent_origin = models.CharField(_("consent recorded how"), max_length=20, choices=ConsentOrigin.choices,
                                      blank=True, editable=False)
    source = models.CharField(_("source"), max_length=200, blank=True,
                              help_text=_("Where the figures come from: an annual report, a file, the initiative."))

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "year"]
        verbose_name = _("yearly figures")
        verbose_name_plural = _("yearly figures")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "year"], name="yearly_figures_once_per_year"),
            # A safety net under the validators, for writes that bypass them.
            models.CheckConstraint(
                condition=Q(*[Q(**{f"{name}__gte": 0}) | Q(**{f"{name}__isnull": True})
                              for name in [*AMOUNT_FIELDS, "volunteers", "paid_staff_fte", "people_reached",
                                           "work_places", "members"]]),
                name="yearly_figures_not_negative"),
            models.CheckConstraint(
                condition=Q(household_share__isnull=True) | Q(household_share__gte=0, household_share__lte=100),
                name="yearly_figures_share_is_percentage"),
            models.CheckConstraint(condition=Q(year__gte=EARLIEST_FOUNDED_YEAR), name="yearly_figures_year_known"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} – {self.year}" if self.initiative_id else str(self.year)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        this_year = timezone.localdate().year
        if self.year is not None:
            if self.year > this_year:
                errors.setdefault("year", []).append(
                    _("%(year)s lies in the future: figures are for this year (%(this)s) or earlier.")
                    % {"year": self.year, "this": this_year})
            elif self.year < EARLIEST_FOUNDED_YEAR:
                errors.setdefault("year", []).append(_("%(year)s is not a year the register knows.")
                                                     % {"year": self.year})
            elif self.initiative_id is not None:
                founded = self.initiative.founded_year
                if founded and self.year < founded:
                    errors.setdefault("year", []).append(
                        _("%(year)s lies before the initiative was founded (%(founded)s).")
                        % {"year": self.year, "founded": founded})
                elif (YearlyFigures.objects.filter(initiative_id=self.initiative_id, year=self.year)
                      .exclude(pk=self.pk).exists()):
                    errors.setdefault("year", []).append(
                        _("There are already figures for %(year)s for this initiative: change those.")
                        % {"year": self.year})
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Any = None) -> None:
        # One record per year is checked by clean(), with the error on the year (the constraint's own
        # message would name no field); the constraint stays as the safety net.
        super().validate_constraints(exclude={*(exclude or ()), "year"})

    # -- what the figures say -------------------------------------------------------------------

    def income_by_source(self) -> dict[str, int]:
        """Income per funding-source code, the sources that were filled in (0 included)."""
        return {code: getattr(self, name) for name, code in INCOME_FIELDS.items() if getattr(self, name) is not None}

    @property
    def income_total(self) -> int | None:
        amounts = self.income_by_source()
        return sum(amounts.values()) if amounts else None


class SocialValueEvidence(models.Model):
    """Evidence of an initiative's social value: an SROI, a social cost-benefit analysis, its own
    measurement; the result in words and a figure where there is one, who assessed it, the report."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="social_value_evidence",
                                   verbose_name=_("initiative"))
    method = models.CharField(_("method"), max_length=20, choices=EvidenceMethod.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    result = models.TextField(_("result"), help_text=_("What the assessment found, in words."))
    figure = models.DecimalField(_("figure"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 help_text=_("A figure where there is one: for an SROI the euros of social value "
                                             "per euro invested (3.40), for an MKBA the net social value in euros."))
    assessed_by = models.CharField(_("assessed by"), max_length=200, blank=True)
    report_url = WebAddressField(_("report"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "-year"]
        verbose_name = _("evidence of social value")
        verbose_name_plural = _("evidence of social value")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.year}"

    def clean(self) -> None:
        this_year = timezone.localdate().year
        if self.year is None:
            return
        if self.year > this_year:
            raise ValidationError({"year": _("%(year)s lies in the future.") % {"year": self.year}})
        founded = self.initiative.founded_year if self.initiative_id else None
        if self.year < EARLIEST_FOUNDED_YEAR or (founded and self.year < founded):
            raise ValidationError({"year": _("%(year)s lies before the initiative was founded (%(founded)s).")
                                   % {"year": self.year, "founded": founded or EARLIEST_FOUNDED_YEAR}})
