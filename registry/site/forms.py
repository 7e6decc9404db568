"""The public forms: a new initiative, a correction, a report that an initiative stopped.

Every rule and message is the model's own: a form turns its values into a proposal, builds the
record that approving it would make (registry.suggestions.build) and lets the model validate it
(full_clean, without the fields the form does not show). Spam is kept out without third parties:
a honeypot field, a signed time stamp (a form sent within seconds of loading is a robot's), and a
limit per client address (registry.site.contribute).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from registry import suggestions
from registry.importing.figures import euros
from registry.importing.values import CellError
from registry.models import (
    AMOUNT_FIELDS,
    INCOME_FIELDS,
    Initiative,
    Kind,
    Service,
    StopReason,
    SuggestionKind,
    YearlyFigures,
)
from registry.site.design import DesignedBoundField

HONEYPOT = "homepage"
STARTED_SALT = "registry.site.forms.started"
# A form's time stamp is good for a day: a robot cannot keep reusing one.
FORM_VALID_SECONDS = 24 * 3600
# A person needs longer than this to fill in a form; a robot does not (patched in tests).
FILL_SECONDS = 3.0


def started_token() -> str:
    return signing.dumps(time.time(), salt=STARTED_SALT)


class PublicForm(forms.Form):
    """The parts every public form shares: the honeypot, the time stamp, the message and the
    submitter's private contact details."""

    bound_field_class = DesignedBoundField  # the design system's class names on the controls
    homepage = forms.CharField(required=False, label=_("Leave this field empty"),
                               widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Message for the editors"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything the editors should know, such as where you found this information. Not published."))
    submitter_name = forms.CharField(label=_("Your name"), required=False, max_length=200,
                                     widget=forms.TextInput(attrs={"autocomplete": "name"}))
    submitter_email = forms.EmailField(
        label=_("Your e-mail address"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Your name and address are only for questions about this suggestion: they are never "
                    "published nor passed on."))

    # The fields in the order the template shows them, by group (legend, names); set by subclasses.
    groups: list[tuple[Any, list[str]]] = []
    contact_fields = ["message", "submitter_name", "submitter_email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = started_token()
        self.proposal: dict[str, Any] = {}

    def is_spam(self) -> bool:
        """The honeypot is filled in: only a robot sees that field."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        try:
            started = float(signing.loads(self.data.get("started", ""), salt=STARTED_SALT, max_age=FORM_VALID_SECONDS))
        except (signing.BadSignature, TypeError, ValueError):
            assert isinstance(self.data, dict), "a form's data is a QueryDict (or a dict)"
            self.data = self.data.copy()
            self.data["started"] = started_token()
            raise ValidationError(_("Something went wrong with this form; please check it and send it again."),
                                  code="no_time_stamp") from None
        if time.time() - started < FILL_SECONDS:
            raise ValidationError(_("That was very fast; please check the form and send it again."),
                                  code="too_fast")
        return cleaned

    def contact(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.contact_fields}

    # -- the model validates ----------------------------------------------------------------------

    suggestion_kind: str = SuggestionKind.NEW
    initiative: Initiative | None = None

    def as_proposal(self) -> dict[str, Any]:
        """The valid values of the fields a proposal holds, as JSON."""
        proposal: dict[str, Any] = {}
        for name in suggestions.fields_for(self.suggestion_kind):
            if name not in self.cleaned_data or name in self.errors:
                continue
            value = self.cleaned_data[name]
            if name == "kind":
                value = value.code if value else ""
            elif name == "services":
                value = sorted(service.code for service in value)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            proposal[name] = value
        return proposal

    def _post_clean(self) -> None:
        try:
            record = suggestions.build(self.suggestion_kind, self.as_proposal(), self.initiative)
            suggestions.validate(record, self.suggestion_kind, skip=set(self.errors))
        except ValidationError as error:
            self.add_model_errors(error)
            return
        if self.suggestion_kind == SuggestionKind.NEW:
            self.proposal = suggestions.write(record, suggestions.PUBLIC_FIELDS)
        elif self.suggestion_kind == SuggestionKind.CORRECTION:
            assert self.initiative is not None
            self.proposal = suggestions.changes(record, self.initiative)
            if not self.proposal and not self.cleaned_data.get("message"):
                self.add_error(None, ValidationError(
                    _("Nothing was changed: change a value, or write what is wrong in the message."),
                    code="no_change"))
        else:
            self.proposal = self.as_proposal()

    def add_model_errors(self, error: ValidationError) -> None:
        """The model's errors on the form's fields; the location's on the postcode it came from."""
        for name, messages in error.message_dict.items():
            if name == "location" and "postcode" in self.fields:
                if "postcode" in self.errors:
                    continue  # no point without a valid postcode: its own error says why
                name = "postcode"
            elif name not in self.fields or name in self.errors:
                name = NON_FIELD_ERRORS
            self.add_error(None if name == NON_FIELD_ERRORS else name, messages)

    # -- for the template ---------------------------------------------------------------------------

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.groups]

    def error_links(self) -> list[tuple[str, str, str]]:
        """(target id, label, message) for the summary of errors at the top of the form."""
        links: list[tuple[str, str, str]] = []
        order = [name for _legend, names in self.groups for name in names] + self.contact_fields
        for name in sorted(self.errors, key=lambda name: order.index(name) if name in order else len(order)):
            if name == NON_FIELD_ERRORS:
                continue
            field, errors = self[name], self.errors[name]
            target = field.id_for_label or f"{field.auto_id}_0"  # a group of options: its first
            links.extend((target, str(field.label), str(message)) for message in errors)
        return links


class InitiativeForm(PublicForm):
    """A new initiative ("Meld een initiatief aan") or a correction of a published one."""

    groups = [
        (_("The initiative"), ["name", "kind", "services", "short_description", "founded_year"]),
        (_("Address"), ["street", "house_number", "postcode", "place"]),
        (_("Public contact details of the organisation"), ["website", "email", "phone"]),
    ]

    def __init__(self, *args: Any, initiative: Initiative | None = None, **kwargs: Any) -> None:
        self.initiative = initiative
        self.suggestion_kind = SuggestionKind.NEW if initiative is None else SuggestionKind.CORRECTION
        if initiative is not None:
            kwargs.setdefault("initial", suggestions.write(initiative, suggestions.PUBLIC_FIELDS))
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            Initiative, fields=[name for name in suggestions.PUBLIC_FIELDS if name not in ("kind", "services")],
            widgets={"short_description": forms.Textarea(attrs={"rows": 3}),
                     "founded_year": forms.TextInput(attrs={"class": "short", "inputmode": "numeric"}),
                     "house_number": forms.TextInput(attrs={"class": "short"}),
                     "postcode": forms.TextInput(attrs={"class": "short", "autocomplete": "postal-code"})})
        model_fields["kind"] = forms.ModelChoiceField(
            Kind.objects.all(), to_field_name="code", label=Initiative._meta.get_field("kind").verbose_name,
            widget=forms.RadioSelect, empty_label=None)
        model_fields["services"] = forms.ModelMultipleChoiceField(
            Service.objects.all(), to_field_name="code", required=False,
            label=Initiative._meta.get_field("services").verbose_name, widget=forms.CheckboxSelectMultiple,
            help_text=_("What the initiative offers; choose all that apply."))
        for name, field in model_fields.items():
            field.label = capfirst(field.label)
            self.fields[name] = field
        # The location follows from the postcode: a public form has no map.
        self.fields["postcode"].required = True
        self.fields["postcode"].help_text = _("Like 1234 AB. The initiative is shown at the centre of its "
                                              "postcode area.")
        self.fields["founded_year"].help_text = _("The year the initiative started, if you know it.")
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class StopForm(PublicForm):
    """The initiative reports that it stopped (from its verification link)."""

    suggestion_kind = SuggestionKind.STOPPED
    groups = [(_("When and why"), ["stopped_on", "stop_reason"])]

    stopped_on = forms.DateField(label=_("Date the initiative stopped"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text=_("An estimate is fine."))
    stop_reason = forms.ChoiceField(label=_("Main reason"), widget=forms.RadioSelect,
                                    choices=[(code, capfirst(label)) for code, label in StopReason.choices])

    def __init__(self, *args: Any, initiative: Initiative, **kwargs: Any) -> None:
        self.initiative = initiative
        super().__init__(*args, **kwargs)


class AmountField(forms.Field):
    """Whole euros as people write them: 4500, 4.500, € 4.500,00 (registry.importing.figures.euros)."""

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return euros(text)
        except CellError as error:
            raise ValidationError(str(error), code="invalid") from None


class FiguresForm(PublicForm):
    """The initiative sends its figures for a year (from its verification link): checked by the
    model's rules (YearlyFigures.full_clean), then waiting for an editor as a suggestion."""

    suggestion_kind = SuggestionKind.FIGURES
    groups = [
        (_("Year"), ["year"]),
        (_("Income in euros, by source"), list(INCOME_FIELDS)),
        (_("Expenses"), ["expenses"]),
        (_("People and places"), ["volunteers", "paid_staff_fte", "people_reached", "work_places", "members",
                                  "household_share", "premises"]),
        (_("Publication"), ["public"]),
    ]

    def __init__(self, *args: Any, initiative: Initiative, **kwargs: Any) -> None:
        self.initiative = initiative
        this_year = timezone.localdate().year
        # What the register holds for this year is shown to be corrected: the form states a year's figures
        # as a whole (an emptied field is cleared on approval).
        stored = YearlyFigures.objects.filter(initiative=initiative, year=this_year).first()
        if stored is not None:
            kwargs.setdefault("initial", {name: getattr(stored, name) for name in suggestions.FIGURE_FIELDS})
        super().__init__(*args, **kwargs)
        first = max(initiative.founded_year or this_year - 5, this_year - 5)
        self.fields["year"] = forms.TypedChoiceField(
            label=capfirst(YearlyFigures._meta.get_field("year").verbose_name), coerce=int,
            choices=[(year, str(year)) for year in range(this_year, first - 1, -1)], initial=this_year)
        numeric = {"class": "short", "inputmode": "numeric"}
        model_fields = forms.fields_for_model(
            YearlyFigures, fields=[name for name in suggestions.FIGURE_FIELDS if name != "year"],
            widgets={**{name: forms.TextInput(attrs=numeric) for name in suggestions.FIGURE_FIELDS
                        if name not in ("premises", "public", "paid_staff_fte", "household_share")},
                     "paid_staff_fte": forms.TextInput(attrs={"class": "short", "inputmode": "decimal"}),
                     "household_share": forms.TextInput(attrs={"class": "short", "inputmode": "decimal"})})
        for name, field in model_fields.items():
            if name in AMOUNT_FIELDS:  # € 4.500 as people write it
                field = AmountField(required=False, label=field.label, help_text=field.help_text,
                                    widget=forms.TextInput(attrs=numeric))
            elif isinstance(field, forms.DecimalField):
                field.localize = True  # 1,6 in Dutch, 1.6 in English
            field.label = capfirst(field.label)
            if isinstance(field, forms.IntegerField | forms.DecimalField):
                field.min_value = None  # the model says what is wrong with a negative number
                field.validators = []
            self.fields[name] = field
        self.fields["public"].label = _("You may publish our amounts for this year on the register's site and "
                                        "in its open data")
        self.fields["public"].help_text = _("Without this, your amounts are seen only by the register's editors "
                                            "and count in no published total.")

    def _post_clean(self) -> None:
        proposal: dict[str, Any] = {}
        for name in suggestions.FIGURE_FIELDS:
            if name in self.cleaned_data and name not in self.errors:
                value = self.cleaned_data[name]
                proposal[name] = str(value) if isinstance(value, Decimal) else value
        assert self.initiative is not None
        try:
            record = suggestions.build_figures(proposal, self.initiative)
            record.full_clean(exclude=[name for name in self.errors])
        except ValidationError as error:
            self.add_model_errors(error)
            return
        self.proposal = proposal
