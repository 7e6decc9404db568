from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    """Areas (provinces, municipalities), postcodes and places, and the spatial rules on them."""

    name = "geo"
    verbose_name = _("Areas")
