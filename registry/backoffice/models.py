"""What the back office keeps for its own screens (not the register): a maintainer's saved filters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Parameters of an admin list that are no part of a filter: the page, the choice of rows, the
# bookkeeping of the admin's own links, and Django's popup and to-field markers.
NOT_A_FILTER = {"p", "all", "_changelist_filters", "_popup", "_to_field", "e"}


def filter_query(query: str) -> str:
    """The filter part of an admin list's query string, in a stable order (search and ordering included)."""
    pairs = [(key, value) for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True)
             if key not in NOT_A_FILTER]
    return urlencode(sorted(pairs))


class SavedFilter(models.Model):
    """A list filter a maintainer named and keeps: the list (app label and model) and its query string."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters",
                             verbose_name=_("user"))
    list_name = models.CharField(_("list"), max_length=100,
                                 help_text=_("App label and model, e.g. registry.initiative."))
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["user", "list_name", "name"], name="saved_filter_name_once")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = self.name.strip()
        self.query = filter_query(self.query)
        if not self.name:
            raise ValidationError({"name": _("Give the filter a name.")})
        if not self.query:
            raise ValidationError({"query": _("This list is not filtered: there is nothing to save.")})
