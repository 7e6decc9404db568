"""The back office: the maintainers' side in the Django admin (records, history, merges, duplicates,
suggestions, imports), with the register's own admin site and its limited login. Permissions come
from registry.roles; every change goes through registry.actions."""
