"""The read model: each initiative's public documents, prepared when it (or anything it shows)
changes, so that every read is assembled from ready text by PostgreSQL (registry.documents)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models.initiatives import Initiative


class InitiativeDocument(models.Model):
    """The prepared parts of one initiative's public documents, as JSON or CSV text.

    What depends on the request or the day is not stored but spliced in when a document is read:
    the record's absolute `url` (the request's scheme and host) and `stale` (today's date).
    Written only by registry.documents.prepare, never by hand.
    """

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, primary_key=True,
                                      related_name="document", verbose_name=_("initiative"))
    # The API's record and GeoJSON Feature: {"id":…,"url":…,"location":GEOMETRY,BODY,"stale":…,TAIL
    geometry = models.TextField(_("geometry (GeoJSON)"))
    body = models.TextField(_("fields from slug to verificationMethod"))
    tail = models.TextField(_("createdAt and updatedAt, closing the record"))
    # The map's compact Feature (slug, name, kind, services, place; coordinates to 5 decimals).
    marker = models.TextField(_("map feature"))
    # The open-data files: a line of initiatives.csv, the lines of partnerships.csv (possibly none),
    # and a Feature of initiatives.geojson.
    csv_row = models.TextField(_("line of initiatives.csv"))
    partnership_rows = models.TextField(_("lines of partnerships.csv"))
    export_feature = models.TextField(_("feature of initiatives.geojson"))
    prepared_at = models.DateTimeField(_("prepared at"))

    class Meta:
        # The register's version reads the latest (registry.history.last_change).
        indexes = [models.Index(fields=["prepared_at"], name="document_prepared_at")]
        verbose_name = _("prepared document")
        verbose_name_plural = _("prepared documents")

    def __str__(self) -> str:
        return f"#{self.initiative_id}"
