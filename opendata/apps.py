from django.apps import AppConfig


class OpendataConfig(AppConfig):
    """Bulk exports, snapshots and catalogue metadata (see the open-data issue)."""

    name = "opendata"
    verbose_name = "Open data"
