from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The domain: initiatives, partners, partnerships, vocabularies, and the actions on them."""

    name = "registry"
    verbose_name = _("Register")

    def ready(self) -> None:
        from django.db.models import Q
        from django.db.models.signals import post_migrate

        from geo.signals import areas_reloaded
        from registry import documents
        from registry.models import Initiative

        def place_again(**_kwargs: object) -> None:
            Initiative.objects.all().assign_areas()
            documents.prepare()  # area names and codes too (only documents that differ are written)

        def prepare_missing(**_kwargs: object) -> None:
            # A database migrated to the read model or the search, or restored from before them, gets
            # its documents and what the search reads.
            missing = Initiative.objects.filter(Q(document__isnull=True) | Q(searched__isnull=True))
            documents.prepare(missing.values_list("pk", flat=True))

        areas_reloaded.connect(place_again, weak=False, dispatch_uid="registry.assign_areas_after_reload")
        post_migrate.connect(prepare_missing, sender=self, weak=False, dispatch_uid="registry.prepare_documents")
