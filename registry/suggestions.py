"""Suggestions from the public and from verification links: what a proposal holds, the record it
would make, and who is told about it.

A proposal (`Suggestion.proposed`) maps model field names to JSON values: text as typed (after the
model's normalisation), codes for the kind, the services and the stop reason, ISO dates. It is
turned into a record exactly as approving it would (`build`), and that record is validated by the
model (`validate`), so the public forms, the queue and the approval share the model's rules and
messages. The state changes themselves (submit, approve, reject) are in registry.actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db.models import Field, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from registry.models import (
    INCOME_FIELDS,
    Initiative,
    Kind,
    LocationPrecision,
    PublicationState,
    Service,
    Status,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    YearlyFigures,
)
from registry.roles import access_for, maintainers_for

logger = logging.getLogger(__name__)

# What a visitor may propose for a new initiative or a correction (the public facts of a record).
PUBLIC_FIELDS = ["name", "kind", "services", "short_description", "website", "email", "phone", "street",
                 "house_number", "postcode", "place", "founded_year"]
# What a report that an initiative stopped holds.
STOP_FIELDS = ["stopped_on", "stop_reason"]
# What an initiative may send of its yearly figures through its verification link.
FIGURE_FIELDS = ["year", *INCOME_FIELDS, "expenses", "volunteers", "paid_staff_fte", "people_reached",
                 "work_places", "members", "household_share", "premises", "public"]
# The source of a record made from an approved suggestion.
SOURCE = "Aanmelding via de website"
# The source of figures sent by the initiative itself.
FIGURES_SOURCE = "Het initiatief zelf (controlelink)"


def fields_for(kind: str) -> list[str]:
    if kind == SuggestionKind.FIGURES:
        return FIGURE_FIELDS
    return STOP_FIELDS if kind == SuggestionKind.STOPPED else PUBLIC_FIELDS


# -- yearly figures from the initiative -------------------------------------------------------------


def build_figures(proposed: dict[str, Any], initiative: Initiative) -> YearlyFigures:
    """The figures approving the proposal would store: that year's record of the initiative with the
    proposed values (or a new one). Not saved and not yet validated."""
    values = {name: _figure_field(name).to_python(value) for name, value in proposed.items()
              if name in FIGURE_FIELDS}
    year = values.get("year")
    stored = (YearlyFigures.objects.filter(initiative_id=initiative.pk, year=year).first()
              if isinstance(year, int) else None)
    record = stored or YearlyFigures(initiative_id=initiative.pk)
    for name, value in values.items():
        setattr(record, name, value)
    record.source = FIGURES_SOURCE
    return record


def _figure_field(name: str) -> Field[Any, Any]:
    field = YearlyFigures._meta.get_field(name)
    assert isinstance(field, Field), "the figures a proposal holds are the record's own fields"
    return field


def figure_rows(suggestion: Suggestion) -> list[dict[str, Any]]:
    """The proposed figures beside that year's stored ones, for the review page."""
    assert suggestion.initiative is not None, "figures are sent for a record"
    year = suggestion.proposed.get("year")
    stored = YearlyFigures.objects.filter(initiative=suggestion.initiative, year=year).first()
    try:
        proposed: YearlyFigures | None = build_figures(suggestion.proposed, suggestion.initiative)
    except ValidationError:
        proposed = None
    result = []
    for name in FIGURE_FIELDS:
        field = _figure_field(name)
        shown = _figure_text(proposed, name) if proposed is not None else str(suggestion.proposed.get(name, "—"))
        current = _figure_text(stored, name)
        result.append({"name": name, "label": str(field.verbose_name), "current": current, "proposed": shown,
                       "changed": current != shown})
    return result


def _figure_text(record: YearlyFigures | None, name: str) -> str:
    if record is None:
        return "—"
    value = getattr(record, name)
    if name == "premises":
        return record.get_premises_display() or "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "—" if value in ("", None) else str(value)


# -- proposals as JSON and back ------------------------------------------------------------------


def read(proposed: dict[str, Any]) -> dict[str, Any]:
    """A proposal's values as the model takes them (a Kind, a list of Services, dates, numbers);
    a code that no longer exists is a validation error on its field."""
    values: dict[str, Any] = {}
    for name, value in proposed.items():
        if name == "kind":
            kind = Kind.objects.filter(code=value).first()
            if kind is None:
                raise ValidationError({"kind": _("The kind “%(code)s” no longer exists.") % {"code": value}})
            values[name] = kind
        elif name == "services":
            found = list(Service.objects.filter(code__in=value or []))  # in the vocabulary's order
            missing = sorted(set(value or []) - {service.code for service in found})
            if missing:
                raise ValidationError({"services": _("These services no longer exist: %(codes)s.")
                                       % {"codes": ", ".join(missing)}})
            values[name] = found
        else:
            values[name] = Initiative.field_named(name).to_python(value)
    return values


def write(record: Initiative, names: list[str]) -> dict[str, Any]:
    """The values of `names` on a record (built or stored) as a proposal holds them."""
    values: dict[str, Any] = {}
    for name in names:
        if name == "kind":
            values[name] = record.kind.code if record.kind_id else ""
        elif name == "services":
            values[name] = sorted(service.code for service in services_of(record))
        else:
            value = getattr(record, name)
            values[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


def services_of(record: Initiative) -> list[Service]:
    """A built record's proposed services, or a stored record's services."""
    proposed = getattr(record, "proposed_services", None)
    if proposed is not None:
        return list(proposed)
    return list(record.services.all()) if record.pk else []


# -- the record a proposal makes -----------------------------------------------------------------


def build(kind: str, proposed: dict[str, Any], initiative: Initiative | None = None) -> Initiative:
    """The record as approving the proposal would leave it: a new published record, or a fresh
    copy of the stored one with the proposal applied. Not saved and not yet validated. Services
    need a saved record, so a built record carries them as `proposed_services`.

    When a correction moves an exactly placed record to another postcode area (PC4), the point
    is taken from the new postcode (and marked approximate): the old point would lie elsewhere.
    """
    values = read(proposed)
    if initiative is None:
        record = Initiative(publication_state=PublicationState.PUBLISHED, source=SOURCE)
        record.proposed_services = []  # type: ignore[attr-defined]  # carried by a built record
    else:
        record = Initiative.objects.select_related("kind").get(pk=initiative.pk)
        record.proposed_services = list(record.services.all())  # type: ignore[attr-defined]  # as above
    if kind == SuggestionKind.STOPPED:
        record.status = Status.STOPPED
    old_postcode = record.postcode
    for name, value in values.items():
        if name == "services":
            record.proposed_services = value  # type: ignore[attr-defined]  # as above
        else:
            setattr(record, name, value)
    moved = (record.postcode or "")[:4] != (old_postcode or "")[:4]
    if initiative is not None and moved and record.location_precision == LocationPrecision.EXACT:
        record.location = None
    return record


def validate(record: Initiative, kind: str, skip: Iterable[str] = ()) -> None:
    """Validate a built record with the model (full_clean) for a public form: the fields the form
    does not show are left out (the stored record is not the visitor's to fix), the location is
    not (it follows from the postcode; its errors belong to the postcode). Raises the model's
    ValidationError; on success the record's municipality and province are derived. `skip`: fields
    the form already found wrong (not checked twice)."""
    shown = {*fields_for(kind), "location", "status"} - set(skip)
    exclude = [field.name for field in Initiative._meta.concrete_fields if field.name not in shown]
    record.full_clean(exclude=exclude)


def changes(record: Initiative, stored: Initiative) -> dict[str, Any]:
    """The public fields in which a built record differs from the stored one, as a proposal."""
    proposed, current = write(record, PUBLIC_FIELDS), write(stored, PUBLIC_FIELDS)
    return {name: value for name, value in proposed.items() if value != current[name]}


# -- showing a proposal --------------------------------------------------------------------------


def display(record: Initiative, name: str) -> str:
    """A field of a record (built or stored) as a maintainer reads it."""
    if name == "services":
        return ", ".join(str(service) for service in services_of(record)) or "—"
    field = Initiative._meta.get_field(name)
    if getattr(field, "choices", None):
        return getattr(record, f"get_{name}_display")() or "—"
    value = getattr(record, name)
    return "—" if value in ("", None) else str(value)


def rows(suggestion: Suggestion) -> list[dict[str, Any]]:
    """The proposal beside the current values, field by field, for the review page: `label`,
    `current` (None for a new initiative), `proposed` and `changed`."""
    if suggestion.kind == SuggestionKind.FIGURES:
        return figure_rows(suggestion)
    names = fields_for(suggestion.kind)
    stored = suggestion.initiative if suggestion.kind != SuggestionKind.NEW else None
    try:
        proposed = build(suggestion.kind, suggestion.proposed, stored)
    except ValidationError:
        proposed = None  # a vocabulary term disappeared: shown as the codes it holds
    if suggestion.kind == SuggestionKind.STOPPED:
        names = ["status", *names]
    result = []
    for name in names:
        label = str(Initiative.field_named(name).verbose_name)
        shown = display(proposed, name) if proposed is not None else str(suggestion.proposed.get(name, "—"))
        current = display(stored, name) if stored is not None else None
        changed = (name in suggestion.proposed or name == "status") if stored is not None else True
        result.append({"name": name, "label": label, "current": current, "proposed": shown,
                       "changed": changed and current != shown})
    return result


def describe(suggestion: Suggestion) -> str:
    """The initiative a suggestion is about, by name."""
    if suggestion.initiative is not None:
        return suggestion.initiative.name
    return str(suggestion.proposed.get("name", ""))


def pending_for(user: Any) -> QuerySet[Suggestion]:
    """The suggestions waiting for review in the user's region (none for a non-maintainer)."""
    return Suggestion.objects.filter(state=SuggestionState.PENDING).filter(access_for(user).region())


# -- telling the editors -------------------------------------------------------------------------


def review_url(suggestion: Suggestion) -> str:
    return settings.SITE_URL + reverse("admin:registry_suggestion_change", args=[suggestion.pk])


def notify_editors(suggestion_id: int) -> int:
    """E-mail the maintainers responsible for the suggestion's region (registry.roles.maintainers_for)
    who want to be told and have an address. Called after the submission is committed; a failure
    is logged, never raised (the suggestion is stored and waits in the queue all the same).
    Returns the number of messages sent."""
    try:
        suggestion = Suggestion.objects.select_related("initiative", "municipality", "province").get(
            pk=suggestion_id)
        recipients = sorted(set(
            maintainers_for(suggestion.municipality_id, suggestion.province_id)
            .filter(notify=True).exclude(user__email="").values_list("user__email", flat=True)))
        if not recipients:
            logger.warning("Suggestion #%s: no maintainer to tell in its region", suggestion_id)
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            region = ", ".join(str(area) for area in (suggestion.municipality, suggestion.province) if area)
            subject = _("[Register] %(kind)s: %(name)s (%(region)s)") % {
                "kind": suggestion.get_kind_display().capitalize(), "name": describe(suggestion), "region": region}
            body = render_to_string("registry/email/suggestion_submitted.txt", {
                "suggestion": suggestion, "name": describe(suggestion), "region": region,
                "review_url": review_url(suggestion),
                "queue_url": settings.SITE_URL + reverse("admin:registry_suggestion_changelist"),
            })
        messages = [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
        return get_connection().send_messages(messages) or 0
    except Exception:
        logger.exception("Suggestion #%s: the e-mail to the editors could not be sent", suggestion_id)
        return 0
