from django.apps import AppConfig


class OgcConfig(AppConfig):
    """OGC API Features (Parts 1–3) below /ogc/v1: the register for GIS software (see the OGC issue)."""

    name = "ogc"
    verbose_name = "OGC API"
