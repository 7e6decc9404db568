"""E-mail subscriptions: a digest of the new, changed and stopped initiatives in a municipality or a
province (optionally of some kinds or services), daily or weekly, to an address that confirmed it.

* Double opt-in: subscribing stores the wish and sends a confirmation link (registry.actions.subscribe);
  nothing else is sent to the address until that link is used. An unconfirmed subscription is
  deleted after SUBSCRIPTION_CONFIRM_DAYS, when its link stops working.
* Links are the subscription's id signed with SECRET_KEY and a salt per purpose
  (django.core.signing): the confirmation link expires, the unsubscribe link does not (it is in every
  digest, and must work however old the mail). A link whose subscription is gone (unsubscribed, or
  never confirmed) says so and changes nothing.
* Digests (the `subscription_digests` job, hourly): for each period that ended (yesterday; last week,
  from its Monday) every confirmed subscription gets at most one message, built from the change
  feed's events (registry.changes) of the period, filtered by its area, kinds and services with the
  shared filter set. The SubscriptionDigest row and the message are one transaction, as the editors'
  digests (registry.campaigns.send_digest): a worker killed half-way sends each digest exactly once
  (the window between the mail server's acceptance and the commit aside; a copy has the same
  Message-ID). Every digest carries a one-click unsubscribe link, also as List-Unsubscribe and
  List-Unsubscribe-Post headers (RFC 8058).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from registry import changes as feed
from registry.filters import InitiativeFilterSet
from registry.models import Frequency, Initiative, Status, Subscription, SubscriptionDigest

CONFIRM_SALT = "registry.subscription.confirm"
UNSUBSCRIBE_SALT = "registry.subscription.unsubscribe"
NEW, CHANGED, STOPPED = "new", "changed", "stopped"
ORDER = [NEW, CHANGED, STOPPED]
_RANK = {NEW: 3, STOPPED: 2, CHANGED: 1}


class LinkExpired(Exception):
    """A genuine confirmation link, older than SUBSCRIPTION_CONFIRM_DAYS."""


class LinkInvalid(Exception):
    """The link was changed, cut short, or made with another key."""


class SubscriptionGone(Exception):
    """A genuine link whose subscription no longer exists: unsubscribed, or never confirmed in time."""


# -- links -----------------------------------------------------------------------------------------


def confirm_token(subscription: Subscription) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(str(subscription.pk))


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription.pk))


def confirm_url(subscription: Subscription) -> str:
    return settings.SITE_URL + reverse("registry:subscription-confirm", args=[confirm_token(subscription)])


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.SITE_URL + reverse("registry:unsubscribe", args=[unsubscribe_token(subscription)])


def _subscription(pk_text: str) -> Subscription:
    if not pk_text.isdigit():
        raise LinkInvalid
    subscription = Subscription.objects.select_related("province", "municipality").filter(pk=int(pk_text)).first()
    if subscription is None:
        raise SubscriptionGone
    return subscription


def for_confirm_token(token: str) -> Subscription:
    """The subscription a confirmation link names. Raises LinkInvalid, LinkExpired or SubscriptionGone."""
    try:
        pk = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(
            token, max_age=datetime.timedelta(days=settings.SUBSCRIPTION_CONFIRM_DAYS))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    return _subscription(pk)


def for_unsubscribe_token(token: str) -> Subscription:
    """The subscription an unsubscribe link names. Raises LinkInvalid or SubscriptionGone."""
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise LinkInvalid from None
    return _subscription(pk)


# -- messages --------------------------------------------------------------------------------------


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "register"


def area_name(subscription: Subscription) -> str:
    if subscription.municipality_id:
        return _("the municipality of %(name)s") % {"name": subscription.municipality.name}  # type: ignore[union-attr]
    return _("the province of %(name)s") % {"name": subscription.province.name}  # type: ignore[union-attr]


def choices_text(subscription: Subscription) -> str:
    """What the subscription asks for besides its area, for people: "kinds: …; services: …"."""
    parts = []
    kinds = [str(kind) for kind in subscription.kinds.order_by("order", "code")]
    services = [str(service) for service in subscription.services.order_by("order", "code")]
    if kinds:
        parts.append(_("kinds: %(list)s") % {"list": ", ".join(kinds)})
    if services:
        parts.append(_("services: %(list)s") % {"list": ", ".join(services)})
    return "; ".join(parts)


def frequency_words(frequency: str) -> str:
    """"daily" or "weekly" as in "a daily e-mail" (Dutch inflects it there: "een dagelijkse e-mail")."""
    if frequency == Frequency.DAILY:
        return pgettext("a … e-mail", "daily")
    return pgettext("a … e-mail", "weekly")


def confirmation_message(subscription: Subscription) -> EmailMessage:
    with translation.override(subscription.language):
        subject = _("Confirm your subscription to the register's changes in %(area)s") % {
            "area": area_name(subscription)}
        body = render_to_string("registry/email/subscription_confirm.txt", {
            "subscription": subscription, "area": area_name(subscription), "choices": choices_text(subscription),
            "url": confirm_url(subscription), "days": settings.SUBSCRIPTION_CONFIRM_DAYS,
            "frequency": frequency_words(subscription.frequency), "site_url": settings.SITE_URL})
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email],
                        headers={"Message-ID": f"<subscription-confirm-{subscription.pk}@{_domain()}>",
                                 "Auto-Submitted": "auto-generated"})


# -- digests ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    frequency: str
    start: datetime.date
    days: int

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        begin = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time()))
        end = timezone.make_aware(datetime.datetime.combine(self.start + datetime.timedelta(days=self.days),
                                                            datetime.time()))
        return begin, end

    def describe(self) -> str:
        if self.frequency == Frequency.DAILY:
            return formats.date_format(self.start, "j F Y")
        last = self.start + datetime.timedelta(days=self.days - 1)
        return _("%(first)s to %(last)s") % {"first": formats.date_format(self.start, "j F"),
                                              "last": formats.date_format(last, "j F Y")}


def due_periods(day: datetime.date) -> list[Period]:
    """The periods whose digests are due on `day`: yesterday, and the week before this one."""
    monday = day - datetime.timedelta(days=day.weekday())
    return [Period(Frequency.DAILY, day - datetime.timedelta(days=1), 1),
            Period(Frequency.WEEKLY, monday - datetime.timedelta(days=7), 7)]


@dataclass
class Digest:
    subscription: Subscription
    period: Period
    sections: dict[str, list[Initiative]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(initiatives) for initiatives in self.sections.values())


def filter_params(subscription: Subscription) -> QueryDict:
    """The subscription as the shared filter set's parameters."""
    params = QueryDict(mutable=True)
    if subscription.municipality_id:
        params["municipality"] = subscription.municipality.code  # type: ignore[union-attr]
    else:
        params["province"] = subscription.province.code  # type: ignore[union-attr]
    params.setlist("kind", [kind.code for kind in subscription.kinds.all()])
    params.setlist("service", [service.code for service in subscription.services.all()])
    return params


def build_digest(subscription: Subscription, period: Period, events: Iterable[feed.Change],
                 shared: dict[Any, dict[str, list[Initiative]]] | None = None) -> Digest:
    """What a subscription's digest for a period says: each published initiative of its area (kinds,
    services) that was new in the period, stopped in it, or otherwise changed in it, once, under the
    weightiest of these; only what happened after the subscription was confirmed. `shared` keeps the
    lists of a run: subscriptions with the same choices, confirmed before the period, share theirs."""
    digest = Digest(subscription, period)
    if subscription.confirmed_at is None:
        return digest
    params = filter_params(subscription)
    since = max(subscription.confirmed_at, period.bounds()[0])
    key = (params.urlencode(), since)
    if shared is not None and key in shared:
        digest.sections = shared[key]
        return digest
    what: dict[int, str] = {}
    for event in events:
        if event.at < since:
            continue
        if event.action in ("created", "published"):
            kind = NEW
        elif event.action == "updated" and event.stopped:
            kind = STOPPED
        elif event.action == "updated" and event.is_public_change:
            kind = CHANGED
        else:
            continue
        if _RANK[kind] > _RANK.get(what.get(event.id, ""), 0):
            what[event.id] = kind
    sections: dict[str, list[Initiative]] = {}
    filterset = InitiativeFilterSet(params, queryset=Initiative.objects.published().filter(pk__in=list(what)))
    # (An invalid filter: a kind, service or area removed since; nothing to say.)
    if what and filterset.is_valid():
        for initiative in filterset.qs.select_related("kind", "municipality").order_by("name", "pk"):
            kind = what[initiative.pk]
            if kind == STOPPED and initiative.status != Status.STOPPED:
                kind = CHANGED  # stopped and started again within the period
            sections.setdefault(kind, []).append(initiative)
    digest.sections = {kind: sections[kind] for kind in ORDER if kind in sections}
    if shared is not None:
        shared[key] = digest.sections
    return digest


def digest_message(digest: Digest, connection: BaseEmailBackend | None = None) -> EmailMessage:
    subscription = digest.subscription
    unsubscribe = unsubscribe_url(subscription)
    with translation.override(subscription.language):
        subject = ngettext("[Register] %(count)d change in %(area)s, %(period)s",
                           "[Register] %(count)d changes in %(area)s, %(period)s", digest.count) % {
            "count": digest.count, "area": area_name(subscription), "period": digest.period.describe()}
        titles = {NEW: _("New"), CHANGED: _("Changed"), STOPPED: _("Stopped")}
        body = render_to_string("registry/email/subscription_digest.txt", {
            "area": area_name(subscription), "choices": choices_text(subscription),
            "period": digest.period.describe(), "frequency": frequency_words(subscription.frequency),
            "sections": [(titles[kind], initiatives) for kind, initiatives in digest.sections.items()],
            "site_url": settings.SITE_URL, "unsubscribe_url": unsubscribe,
            "subscribe_url": settings.SITE_URL + reverse("registry:subscribe"),
        })
    headers = {
        "Message-ID": f"<subscription-{subscription.pk}-{digest.period.start.isoformat()}@{_domain()}>",
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058: one click in the mail software
        "Auto-Submitted": "auto-generated",
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email], connection=connection,
                        headers=headers)


def send_digest(subscription_id: int, period: Period, events: list[feed.Change],
                mail: BaseEmailBackend | None = None, shared: dict[Any, Any] | None = None) -> bool:
    """One subscription's digest for a period, once: its SubscriptionDigest row and the message in one
    transaction (a retry, or a second worker, finds the row and sends nothing). No message when
    nothing happened, or when the subscription went meanwhile."""
    with transaction.atomic():
        subscription = (Subscription.objects.select_for_update(of=("self",))
                        .select_related("province", "municipality")
                        .filter(pk=subscription_id, confirmed_at__isnull=False).first())
        if subscription is None or SubscriptionDigest.objects.filter(subscription=subscription,
                                                                     period_start=period.start).exists():
            return False
        digest = build_digest(subscription, period, events, shared)
        if not digest.count:
            return False
        SubscriptionDigest.objects.create(subscription=subscription, period_start=period.start,
                                          changes=digest.count)
        digest_message(digest, mail).send()
    return True


def remove_unconfirmed(now: datetime.datetime | None = None) -> int:
    """Subscriptions never confirmed within SUBSCRIPTION_CONFIRM_DAYS go (their link no longer works)."""
    before = (now or timezone.now()) - datetime.timedelta(days=settings.SUBSCRIPTION_CONFIRM_DAYS, hours=1)
    removed, _per_model = Subscription.objects.filter(confirmed_at__isnull=True, created_at__lt=before).delete()
    return removed


def run_digests(day: datetime.date) -> tuple[int, list[str]]:
    """The digests due on `day`, each subscription in its own transaction; returns how many were sent
    and the errors of those that could not be (the job is retried for them)."""
    sent, failed = 0, []
    mail = get_connection()
    for period in due_periods(day):
        start, end = period.bounds()
        subscriptions = list(Subscription.objects.filter(frequency=period.frequency, confirmed_at__lt=end)
                             .exclude(digests__period_start=period.start).order_by("pk")
                             .values_list("pk", flat=True))
        if not subscriptions:
            continue
        events = feed.between(start, end)
        if not events:
            continue
        shared: dict[Any, Any] = {}
        for pk in subscriptions:
            try:
                if send_digest(pk, period, events, mail, shared):
                    sent += 1
                    if settings.SUBSCRIPTION_SEND_PAUSE:
                        time.sleep(settings.SUBSCRIPTION_SEND_PAUSE)
            except Exception as error:
                failed.append(f"subscription #{pk}: {type(error).__name__}: {error}")
    return sent, failed
