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
        from registry.models import Initiative, SocialValueEvidence, YearlyFigures

        def place_again(**_kwargs: object) -> None:
            Initiative.objects.all().assign_areas()
            documents.prepare()  # area names and codes too (only documents that differ are written)

        def prepare_missing(**_kwargs: object) -> None:
            # A database migrated to the read model, the search or the detail's prepared members, or
            # restored from before them, gets its documents, what the search reads and those members.
            # Here rather than in a migration: the members are made by today's code from today's tables.
            missing = Initiative.objects.filter(Q(document__isnull=True) | Q(searched__isnull=True))
            documents.prepare(missing.values_list("pk", flat=True))
            without_members = Initiative.objects.published().filter(figures_document__isnull=True).filter(
                Q(pk__in=YearlyFigures.objects.filter(public=True).values("initiative_id"))
                | Q(pk__in=SocialValueEvidence.objects.values("initiative_id")))
            documents.prepare_detail_members(list(without_members.values_list("pk", flat=True)))

        areas_reloaded.connect(place_again, weak=False, dispatch_uid="registry.assign_areas_after_reload")
        post_migrate.connect(prepare_missing, sender=self, weak=False, dispatch_uid="registry.prepare_documents")
