"""Public pages that take input: "Meld een initiatief aan", "Suggest a correction", and the pages
of a verification link. Every submission goes through registry.actions (a suggestion waits in the
moderation queue; only "still correct" changes the record at once: its verification date).

Spam: a filled-in honeypot is thanked and dropped; a client address may send
SUGGESTIONS_PER_HOUR submissions an hour (counted in the shared cache), after that it gets 429
with the time to try again; forms sent faster than a person can type are refused (registry.site.forms).
"""

from __future__ import annotations

import datetime
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from config.clients import client_address
from registry import actions, verification
from registry.models import (
    Initiative,
    PublicationState,
    RoundState,
    SlugAlias,
    Status,
    SuggestionOrigin,
    VerificationMethod,
    VerificationOptOut,
)
from registry.site.forms import FiguresForm, InitiativeForm, PublicForm, StopForm

HOUR = 3600


# -- how often one address may submit ------------------------------------------------------------


def _limit_key(request: HttpRequest) -> str:
    return f"registry:suggestions:{client_address(request)}"


def _recent(request: HttpRequest, now: float) -> list[float]:
    """The times of this address's submissions within the last hour, oldest first."""
    return [moment for moment in cache.get(_limit_key(request), []) if moment > now - HOUR]


def seconds_to_wait(request: HttpRequest) -> float:
    """0 while the address may submit, else the seconds until its oldest submission is an hour old."""
    now = time.time()
    recent = _recent(request, now)
    if len(recent) < settings.SUGGESTIONS_PER_HOUR:
        return 0
    return max(recent[0] + HOUR - now, 1)


def count_submission(request: HttpRequest) -> None:
    now = time.time()
    cache.set(_limit_key(request), [*_recent(request, now), now], HOUR)


def too_many(request: HttpRequest, wait: float) -> HttpResponse:
    response = render(request, "registry/too_many.html", {
        "limit": settings.SUGGESTIONS_PER_HOUR, "minutes": math.ceil(wait / 60),
        "again_at": timezone.localtime(timezone.now() + datetime.timedelta(seconds=wait)),
    }, status=429)
    response["Retry-After"] = str(math.ceil(wait))
    return response


def _submit(request: HttpRequest, form: PublicForm, *, origin: str = SuggestionOrigin.FORM) -> bool:
    """Store a valid form's proposal (or drop a robot's); returns whether to say thank you."""
    if form.is_spam():
        count_submission(request)
        return True
    if not form.is_valid():
        return False
    try:
        actions.submit_suggestion(form.suggestion_kind, form.proposal, initiative=form.initiative, origin=origin,
                                  **form.contact())
    except ValidationError as error:  # the record changed since the form was checked
        form.add_model_errors(error)
        return False
    count_submission(request)
    return True


def _form_page(request: HttpRequest, template: str, form: PublicForm, **context: Any) -> HttpResponse:
    return render(request, template, {"form": form, **context}, status=400 if form.is_bound else 200)


# -- a new initiative, a correction ----------------------------------------------------------------


def suggest_new(request: HttpRequest) -> HttpResponse:
    """"Meld een initiatief aan": a proposal for a new record, published only once an editor approves."""
    if request.method == "POST":
        if wait := seconds_to_wait(request):
            return too_many(request, wait)
        form = InitiativeForm(request.POST)
        if _submit(request, form):
            return redirect("registry:suggest-new-thanks")
    else:
        form = InitiativeForm()
    return _form_page(request, "registry/suggest_new.html", form)


def suggest_new_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/thanks.html", {"what": "new"})


def suggest_correction(request: HttpRequest, slug: str) -> HttpResponse:
    """"Suggest a correction" of a published initiative, prefilled with its public values."""
    initiative = Initiative.objects.published().select_related("kind").filter(slug=slug).first()
    if initiative is None:
        alias = get_object_or_404(SlugAlias.objects.select_related("initiative"), slug=slug,
                                  initiative__publication_state=PublicationState.PUBLISHED)
        return HttpResponsePermanentRedirect(reverse("registry:suggest-correction", args=[alias.initiative.slug]))
    if request.method == "POST":
        if wait := seconds_to_wait(request):
            return too_many(request, wait)
        form = InitiativeForm(request.POST, initiative=initiative)
        if _submit(request, form):
            return redirect("registry:suggest-correction-thanks", slug=initiative.slug)
    else:
        form = InitiativeForm(initiative=initiative)
    return _form_page(request, "registry/suggest_correction.html", form, initiative=initiative)


def suggest_correction_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = get_object_or_404(Initiative.objects.published(), slug=slug)
    return render(request, "registry/thanks.html", {"what": "correction", "initiative": initiative})


# -- verification links ---------------------------------------------------------------------------


def _linked(request: HttpRequest, token: str) -> Initiative | HttpResponse:
    """The initiative of a verification link, or the page that says the link does not work: an
    expired link says so and how to get a new one (410); any other bad link reveals nothing (404)."""
    try:
        return verification.initiative_for(token)
    except verification.LinkExpired:
        return render(request, "registry/verify_expired.html", {
            "days": settings.VERIFICATION_LINK_DAYS, "contact_email": settings.CONTACT_EMAIL}, status=410)
    except verification.LinkInvalid:
        return render(request, "registry/verify_invalid.html", {"contact_email": settings.CONTACT_EMAIL},
                      status=404)


def _used(request: HttpRequest, token: str) -> HttpResponse | None:
    """The page that says a link of the yearly loop has done its work (its round was answered, or an
    editor verified the record, or it stopped): such a link changes nothing any more (410)."""
    round_ = verification.round_for(token)
    if round_ is None or round_.is_open:
        return None
    return render(request, "registry/verify_used.html", {
        "round": round_, "answered": round_.state == RoundState.ANSWERED,
        "by_editor": round_.state == RoundState.VERIFIED, "contact_email": settings.CONTACT_EMAIL}, status=410)


def _verification_headers(response: HttpResponse) -> HttpResponse:
    """The address holds a secret: never cached, never sent on to other sites (the site's
    Referrer-Policy, same-origin, sees to that). Not "no-referrer": with it the browser sends
    `Origin: null` with the page's own form, and the CSRF check refuses every answer."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The record as the register holds it (drafts too: the initiative may check an entry before it
    is published), with three choices: still correct (recorded at once), something changed, stopped."""
    initiative = _linked(request, token)
    if isinstance(initiative, HttpResponse):
        return _verification_headers(initiative)
    if (used := _used(request, token)) is not None:
        return _verification_headers(used)
    if request.method == "POST" and "confirm" in request.POST:
        today = timezone.localdate()
        if not (initiative.last_verified_on == today and initiative.verification_method == VerificationMethod.SELF):
            actions.mark_verified(initiative, VerificationMethod.SELF, on=today, acting_user=None)
        return redirect("registry:verify-confirmed", token=token)
    if request.method == "POST" and "stop_asking" in request.POST:
        actions.stop_asking(initiative, acting_user=None)
        return _verification_headers(render(request, "registry/thanks.html", {
            "what": "stop-asking", "initiative": initiative, "token": token}))
    return _verification_headers(render(request, "registry/verify.html", {
        "initiative": initiative, "token": token, "is_published": initiative.publication_state
        == PublicationState.PUBLISHED, "is_stopped": initiative.status == Status.STOPPED,
        "asks_not": VerificationOptOut.objects.filter(initiative=initiative).exists(),
        "this_year": timezone.localdate().year}))


def verify_confirmed(request: HttpRequest, token: str) -> HttpResponse:
    initiative = _linked(request, token)
    if isinstance(initiative, HttpResponse):
        return _verification_headers(initiative)
    return _verification_headers(render(request, "registry/thanks.html", {
        "what": "confirmed", "initiative": initiative, "token": token}))


def verify_change(request: HttpRequest, token: str) -> HttpResponse:
    """"Something changed": the correction form, prefilled; the proposal enters the queue."""
    return _verification_form(request, token, InitiativeForm, "registry/verify_change.html")


def verify_stop(request: HttpRequest, token: str) -> HttpResponse:
    """"We stopped": date and reason; the report enters the queue (a stopped record has nothing to stop)."""
    return _verification_form(request, token, StopForm, "registry/verify_stop.html", unless=Status.STOPPED)


def verify_figures(request: HttpRequest, token: str) -> HttpResponse:
    """"Update your figures": the figures of a year and whether the amounts may be published; they
    enter the queue, and count nowhere until an editor approves them."""
    return _verification_form(request, token, FiguresForm, "registry/verify_figures.html", answers=False)


def _verification_form(request: HttpRequest, token: str, form_class: type[PublicForm], template: str, *,
                       answers: bool = True,
                       unless: str | None = None) -> HttpResponse:
    """A form reached by a verification link; what is sent waits in the moderation queue."""
    initiative = _linked(request, token)
    if isinstance(initiative, HttpResponse):
        return _verification_headers(initiative)
    if (used := _used(request, token)) is not None:
        return _verification_headers(used)
    if unless is not None and initiative.status == unless:
        return redirect("registry:verify", token=token)
    form = form_class(request.POST if request.method == "POST" else None, initiative=initiative)
    if request.method == "POST":
        if wait := seconds_to_wait(request):
            return too_many(request, wait)
        if _submit(request, form, origin=SuggestionOrigin.VERIFICATION):
            if answers and verification.round_for(token) is not None and not form.is_spam():
                actions.record_link_answer(initiative, stopped=unless == Status.STOPPED, acting_user=None)
            return redirect("registry:verify-received", token=token)
    return _verification_headers(_form_page(request, template, form, initiative=initiative, token=token))


def verify_received(request: HttpRequest, token: str) -> HttpResponse:
    initiative = _linked(request, token)
    if isinstance(initiative, HttpResponse):
        return _verification_headers(initiative)
    return _verification_headers(render(request, "registry/thanks.html", {
        "what": "received", "initiative": initiative, "token": token}))

