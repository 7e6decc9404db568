"""Verification links: a signed address per initiative, valid VERIFICATION_LINK_DAYS days, that lets
the initiative itself (no login) confirm that its record is still correct, propose changes or report
that it stopped (registry.site.contribute serves the pages).

The token is the record's id signed with the site's SECRET_KEY, this module's salt and the time it
was made (django.core.signing.TimestampSigner): it cannot be forged or changed, and it expires.
The id in it is no secret (the API shows it); the signature is.
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
from registry.models import Initiative, merged_into

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

logger = logging.getLogger(__name__)

SALT = "registry.verification-link"


class LinkExpired(Exception):
    """The link was genuine but is older than VERIFICATION_LINK_DAYS."""


class LinkInvalid(Exception):
    """The link was changed, made with another key, or its record no longer exists."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(initiative: Initiative) -> str:
    return _signer().sign(str(initiative.pk))


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.VERIFICATION_LINK_DAYS)


def valid_until(made: datetime.datetime | None = None) -> datetime.date:
    """The last day a link made at `made` (now) works."""
    return timezone.localdate((made or timezone.now()) + max_age())


def verification_url(initiative: Initiative) -> str:
    """The absolute address of a new verification link for the initiative (SITE_URL)."""
    return settings.SITE_URL + reverse("registry:verify", args=[make_token(initiative)])


def initiative_for(token: str) -> Initiative:
    """The initiative a token was made for (or the record it was merged into). Raises LinkExpired
    for a genuine but old link, LinkInvalid for anything else (changed, forged, record deleted)."""
    try:
        value = _signer().unsign(token, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    try:
        pk = int(value)
    except ValueError:
        raise LinkInvalid from None
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


def message_for(initiative: Initiative) -> EmailMessage:
    """The e-mail to the organisation's public address with its link, in the site's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Is the register still right about %(name)s?") % {"name": initiative.name}
        body = render_to_string("registry/email/verification.txt", {
            "initiative": initiative, "link": verification_url(initiative), "valid_until": valid_until(),
            "contact_email": settings.CONTACT_EMAIL, "site_url": settings.SITE_URL,
        })
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [initiative.email])


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
