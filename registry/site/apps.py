from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The public site (its static files: registry/site/static/registry/)."""

    name = "registry.site"
    label = "registry_site"
    verbose_name = _("Public site")
