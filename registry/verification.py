"""Verification links: a signed address per initiative, valid VERIFICATION_LINK_DAYS days, that lets
the initiative itself (no login) confirm that its record is still correct, propose changes or report
that it stopped (registry.site.contribute serves the pages).

The token is the record's id signed with the site's SECRET_KEY, this module's salt and the time it
was made (django.core.signing.TimestampSigner): it cannot be forged or changed, and it expires.
The id in it is no secret (the API shows it); the signature is. A link sent by the yearly loop
(registry.campaigns) also names its round ("<id>:<round>"): once the round is answered or closed,
the link has done its work, and says so instead of changing anything again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry import spreadsheets
from registry.models import Initiative, VerificationRound, merged_into

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

logger = logging.getLogger(__name__)

SALT = "registry.verification-link"


class LinkExpired(Exception):
    """The link was genuine but is older than VERIFICATION_LINK_DAYS."""


class LinkInvalid(Exception):
    """The link was changed, made with another key, or its record no longer exists."""


class _SignedAt(signing.TimestampSigner):
    """A signer whose timestamp is a given moment: a job acting for a day signs as of that day."""

    def __init__(self, at: datetime.datetime, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._at = at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._at.timestamp()))


def _signer(at: datetime.datetime | None = None) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT) if at is None else _SignedAt(at, salt=SALT)


def make_token(initiative: Initiative, round_id: int | None = None, at: datetime.datetime | None = None) -> str:
    value = str(initiative.pk) if round_id is None else f"{initiative.pk}:{round_id}"
    return _signer(at).sign(value)


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.VERIFICATION_LINK_DAYS)


def valid_until(made: datetime.datetime | None = None) -> datetime.date:
    """The last day a link made at `made` (now) works."""
    return timezone.localdate((made or timezone.now()) + max_age())


def verification_url(initiative: Initiative, round_id: int | None = None, at: datetime.datetime | None = None) -> str:
    """The absolute address of a new verification link for the initiative (SITE_URL)."""
    return settings.SITE_URL + reverse("registry:verify", args=[make_token(initiative, round_id, at)])


def _unsigned(token: str) -> tuple[int, int | None]:
    try:
        value = _signer().unsign(token, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    pk, _colon, round_part = value.partition(":")
    try:
        return int(pk), (int(round_part) if round_part else None)
    except ValueError:
        raise LinkInvalid from None


def round_for(token: str) -> VerificationRound | None:
    """The round a link of the yearly loop was sent for (None for a link handed out by hand). Raises
    as initiative_for does."""
    _pk, round_id = _unsigned(token)
    if round_id is None:
        return None
    return VerificationRound.objects.filter(pk=round_id).first()


def initiative_for(token: str) -> Initiative:
    """The initiative a token was made for (or the record it was merged into). Raises LinkExpired
    for a genuine but old link, LinkInvalid for anything else (changed, forged, record deleted)."""
    pk, _round_id = _unsigned(token)
    initiative = Initiative.objects.select_related("kind", "municipality", "province").filter(pk=pk).first()
    if initiative is None:
        kept = merged_into(pk)
        initiative = Initiative.objects.filter(pk=kept).first() if kept is not None else None
    if initiative is None:
        raise LinkInvalid
    return initiative


# -- handing links out -----------------------------------------------------------------------------

# Dutch headers, as the import template's (registry.importing.columns) where they name the same thing.
CSV_COLUMNS = ["id", "naam", "email", "gemeente", "provincie", "laatst_gecontroleerd", "link", "geldig_tot"]
CSV_FILE_NAME = "controlelinks.csv"


def write_csv(initiatives: Iterable[Initiative], out: SupportsWrite[str]) -> int:
    """One row per initiative with a new link, in the import template's form (registry.spreadsheets:
    semicolons, UTF-8 with a byte order mark, dates as 2026-03-01); returns the number of rows."""
    writer = spreadsheets.writer(out)
    writer.writerow(CSV_COLUMNS)
    until = valid_until().isoformat()
    count = 0
    for initiative in initiatives:
        writer.writerow([initiative.pk, initiative.name, initiative.email,
                         initiative.municipality.name if initiative.municipality is not None else "",
                         initiative.province.name if initiative.province is not None else "",
                         initiative.last_verified_on.isoformat() if initiative.last_verified_on else "",
                         verification_url(initiative), until])
        count += 1
    return count


def message_for(initiative: Initiative, round_: VerificationRound | None = None, *, reminder: bool = False,
                at: datetime.datetime | None = None) -> EmailMessage:
    """The e-mail to the organisation's public address with its link, in the site's default language.
    A message of the yearly loop carries its round in the link and a Message-ID made from the round
    and its number, so that a message sent again after a crash is recognisably the same one."""
    round_id = round_.pk if round_ is not None else None
    with translation.override(settings.LANGUAGE_CODE):
        if reminder:
            subject = _("Reminder: is the register still right about %(name)s?") % {"name": initiative.name}
        else:
            subject = _("Is the register still right about %(name)s?") % {"name": initiative.name}
        body = render_to_string("registry/email/verification.txt", {
            "initiative": initiative, "link": verification_url(initiative, round_id, at),
            "valid_until": valid_until(at), "reminder": reminder, "yearly": round_ is not None,
            "contact_email": settings.CONTACT_EMAIL, "site_url": settings.SITE_URL,
        })
    headers = {}
    if round_ is not None:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "register"
        headers["Message-ID"] = f"<verification-{round_.pk}-{2 if reminder else 1}@{domain}>"
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [initiative.email], headers=headers)


@dataclass
class Sent:
    sent: list[Initiative] = field(default_factory=list)
    without_email: list[Initiative] = field(default_factory=list)
    failed: list[Initiative] = field(default_factory=list)


def send_links(initiatives: Iterable[Initiative]) -> Sent:
    """E-mail each initiative its link over one connection; records without a public e-mail address
    are reported, not skipped silently, and a failed message is logged and reported."""
    result = Sent()
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # each message below tries again, and reports its own failure
        logger.exception("No connection to send verification e-mails")
    try:
        for initiative in initiatives:
            if not initiative.email:
                result.without_email.append(initiative)
                continue
            try:
                connection.send_messages([message_for(initiative)])
            except Exception:
                logger.exception("The verification e-mail to initiative #%s could not be sent", initiative.pk)
                result.failed.append(initiative)
            else:
                result.sent.append(initiative)
    finally:
        connection.close()
    return result
