from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1 (see the API issue): serializers/, views/, filters.py, urls.py."""

    name = "api"
