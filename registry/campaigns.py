"""The yearly verification loop, by itself: which records are asked, reminded or handed to editors on
a given day (registry.actions makes each step; registry.operations.tasks runs it daily).

For a day D:

1. a round opens for every published, running record that goes stale within VERIFICATION_LEAD_DAYS
   (not verified since STALE_AFTER_MONTHS before D + lead) and had no round since its last
   verification within the last STALE_AFTER_MONTHS. A record without a public e-mail address, or
   that asked not to be asked, goes straight to its region's editors' worklist;
2. a round asked VERIFICATION_WORKLIST_DAYS ago or more without an answer goes to the worklist;
3. messages: reminders of rounds asked VERIFICATION_REMINDER_DAYS ago, then first requests (the
   longest unverified first), at most VERIFICATION_DAILY_CAP a day per province (counted from the
   rounds themselves, so a second run on the same day sends nothing more). A round never has more
   than two messages (a database constraint).

A record that stays unconfirmed stays public, marked "not confirmed since …" (and faded on the map):
no job hides or deletes it. Every step is an entry in the record's history.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from registry.models import (
    MAX_REQUESTS,
    OPEN_STATES,
    DigestSent,
    Initiative,
    Maintainer,
    PublicationState,
    Role,
    RoundState,
    Status,
    VerificationRound,
)
from registry.querysets import stale_cutoff
from registry.roles import access_for

REQUEST = "request"
REMINDER = "reminder"


def due_for_a_round(day: datetime.date) -> QuerySet[Initiative]:
    """Published running records that go stale within the lead time and had no round this year."""
    going_stale = stale_cutoff(day + datetime.timedelta(days=settings.VERIFICATION_LEAD_DAYS))
    # A round that ended without a verification (answered with a correction an editor has yet to
    # approve, or that was rejected) is not followed by another within the same period.
    unresolved = VerificationRound.objects.filter(initiative=OuterRef("pk"), opened_on__gt=stale_cutoff(day)).filter(
        Q(initiative__last_verified_on__isnull=True) | Q(opened_on__gt=F("initiative__last_verified_on")))
    return (Initiative.objects.filter(publication_state=PublicationState.PUBLISHED)
            .exclude(status=Status.STOPPED)
            .filter(Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=going_stale))
            .exclude(Exists(unresolved))
            .exclude(verification_rounds__state__in=OPEN_STATES))


def unanswered(day: datetime.date) -> QuerySet[VerificationRound]:
    """Asked rounds whose first message is VERIFICATION_WORKLIST_DAYS old without an answer."""
    since = day - datetime.timedelta(days=settings.VERIFICATION_WORKLIST_DAYS)
    return VerificationRound.objects.filter(state=RoundState.ASKED, first_sent_on__lte=since)


def sent_on(day: datetime.date) -> dict[int | None, int]:
    """Messages sent on `day`, per province (None: outside every province)."""
    counts: dict[int | None, int] = {}
    for province_id, number in (VerificationRound.objects
                                .filter(Q(first_sent_on=day) | Q(reminder_sent_on=day))
                                .values_list("province_id").annotate(number=Count("pk")).order_by()):
        counts[province_id] = number
    return counts


@dataclass(frozen=True)
class Due:
    round_id: int
    kind: str  # REQUEST or REMINDER


def due_messages(day: datetime.date) -> Iterator[Due]:
    """The messages to send on `day`, province by province, within what the daily cap leaves:
    reminders first (their timing matters), then first requests, the longest unverified first."""
    cap = settings.VERIFICATION_DAILY_CAP
    already = sent_on(day)
    remind_from = day - datetime.timedelta(days=settings.VERIFICATION_REMINDER_DAYS)
    reminders = VerificationRound.objects.filter(state=RoundState.ASKED, requests_sent__lt=MAX_REQUESTS,
                                                 reminder_sent_on__isnull=True, first_sent_on__lte=remind_from)
    waiting = VerificationRound.objects.filter(state=RoundState.WAITING)
    provinces = set(reminders.values_list("province_id", flat=True).distinct()) | set(
        waiting.values_list("province_id", flat=True).distinct())
    for province_id in sorted(provinces, key=lambda pk: (pk is None, pk or 0)):
        room = cap - already.get(province_id, 0)
        if room <= 0:
            continue
        in_province = Q(province_id=province_id) if province_id is not None else Q(province_id__isnull=True)
        for pk in reminders.filter(in_province).order_by("first_sent_on", "pk").values_list("pk", flat=True)[:room]:
            room -= 1
            yield Due(pk, REMINDER)
        if room <= 0:
            continue
        for pk in (waiting.filter(in_province)
                   .order_by("initiative__last_verified_on", "opened_on", "pk").values_list("pk", flat=True)[:room]):
            yield Due(pk, REQUEST)


def still_due(round_: VerificationRound, kind: str) -> bool:
    """Whether the message is still to be sent (checked under the round's lock: a retried or second
    job finds it sent, or the round answered, and sends nothing)."""
    if kind == REQUEST:
        return round_.state == RoundState.WAITING and round_.requests_sent == 0
    return (round_.state == RoundState.ASKED and round_.requests_sent == 1
            and round_.reminder_sent_on is None)


# -- the editors' daily digest of their worklist ----------------------------------------------------


def worklist() -> QuerySet[VerificationRound]:
    return VerificationRound.objects.filter(state=RoundState.WORKLIST)


def digests(day: datetime.date) -> dict[int, list[int]]:
    """Who gets a digest on `day`, with the rounds it lists: the maintainers responsible for a round's
    region (registry.roles.maintainers_for: its editors, or the administrators where it has none) who
    want to be told and have an address, for rounds that came onto the worklist since their last
    digest was sent (by the clock: a round that arrives later on the day of a digest is in the next).
    Maintainers without anything new get none."""
    by_area: dict[tuple[int | None, int | None], list[tuple[int, datetime.datetime | None]]] = {}
    for pk, municipality_id, province_id, since in worklist().filter(worklist_on__lte=day).values_list(
            "pk", "municipality_id", "province_id", "worklist_at"):
        by_area.setdefault((municipality_id, province_id), []).append((pk, since))
    last_sent = dict(DigestSent.objects.filter(day__lt=day).values_list("user_id").annotate(last=Max("sent_at")))
    responsible = _responsible()
    result: dict[int, list[int]] = {}
    for area, rounds in by_area.items():
        for user_id in responsible(*area):
            after = last_sent.get(user_id)
            new = [pk for pk, since in rounds if after is None or since is None or since > after]
            if new:
                result.setdefault(user_id, []).extend(new)
    return result


def _responsible() -> Callable[[int | None, int | None], list[int]]:
    """registry.roles.maintainers_for, answered for many areas from two queries: the editors whose
    region covers the area, or the administrators where no editor does; of those, the ones who want
    to be told and have an address."""
    writers = (Maintainer.objects.filter(role__in=[Role.ADMINISTRATOR, Role.EDITOR], user__is_active=True)
               .select_related("user").prefetch_related("provinces", "municipalities"))
    by_province: dict[int, list[Maintainer]] = {}
    by_municipality: dict[int, list[Maintainer]] = {}
    administrators = []
    for writer in writers:
        if writer.role == Role.ADMINISTRATOR:
            administrators.append(writer)
            continue
        for province in writer.provinces.all():
            by_province.setdefault(province.pk, []).append(writer)
        for municipality in writer.municipalities.all():
            by_municipality.setdefault(municipality.pk, []).append(writer)

    def told(maintainers: Iterable[Maintainer]) -> list[int]:
        return sorted({m.user_id for m in maintainers if m.notify and m.user.email})

    def responsible(municipality_id: int | None, province_id: int | None) -> list[int]:
        editors = [*by_province.get(province_id or 0, []), *by_municipality.get(municipality_id or 0, [])]
        return told(editors or administrators)

    return responsible


def send_digest(user_id: int, round_ids: list[int], day: datetime.date) -> bool:
    """One editor's digest for `day`, once: the DigestSent row and the message in one transaction."""
    with transaction.atomic():
        _row, created = DigestSent.objects.get_or_create(user_id=user_id, day=day,
                                                         defaults={"rounds": len(round_ids)})
        if not created:
            return False
        user = get_user_model().objects.get(pk=user_id)
        rounds = list(VerificationRound.objects.filter(pk__in=round_ids).select_related(
            "initiative", "initiative__municipality").order_by("initiative__municipality__name", "initiative__name"))
        waiting = worklist().filter(access_for(user).region()).count()
        with translation.override(settings.LANGUAGE_CODE):
            subject = ngettext("[Register] %(count)d record to verify by hand", "[Register] %(count)d records to "
                               "verify by hand", len(rounds)) % {"count": len(rounds)}
            body = render_to_string("registry/email/worklist_digest.txt", {
                "rounds": rounds, "day": day, "waiting": waiting,
                "worklist_url": settings.SITE_URL + reverse("admin:registry_verificationround_changelist")
                + f"?state__exact={RoundState.WORKLIST}",
            })
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "register"
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email],
                     headers={"Message-ID": f"<digest-{user_id}-{day.isoformat()}@{domain}>"}).send()
    return True
