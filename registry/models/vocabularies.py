"""Vocabularies: small tables with a stable code (used in URLs, the API and exports) and labels
in both languages. Seeded by a data migration; maintainers may add terms in the admin."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Vocabulary(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True,
                            help_text=_("Stable identifier used in addresses, the API and downloads."))
    label_nl = models.CharField(_("label (Dutch)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "nl").startswith("en") else self.label_nl


class SearchedVocabulary(Vocabulary):
    """A vocabulary whose terms the search finds records by (registry.search): by their labels, and
    by the other words people use for them."""

    search_words = models.CharField(
        _("other words"), max_length=300, blank=True,
        help_text=_("Other words people search for this term by, in Dutch or English, separated by commas "
                    "(\"buurtbus, taxi\"): the search finds the initiatives with this term by them too."))

    class Meta(Vocabulary.Meta):
        abstract = True


class Kind(SearchedVocabulary):
    class Meta(SearchedVocabulary.Meta):
        verbose_name = _("kind of initiative")
        verbose_name_plural = _("kinds of initiative")


class Service(SearchedVocabulary):
    class Meta(SearchedVocabulary.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services")


class PartnerKind(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("kind of partner")
        verbose_name_plural = _("kinds of partner")


class PartnershipRole(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("partnership role")
        verbose_name_plural = _("partnership roles")


class FundingSource(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
