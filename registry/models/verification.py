"""The yearly verification loop's state (registry/campaigns.py does the work): one round per record and
year, what it asked and when, the initiatives that asked not to be asked, and the digests sent.

A round is the campaign of one record: opened when the record approaches STALE_AFTER_MONTHS, closed
when it is verified (by its link or by an editor), reported stopped, or answered with a correction.
The database holds the limits the loop promises: at most two messages a round, one open round a
record, one digest per editor and day."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models.initiatives import Initiative

MAX_REQUESTS = 2


class RoundState(models.TextChoices):
    WAITING = "wacht", _("waiting to be sent")
    ASKED = "gevraagd", _("asked, waiting for an answer")
    WORKLIST = "werklijst", _("on the editors' worklist")
    ANSWERED = "beantwoord", _("answered by the initiative")
    VERIFIED = "gecontroleerd", _("verified by an editor")
    CLOSED = "afgesloten", _("closed")


OPEN_STATES = (RoundState.WAITING, RoundState.ASKED, RoundState.WORKLIST)


class WorklistReason(models.TextChoices):
    NO_EMAIL = "geen-email", _("no e-mail address")
    OPTED_OUT = "niet-vragen", _("asked not to be asked")
    NO_ANSWER = "geen-antwoord", _("no answer")


class VerificationRound(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="verification_rounds",
                                   verbose_name=_("initiative"))
    opened_on = models.DateField(_("opened on"))
    state = models.CharField(_("state"), max_length=20, choices=RoundState.choices, default=RoundState.WAITING)
    requests_sent = models.PositiveSmallIntegerField(_("messages sent"), default=0)
    first_sent_on = models.DateField(_("asked on"), null=True, blank=True)
    reminder_sent_on = models.DateField(_("reminded on"), null=True, blank=True)
    worklist_on = models.DateField(_("on the worklist since"), null=True, blank=True)
    worklist_at = models.DateTimeField(_("put on the worklist at"), null=True, blank=True)  # for the digests
    worklist_reason = models.CharField(_("why on the worklist"), max_length=20, choices=WorklistReason.choices,
                                       blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Denormalised from the record when the round opens, so that the daily cap and the editors' lists
    # count by region without a join; a record that moves keeps its round where it was asked.
    province = models.ForeignKey("geo.Province", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("province"))
    municipality = models.ForeignKey("geo.Municipality", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("municipality"))

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("verification round")
        verbose_name_plural = _("verification rounds")
        constraints = [
            models.CheckConstraint(condition=Q(requests_sent__lte=MAX_REQUESTS), name="round_asks_at_most_twice"),
            models.UniqueConstraint(fields=["initiative"], condition=Q(state__in=OPEN_STATES),
                                    name="one_open_round_per_initiative"),
        ]
        indexes = [models.Index(fields=["state", "province"], name="round_state_province")]

    def __str__(self) -> str:
        return f"{self.initiative_id} {self.opened_on} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class VerificationOptOut(models.Model):
    """The initiative asked (by its link) not to be asked again: only editors verify it from then on."""

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="verification_opt_out",
                                      verbose_name=_("initiative"))
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("initiative that asked not to be asked")
        verbose_name_plural = _("initiatives that asked not to be asked")

    def __str__(self) -> str:
        return str(self.initiative_id)


class DigestSent(models.Model):
    """An editor's daily digest of their worklist, sent (once per editor and day)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    rounds = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_editor_and_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class JobError(models.Model):
    """Why an attempt of a background job failed (procrastinate keeps the job and its state, not the
    error): written by registry.jobs for every failed attempt, and when a job's worker died."""

    job_id = models.BigIntegerField(_("job"), db_index=True)
    task_name = models.CharField(_("task"), max_length=200)
    attempt = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    error = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("job error")
        verbose_name_plural = _("job errors")

    def __str__(self) -> str:
        return f"#{self.job_id}: {self.error[:80]}"
