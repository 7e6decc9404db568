from django.apps import AppConfig
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
