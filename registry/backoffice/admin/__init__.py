"""The maintainers' side in the Django admin, one module per part of the work. Permissions come
from registry.roles (registry.backoffice.admin.base), changes go through registry.actions."""

from registry.backoffice.admin import (
    accounts,
    bulk,
    figures,
    history,
    imports,
    initiatives,
    jobs,
    merging,
    suggestions,
    verification,
    webhooks,
)

__all__ = ["accounts", "bulk", "figures", "history", "imports", "initiatives", "jobs", "merging", "suggestions",
           "verification", "webhooks"]
