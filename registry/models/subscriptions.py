"""Who is told about changes to the register: e-mail subscriptions (a daily or weekly digest of new,
changed and stopped initiatives in an area) and developers' webhooks (the change feed's events,
POSTed as they happen). registry/subscriptions.py and registry/webhooks.py do the work.

A subscriber's address is personal data: it is kept here only, never shown on the site, in the API
or in an export, and it goes with the row when its owner unsubscribes. The database holds the
promises the jobs make: one digest per subscription and period, one delivery per webhook and event.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models.vocabularies import Kind, Service


class Frequency(models.TextChoices):
    DAILY = "dagelijks", _("daily")
    WEEKLY = "wekelijks", _("weekly")


class Subscription(models.Model):
    """An e-mail address that wants a digest of an area's changes: confirmed by its link (double
    opt-in) before anything is sent; deleted (address and all) when it unsubscribes."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    language = models.CharField(_("language"), max_length=8, default="nl")
    province = models.ForeignKey("geo.Province", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("province"))
    municipality = models.ForeignKey("geo.Municipality", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("municipality"))
    kinds = models.ManyToManyField(Kind, blank=True, related_name="+", verbose_name=_("kinds"))
    services = models.ManyToManyField(Service, blank=True, related_name="+", verbose_name=_("services"))
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.WEEKLY)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(condition=Q(province__isnull=True, municipality__isnull=False)
                                   | Q(province__isnull=False, municipality__isnull=True),
                                   name="subscription_has_one_area"),
        ]
        indexes = [models.Index(fields=["confirmed_at"], name="subscription_confirmed")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.area_code} ({self.frequency})"

    @property
    def area(self) -> models.Model:
        area = self.municipality if self.municipality_id else self.province
        assert area is not None
        return area

    @property
    def area_code(self) -> str:
        return str(getattr(self.area, "code", ""))


class SubscriptionDigest(models.Model):
    """A digest sent for a subscription's period (a day, or a week from its Monday): at most one, even
    when a worker dies half-way (written in the transaction that sends the message)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    period_start = models.DateField()
    changes = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"],
                                               name="one_digest_per_subscription_and_period")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_start}"


class Webhook(models.Model):
    """An https address that receives the change feed's events matching a filter (the shared filter
    set's parameters), signed with the webhook's own secret. `cursor` is the last history entry
    considered: events after it are what the webhook has yet to be given."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks",
                              verbose_name=_("owner"))
    url = models.URLField(_("address"), max_length=500)
    filter = models.JSONField(_("filter"), default=dict, blank=True)
    secret = models.CharField(_("secret"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why disabled"), blank=True)
    cursor = models.BigIntegerField(_("last event considered"), default=0)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"#{self.pk} {self.url}"

    def clean(self) -> None:
        """The address may be called (https, public addresses only) and the filter is the shared filter
        set's (registry.webhooks); errors by field, a filter's by its parameter (`filter.kind`)."""
        from django.core.exceptions import ValidationError
        from django.core.validators import URLValidator

        from registry import webhooks

        errors: dict[str, list[str]] = {}
        try:
            URLValidator(schemes=["http", "https"])(self.url)
        except ValidationError:  # not looked up
            errors["url"] = [str(_("The address must be an https:// URL."))]
        else:
            try:
                webhooks.check_url(self.url)
            except ValidationError as error:
                errors.update(error.message_dict)
        try:
            self.filter = webhooks.check_filter(self.filter)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)


class DeliveryState(models.TextChoices):
    PENDING = "wacht", _("waiting")
    DELIVERED = "afgeleverd", _("delivered")
    FAILED = "mislukt", _("given up")


class WebhookDelivery(models.Model):
    """One event for one webhook: its body is fixed when it is made, so every attempt sends the same
    bytes with the same signature and delivery id (a receiver can tell a repeat)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries",
                                verbose_name=_("webhook"))
    history_id = models.BigIntegerField(_("event"))
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)

    class Meta:
        ordering = ["webhook", "history_id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["webhook", "history_id"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.webhook_id}/{self.history_id} ({self.state})"


class WebhookAttempt(models.Model):
    """Every attempt to deliver, successful or not: the delivery log in the admin."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts_made",
                                 verbose_name=_("delivery"))
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="attempts",
                                verbose_name=_("webhook"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
