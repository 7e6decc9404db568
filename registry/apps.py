from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The domain: initiatives, partners, partnerships, vocabularies, and the actions on them."""

    name = "registry"
    verbose_name = _("Register")

    def ready(self) -> None:
        from geo.signals import areas_reloaded
        from registry.models import Initiative

        def place_again(**_kwargs: object) -> None:
            Initiative.objects.all().assign_areas()

        areas_reloaded.connect(place_again, weak=False, dispatch_uid="registry.assign_areas_after_reload")


class RegisterAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the register's own site as `admin.site` (a limited login)."""

    default = False  # chosen by its full path in INSTALLED_APPS; `registry` means RegistryConfig
    default_site = "registry.admin_site.RegisterAdminSite"
