"""Webhooks: the change feed's events (registry.changes) for a developer's filter, POSTed as JSON to
their https address, signed, by the worker (the `deliver_webhooks` job).

* The address: https only (http to a loopback address only with WEBHOOK_ALLOW_LOOPBACK, which is on in
  development), and every address its host resolves to must be a public one: no private, loopback,
  link-local, shared, reserved or multicast address, so a webhook cannot make the server call into
  its own network (SSRF). Checked when the webhook is registered and again before every attempt
  (DNS can change); the connection then goes to the address that was checked (PinnedAdapter), never
  to a second resolution of the name, and redirects are not followed.
* The filter: the shared filter set's parameters (ALLOWED_FILTERS), checked as the API checks them.
  An event matches by its record as it is now; a record that is gone (deleted, merged) by its
  last version.
* The body: one event, `{"deliveryId", "webhook", "event": {...}}`, the event as the API's
  `/changes` gives it. Header `Register-Signature: sha256=<hex>`: HMAC-SHA256 of the body's bytes
  with the webhook's secret (docs/webhooks.md shows how to check it). `Register-Delivery` repeats
  the delivery id: the same on every attempt, so a receiver can drop a repeat.
* Delivery: in the order of the feed, per webhook; a webhook's failed attempt (no 2xx within
  WEBHOOK_TIMEOUT, a refused address, a connection error) stops its run, and the delivery is tried
  again after WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1), at most WEBHOOK_MAX_ATTEMPTS times, then
  given up. After WEBHOOK_DISABLE_AFTER failed attempts in a row the webhook is disabled, until a
  maintainer (or its owner, through the API) enables it again. Webhooks are delivered side by side
  (WEBHOOK_CONCURRENCY threads), so a slow receiver holds up only its own deliveries. Every attempt
  is logged (WebhookAttempt). At least once: a worker killed between a receiver's answer and the
  commit delivers that event again, with the same delivery id.

Why requests: it is installed already (folium needs it), well kept, and its transport adapter lets us
connect to the checked address while TLS still verifies the certificate for the host name.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

from registry import changes as feed
from registry.filters import InitiativeFilterSet
from registry.models import DeliveryState, Initiative, Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

ALLOWED_FILTERS = ("kind", "service", "serviceMatch", "municipality", "province", "status")
SIGNATURE_HEADER = "Register-Signature"
DELIVERY_HEADER = "Register-Delivery"
EVENT_HEADER = "Register-Event"
BATCH = 500  # events read per webhook and run
USER_AGENT = "register-webhooks/1"


class AddressRefused(Exception):
    """The webhook's address may not be called (its scheme, or what its host resolves to)."""


# -- the address ---------------------------------------------------------------------------------


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    real = mapped or address
    if real.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    return real.is_global and not real.is_multicast


def resolve(url: str) -> tuple[str, int, str]:
    """(host, port, the address to connect to) for a webhook's URL, or AddressRefused saying why."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise AddressRefused(_("The address must be an https:// URL."))
    if parts.username or parts.password:
        raise AddressRefused(_("The address must not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(_("The address has an invalid port.")) from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(_("The host %(host)s cannot be found.") % {"host": host}) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    for address in addresses:
        if not _allowed(address):
            raise AddressRefused(_("The host %(host)s resolves to %(address)s, which is not a public internet "
                                   "address (private, loopback, link-local or reserved).")
                                 % {"host": host, "address": getattr(address, "ipv4_mapped", None) or address})
    if parts.scheme == "http" and not (settings.WEBHOOK_ALLOW_LOOPBACK and all(map(_is_loopback, addresses))):
        raise AddressRefused(_("The address must be an https:// URL (http:// only to this machine, in "
                               "development)."))
    return host, port, str(addresses[0])


def check_url(url: str) -> None:
    """ValidationError (on `url`) unless the webhook may call this address."""
    try:
        resolve(url)
    except AddressRefused as refused:
        raise ValidationError({"url": str(refused)}, code="refused") from None


# -- the filter ----------------------------------------------------------------------------------


def as_params(value: dict[str, Any]) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, values in value.items():
        params.setlist(name, [str(v) for v in (values if isinstance(values, list) else [values])])
    return params


def check_filter(value: Any) -> dict[str, list[str]]:
    """The filter as stored (each parameter a list of strings), or ValidationError naming the
    parameter and what is wrong with it."""
    if not isinstance(value, dict):
        raise ValidationError({"filter": _("Expected an object of filter parameters, like "
                                           "{\"municipality\": [\"GM0546\"], \"kind\": [\"bewonersbedrijf\"]}.")})
    errors: dict[str, list[str]] = {}
    normalised: dict[str, list[str]] = {}
    for name, values in value.items():
        if name not in ALLOWED_FILTERS:
            errors[name] = [_("Not a filter of webhooks; use %(names)s.") % {"names": ", ".join(ALLOWED_FILTERS)}]
            continue
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(v, str) and v for v in values):
            errors[name] = [_("Expected a text or a list of texts.")]
            continue
        normalised[name] = sorted(set(values))
    if not errors:
        filterset = InitiativeFilterSet(as_params(normalised), queryset=Initiative.objects.none())
        if not filterset.is_valid():
            errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
    if errors:
        raise ValidationError({f"filter.{name}": messages for name, messages in errors.items()})
    return normalised


def matching(filter_: dict[str, list[str]], events: list[feed.Change]) -> list[feed.Change]:
    """The events whose record matches the filter: as it is now, or as its last version if it is gone."""
    if not filter_ or not events:
        return list(events)
    ids = {event.id for event in events}
    existing = set(Initiative.objects.filter(pk__in=ids).values_list("pk", flat=True))
    filterset = InitiativeFilterSet(as_params(filter_), queryset=Initiative.objects.filter(pk__in=existing))
    if not filterset.is_valid():  # a code removed since registration: nothing matches
        return []
    matched = set(filterset.qs.values_list("pk", flat=True))
    gone = [event for event in events if event.id not in existing]
    matched_history: set[int] = set()
    if gone:
        matched_history = _matching_versions(filter_, [event.history_id for event in gone])
        matched |= {event.id for event in gone if event.history_id in matched_history}
    return [event for event in events if event.id in matched
            and (event.id in existing or event.history_id in matched_history)]


def _matching_versions(filter_: dict[str, list[str]], history_ids: list[int]) -> set[int]:
    """The versions (history ids) that match the filter's columns and services. A deletion's version
    may have lost its services (the links go before the record); then those of the record's latest
    earlier version that had some count."""
    history = Initiative.history.model
    rows = list(history.objects.filter(history_id__in=history_ids).values_list(
        "history_id", "id", "kind__code", "municipality__code", "province__code", "status"))
    through = history._meta.get_field("historicalinitiative_services").related_model  # the versions' services
    versions: dict[int, dict[int, set[str]]] = {}  # record id -> version -> its services
    for history_id, record_id, code in through.objects.filter(
            initiative_id__in=[row[1] for row in rows],
            history_id__lte=max(history_ids)).values_list("history_id", "initiative_id", "service__code"):
        versions.setdefault(record_id, {}).setdefault(history_id, set()).add(code)
    result = set()
    for history_id, record_id, kind, municipality, province, status in rows:
        checks = [("kind", kind), ("municipality", municipality), ("province", province), ("status", status)]
        if any(name in filter_ and value not in filter_[name] for name, value in checks):
            continue
        wanted = set(filter_.get("service", []))
        earlier = [version for version in versions.get(record_id, {}) if version <= history_id]
        have = versions[record_id][max(earlier)] if earlier else set()
        if wanted and not (wanted <= have if filter_.get("serviceMatch") == ["all"] else wanted & have):
            continue
        result.add(history_id)
    return result


# -- the body and its signature ------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_id(webhook: Webhook, history_id: int) -> str:
    return f"{webhook.pk}-{history_id}"


def body_of(webhook: Webhook, event: feed.Change) -> str:
    return json.dumps({
        "deliveryId": delivery_id(webhook, event.history_id),
        "webhook": webhook.pk,
        "event": {
            "cursor": feed.encode_cursor(event.history_id),
            "action": event.action,
            "id": event.id,
            "slug": event.slug,
            "at": event.at.isoformat().replace("+00:00", "Z"),
            "url": settings.SITE_URL + reverse("api:initiative-detail", kwargs={"pk": event.id})
            if event.live else None,
            "mergedInto": event.merged_into,
            "status": event.status,
            "stopped": event.stopped,
        },
    }, ensure_ascii=False, separators=(",", ":"))


# -- queueing and delivering -----------------------------------------------------------------------


def queue_events(webhook_id: int) -> int:
    """Deliveries for the events after the webhook's cursor that match its filter; the cursor moves
    past every event read, in the same transaction. Returns the number of deliveries made."""
    made = 0
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
        if not webhook.active:
            return 0
        upto = feed.latest_id()
        events, more = feed.after(webhook.cursor, BATCH, upto=upto)
        for event in matching(webhook.filter, events):
            _delivery, created = WebhookDelivery.objects.get_or_create(
                webhook=webhook, history_id=event.history_id, defaults={"body": body_of(webhook, event)})
            made += created
        # Past every version read, public or not (drafts' versions are not read again).
        cursor = events[-1].history_id if more else upto
        if cursor != webhook.cursor:
            webhook.cursor = cursor
            webhook.save(update_fields=["cursor"])
    return made


class PinnedAdapter(HTTPAdapter):
    """Connects to one checked address, whatever the host name resolves to by then; TLS still sends
    and verifies the host name (SNI, certificate)."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None
                                             ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params = {**host_params, "host": self.address}
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": self.host, "assert_hostname": self.host}
        return host_params, pool_kwargs


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(HTTP status, error) of one POST, to the address checked just now; never raises."""
    try:
        with translation.override("en"):  # the delivery log is in English, as the jobs' errors
            host, port, address = resolve(url)
    except AddressRefused as refused:
        return None, f"refused: {refused}"
    parts = urlsplit(url)
    default_port = 443 if parts.scheme == "https" else 80
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: we connect to the checked address
    session.mount(f"{parts.scheme}://", PinnedAdapter(host, address))
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and port == default_port:
        host_header = f"[{host}]"
    try:
        with session.post(url, data=body, headers={**headers, "Host": host_header}, allow_redirects=False,
                          timeout=(settings.WEBHOOK_TIMEOUT, settings.WEBHOOK_TIMEOUT), stream=True) as response:
            response.raw.read(1024, decode_content=False)
            status = response.status_code
    except requests.Timeout:
        return None, f"no answer within {settings.WEBHOOK_TIMEOUT:g} seconds"
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:1000]
    finally:
        session.close()
    if 200 <= status < 300:
        return status, ""
    if 300 <= status < 400:
        return status, "redirects are not followed"
    return status, f"the receiver answered {status}"


def retry_wait(attempts: int) -> datetime.timedelta:
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, 24 * 3600))


def attempt(delivery: WebhookDelivery) -> bool:
    """One attempt of a delivery, recorded (the attempt, the delivery's state, the webhook's failures
    and, after too many, its disabling) in one transaction. Returns whether it was delivered."""
    webhook = delivery.webhook
    body = delivery.body.encode()
    started = time.monotonic()
    status, error = post(webhook.url, body, {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(webhook.secret, body),
        DELIVERY_HEADER: delivery_id(webhook, delivery.history_id),
        EVENT_HEADER: json.loads(delivery.body)["event"]["action"],
    })
    seconds = time.monotonic() - started
    ok = not error
    now = timezone.now()
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        WebhookAttempt.objects.create(delivery=delivery, webhook=webhook, status_code=status, error=error,
                                      seconds=round(seconds, 3))
        delivery.attempts += 1
        if ok:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.DELIVERED, now, None
            webhook.failures = 0
        else:
            webhook.failures += 1
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            else:
                delivery.next_attempt_at = now + retry_wait(delivery.attempts)
            if webhook.failures >= settings.WEBHOOK_DISABLE_AFTER and webhook.active:
                webhook.active, webhook.disabled_at = False, now
                webhook.disabled_reason = f"{webhook.failures} failed attempts in a row; the last: {error}"
        delivery.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
        webhook.save(update_fields=["failures", "active", "disabled_at", "disabled_reason"])
    return ok


def deliver(webhook_id: int) -> tuple[int, int]:
    """A webhook's run: queue its new events, then deliver what is due, in order, until an attempt
    fails (the rest waits for the next run). Returns (delivered, failed attempts)."""
    delivered = failed = 0
    queue_events(webhook_id)
    now = timezone.now()
    pending = (WebhookDelivery.objects.filter(webhook_id=webhook_id, webhook__active=True,
                                              state=DeliveryState.PENDING)
               .select_related("webhook").order_by("history_id"))
    for delivery in list(pending[:BATCH]):
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            break  # the oldest waits for its retry: the order of the feed is kept
        if attempt(delivery):
            delivered += 1
        else:
            failed += 1
            break
    return delivered, failed


def _deliver_in_thread(webhook_id: int) -> tuple[int, int]:
    try:
        return deliver(webhook_id)
    except Exception:
        logger.exception("Webhook #%s: its run failed", webhook_id)
        return 0, 1
    finally:
        connection.close()  # this thread's own connection


def deliver_all() -> str:
    """Every active webhook's run, side by side (WEBHOOK_CONCURRENCY at a time)."""
    ids = list(Webhook.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return "no active webhooks"
    with ThreadPoolExecutor(max_workers=max(1, settings.WEBHOOK_CONCURRENCY)) as pool:
        results = list(pool.map(_deliver_in_thread, ids))
    delivered = sum(result[0] for result in results)
    failed = sum(result[1] for result in results)
    disabled = Webhook.objects.filter(pk__in=ids, active=False).count()
    return f"{len(ids)} webhooks: {delivered} events delivered, {failed} attempts failed, {disabled} disabled"
