"""The public pages of e-mail subscriptions (registry/subscriptions.py does the work): the form, the
confirmation link and the unsubscribe link.

A link that does not work says why and changes nothing: changed or cut short (404), a confirmation
link past SUBSCRIPTION_CONFIRM_DAYS (410), a subscription that is gone (410: unsubscribed, or never
confirmed), a subscription already confirmed (200, "nothing changed"). Links change nothing on GET
(mail scanners open links): the page has a button that POSTs. The unsubscribe address also takes
the one-click POST of RFC 8058 from mail software (List-Unsubscribe-Post), without a CSRF token: its
signed address is its authority.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from geo.models import Municipality, Province
from registry import actions, subscriptions
from registry.models import Frequency, Kind, Service
from registry.site import forms as public_forms
from registry.site.contribute import count_submission, seconds_to_wait, too_many
from registry.site.design import DesignedBoundField
from registry.site.forms import FORM_VALID_SECONDS, HONEYPOT, STARTED_SALT, started_token


class SubscriptionForm(forms.Form):
    bound_field_class = DesignedBoundField  # the design system's class names on the controls
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                             help_text=_("Only for the digest: never published nor passed on."))
    area = forms.CharField(label=_("Municipality or province"), max_length=100,
                           help_text=_("Its name or its code, e.g. Leiden, GM0546 or Zuid-Holland."))
    kinds = forms.MultipleChoiceField(
        label=_("Only these kinds"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
        error_messages={"invalid_choice": _("“%(value)s” is not a kind the register knows.")})
    services = forms.MultipleChoiceField(
        label=_("Only initiatives with one of these services"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every service."),
        error_messages={"invalid_choice": _("“%(value)s” is not a service the register knows.")})
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, initial=Frequency.WEEKLY,
                                  widget=forms.RadioSelect)
    homepage = forms.CharField(required=False, label=_("Leave this field empty"),
                               widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    order = ["email", "area", "kinds", "services", "frequency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = started_token()
        self.fields["kinds"].choices = [(kind.code, kind.label) for kind in Kind.objects.all()]  # type: ignore[attr-defined]
        self.fields["services"].choices = [(s.code, s.label) for s in Service.objects.all()]  # type: ignore[attr-defined]

    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_area(self) -> Municipality | Province:
        text = " ".join(self.cleaned_data["area"].split())
        upper = text.upper()
        if upper.startswith("GM") and (found := Municipality.objects.current().filter(code=upper).first()):
            return found
        if upper.startswith("PV") and (province := Province.objects.filter(code=upper).first()):
            return province
        municipality = Municipality.objects.current().filter(name__iexact=text).first()
        province = Province.objects.filter(name__iexact=text).first()
        if municipality is not None and province is not None:
            raise ValidationError(
                _("“%(name)s” is both a municipality (%(municipality)s) and a province (%(province)s): give the "
                  "code of the one you mean."),
                code="ambiguous", params={"name": text, "municipality": municipality.code,
                                          "province": province.code})
        if municipality is None and province is None:
            raise ValidationError(
                _("The register knows no municipality or province “%(value)s”. Give its name as on the register's "
                  "area pages, or its code (GM0546, PV28)."), code="unknown_area", params={"value": text})
        return municipality or province  # type: ignore[return-value]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            started = float(signing.loads(self.data.get("started", ""), salt=STARTED_SALT, max_age=FORM_VALID_SECONDS))
        except (signing.BadSignature, TypeError, ValueError):
            assert isinstance(self.data, dict), "a form's data is a QueryDict (or a dict)"
            self.data = self.data.copy()
            self.data["started"] = started_token()
            raise ValidationError(_("Something went wrong with this form; please check it and send it again."),
                                  code="no_time_stamp") from None
        if time.time() - started < public_forms.FILL_SECONDS:  # read here: tests change it
            raise ValidationError(_("That was very fast; please check the form and send it again."),
                                  code="too_fast")
        return cleaned

    def error_links(self) -> list[tuple[str, str, str]]:
        links: list[tuple[str, str, str]] = []
        for name in sorted(self.errors, key=lambda n: self.order.index(n) if n in self.order else len(self.order)):
            if name == NON_FIELD_ERRORS:
                continue
            field = self[name]
            target = field.id_for_label or f"{field.auto_id}_0"
            links.extend((target, str(field.label), str(message)) for message in self.errors[name])
        return links


def _private(response: HttpResponse) -> HttpResponse:
    """Pages of a link: never cached, not indexed. The site's Referrer-Policy (same-origin) already
    keeps the address from other sites; "no-referrer" would make the browser send `Origin: null`
    with the page's own form, which Django's CSRF check refuses."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def subscribe(request: HttpRequest) -> HttpResponse:
    """The form: an address, an area (prefilled from ?area=, as the area pages link it), kinds,
    services and how often. Sends the confirmation link; nothing else until it is used."""
    if request.method == "POST":
        if wait := seconds_to_wait(request):
            return too_many(request, wait)
        form = SubscriptionForm(request.POST)
        if form.is_spam():
            count_submission(request)
            return redirect("registry:subscribe-sent")
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.subscribe(email=data["email"], area=data["area"],
                                  kinds=Kind.objects.filter(code__in=data["kinds"]),
                                  services=Service.objects.filter(code__in=data["services"]),
                                  frequency=data["frequency"], language=translation.get_language() or "nl",
                                  acting_user=None)
            except (OSError, ValidationError):
                form.add_error(None, _("The confirmation e-mail could not be sent; nothing was stored. Please try "
                                       "again later."))
            else:
                count_submission(request)
                return redirect("registry:subscribe-sent")
        return render(request, "registry/subscribe.html", {"form": form}, status=400)
    initial = {"area": request.GET.get("area", "")[:100]}
    return render(request, "registry/subscribe.html", {"form": SubscriptionForm(initial=initial)})


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/subscription_done.html", {
        "what": "sent", "days": settings.SUBSCRIPTION_CONFIRM_DAYS})


def _link_problem(request: HttpRequest, problem: str) -> HttpResponse:
    status = {"invalid": 404, "expired": 410, "gone": 410}[problem]
    return _private(render(request, "registry/subscription_link.html", {
        "problem": problem, "days": settings.SUBSCRIPTION_CONFIRM_DAYS}, status=status))


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = subscriptions.for_confirm_token(token)
    except subscriptions.LinkInvalid:
        return _link_problem(request, "invalid")
    except subscriptions.LinkExpired:
        return _link_problem(request, "expired")
    except subscriptions.SubscriptionGone:
        return _link_problem(request, "gone")
    context = {"subscription": subscription, "area": subscriptions.area_name(subscription),
               "choices": subscriptions.choices_text(subscription),
               "frequency": subscriptions.frequency_words(subscription.frequency)}
    if subscription.confirmed_at is not None:
        return _private(render(request, "registry/subscription_done.html", {**context, "what": "already"}))
    if request.method == "POST":
        subscription = actions.confirm_subscription(subscription, acting_user=None)
        return _private(render(request, "registry/subscription_done.html", {**context, "what": "confirmed"}))
    return _private(render(request, "registry/subscription_link.html", {**context, "problem": "", "action": "confirm"}))


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = subscriptions.for_unsubscribe_token(token)
    except subscriptions.LinkInvalid:
        return _link_problem(request, "invalid")
    except subscriptions.SubscriptionGone:
        return _private(render(request, "registry/subscription_done.html", {"what": "already-gone"}, status=410))
    context = {"subscription": subscription, "area": subscriptions.area_name(subscription),
               "choices": subscriptions.choices_text(subscription),
               "frequency": subscriptions.frequency_words(subscription.frequency)}
    if request.method == "POST":
        actions.unsubscribe(subscription, acting_user=None)
        return _private(render(request, "registry/subscription_done.html", {**context, "what": "unsubscribed"}))
    return _private(render(request, "registry/subscription_link.html",
                           {**context, "problem": "", "action": "unsubscribe"}))
