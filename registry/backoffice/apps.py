from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The maintainers' admin screens: Django finds `registry.backoffice.admin` and its template tags."""

    name = "registry.backoffice"
    label = "registry_backoffice"
    verbose_name = _("Back office")


class RegisterAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the register's own site as `admin.site` (a limited login)."""

    default = False  # chosen by its full path in INSTALLED_APPS
    default_site = "registry.backoffice.admin_site.RegisterAdminSite"
