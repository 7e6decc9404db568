from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1 (see the API issue): serializers/, views/, filters.py, urls.py."""

    name = "api"

    def ready(self) -> None:
        from api import schema_extensions  # noqa: F401  registers the OpenAPI field extensions
