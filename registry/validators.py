"""Field rules shared by every way in (admin, API, import, public forms): they live on the model."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.postcodes import InvalidPostcode, normalise_postcode

EARLIEST_FOUNDED_YEAR = 1800
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2}))?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*$")

def validate_kvk_number(value: str) -> None:
    if not re.fullmatch(r"[0-9]{8}", value or ""):
        raise ValidationError(_("A KvK number has exactly 8 digits, for example 12345678; “%(value)s” does not."),
                              code="invalid_kvk", params={"value": value})


def validate_oin(value: str) -> None:
    if not re.fullmatch(r"[0-9]{20}", value or ""):
        raise ValidationError(_("An OIN has exactly 20 digits; “%(value)s” does not."),
                              code="invalid_oin", params={"value": value})


def validate_postcode(value: str) -> None:
    try:
        normalise_postcode(value, allow_pc4=True)
    except InvalidPostcode as error:
        raise ValidationError(str(error), code="invalid_postcode") from None


def validate_founded_year(value: int) -> None:
    this_year = timezone.localdate().year
    if not EARLIEST_FOUNDED_YEAR <= value <= this_year:
        raise ValidationError(
            _("The founding year must lie between %(earliest)s and %(latest)s; %(value)s does not."),
            code="invalid_year", params={"earliest": EARLIEST_FOUNDED_YEAR, "latest": this_year, "value": value})


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    if not _PHONE.match(value or "") or not 10 <= len(digits) <= 13:
        raise ValidationError(
            _("“%(value)s” is not a phone number: use 10 digits (e.g. 030 123 4567) or +31 and 9 digits."),
            code="invalid_phone", params={"value": value})


validate_web_url = URLValidator(schemes=["http", "https"],
                                message=_("Enter a full web address starting with https:// or http://."))


def parse_partial_date(value: str) -> datetime.date:
    """`YYYY` or `YYYY-MM-DD` (ISO 8601 with reduced precision) as the first day it can mean."""
    match = _PARTIAL_DATE.match(value or "")
    if not match:
        raise ValueError(value)
    year = int(match.group(1))
    if match.group(2) is None:
        return datetime.date(year, 1, 1)
    return datetime.date(year, int(match.group(2)), int(match.group(3)))


def validate_partial_date(value: str) -> None:
    try:
        day = parse_partial_date(value)
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a year (2021) or a date (2021-03-15)."),
                              code="invalid_partial_date", params={"value": value}) from None
    if day.year < EARLIEST_FOUNDED_YEAR:
        raise ValidationError(_("“%(value)s” lies before %(earliest)s."), code="invalid_partial_date",
                              params={"value": value, "earliest": EARLIEST_FOUNDED_YEAR})


def without_length_limit(field: Any) -> Any:
    """A form field for a value the model normalises first (drops spaces): the model checks the length."""
    field.max_length = None
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs.pop("maxlength", None)
    return field


class PostcodeField(models.CharField):
    """A Dutch postcode, stored normalised as `1234 AB` (or `1234` when only the PC4 is known)
    whatever spacing or case was typed."""

    default_validators = [validate_postcode]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalise_postcode(value, allow_pc4=True)
        except InvalidPostcode:
            return value  # left as typed; the validator explains what is wrong

    def formfield(self, form_class: type[forms.Field] | None = None,
                  choices_form_class: type[forms.ChoiceField] | None = None, **kwargs: Any) -> forms.Field | None:
        return without_length_limit(super().formfield(form_class=form_class, choices_form_class=choices_form_class,
                                                      **kwargs))


class DigitsField(models.CharField):
    """A number that is an identifier (KvK, OIN): spaces and dots people type are dropped."""

    def formfield(self, form_class: type[forms.Field] | None = None,
                  choices_form_class: type[forms.ChoiceField] | None = None, **kwargs: Any) -> forms.Field | None:
        return without_length_limit(super().formfield(form_class=form_class, choices_form_class=choices_form_class,
                                                      **kwargs))

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return re.sub(r"[\s.]", "", value) if value else value


class WebAddressFormField(forms.URLField):
    default_validators = [validate_web_url]
    # A form field replaces a validator's message by its own for the same code.
    default_error_messages = {"invalid": validate_web_url.message}

    def __init__(self, **kwargs: Any) -> None:
        # A web address typed without a scheme gets https:// (Django 6's default, chosen now).
        super().__init__(**{"assume_scheme": "https", **kwargs})


class WebAddressField(models.URLField):
    """A public web address: http or https only (no javascript:, ftp: or data: links)."""

    default_validators = [validate_web_url]

    def formfield(self, form_class: type[forms.Field] | None = None,
                  choices_form_class: type[forms.ChoiceField] | None = None, **kwargs: Any) -> forms.Field | None:
        return super().formfield(form_class=form_class or WebAddressFormField, choices_form_class=choices_form_class,
                                 **kwargs)
