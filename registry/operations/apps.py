from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The management commands (registry/operations/management/commands/)."""

    name = "registry.operations"
    label = "registry_operations"
    verbose_name = _("Operations")
