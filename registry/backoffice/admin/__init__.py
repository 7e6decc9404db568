"""The maintainers' side in the Django admin, one module per part of the work. Permissions come
from registry.roles (registry.backoffice.admin.base), changes go through registry.actions."""

from registry.backoffice.admin import accounts, imports, initiatives, suggestions

__all__ = ["accounts", "imports", "initiatives", "suggestions"]
