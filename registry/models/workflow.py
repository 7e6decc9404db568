"""The maintainers' workflow: roles by region, merges, duplicate candidates, suggestions from the
public and from verification links, and imports. Who may do what is decided in registry/roles.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.models import Municipality, Province
from registry.models.initiatives import Initiative


class Role(models.TextChoices):
    ADMINISTRATOR = "beheerder", _("national administrator")
    EDITOR = "redacteur", _("regional editor")
    REVIEWER = "meelezer", _("reviewer (reads only)")


class Maintainer(models.Model):
    """A maintainer's role and region. A superuser is a national administrator without one; a staff
    user without one may do nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="maintainer",
                                verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    provinces = models.ManyToManyField(Province, blank=True, related_name="+", verbose_name=_("provinces"))
    municipalities = models.ManyToManyField(Municipality, blank=True, related_name="+",
                                            verbose_name=_("municipalities"),
                                            limit_choices_to={"valid_to__isnull": True})
    notify = models.BooleanField(_("e-mail me about suggestions from my region"), default=True)

    class Meta:
        verbose_name = _("maintainer")
        verbose_name_plural = _("maintainers")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if not self.user.is_staff:  # the admin lets only staff in
            self.user.is_staff = True
            self.user.save(update_fields=["is_staff"])


class Merge(models.Model):
    """Two records of one initiative became one: the removed record's address leads to the kept one."""

    # No database constraint and nothing done on delete: a kept record that is deleted and restored
    # comes back under the same id, and so do the redirects of what was merged into it.
    kept = models.ForeignKey(Initiative, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                             related_name="merges", verbose_name=_("kept record"))
    removed_id = models.BigIntegerField(_("id of the removed record"), db_index=True)
    removed_name = models.CharField(_("name of the removed record"), max_length=200)
    removed_slug = models.SlugField(_("slug of the removed record"), max_length=220)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("merged by"))
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    # What the merge did, so that its undo (registry.actions.undo_merge) reverses exactly that: the
    # history entries of the kept record before and after it, the removed record's deletion entry,
    # and the links, old slugs, earlier merges and suggestions it moved (registry.merging.MergeDone).
    details = models.JSONField(_("what the merge did"), default=dict, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("undone by"))

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.removed_name} (#{self.removed_id}) → #{self.kept_id}"


def merged_into(initiative_id: int) -> int | None:
    """The record a removed record lives on in (following merges of merges), or None."""
    seen: set[int] = set()
    target = None
    while initiative_id not in seen:
        seen.add(initiative_id)
        kept = (Merge.objects.filter(removed_id=initiative_id, undone_at__isnull=True)
                .values_list("kept_id", flat=True).first())
        if kept is None:
            break
        target = initiative_id = kept
    return target


class DuplicateDecision(models.TextChoices):
    OPEN = "open", _("to be reviewed")
    DISTINCT = "verschillend", _("not a duplicate")


class DuplicateCandidate(models.Model):
    """Two records that may describe the same initiative, with the score registry.duplicates gave the
    pair and its reasons (codes with their figures, put into words by duplicates.explain in the reader's
    language). A decision that they differ is remembered, so the pair is not proposed again; a merge
    removes the pair."""

    first = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+", verbose_name=_("first"))
    second = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+", verbose_name=_("second"))
    # Of the names after normalising (registry_name_key), pg_trgm's similarity.
    name_similarity = models.FloatField(_("name similarity"))
    distance_m = models.FloatField(_("distance (m)"))
    score = models.FloatField(_("score"), default=0.0,
                              help_text=_("How likely the two records describe one initiative, from 0 to 1."))
    # [{"code": "same_kvk"}, {"code": "distance", "metres": 1630, "approximate": true}, ...]
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=20, choices=DuplicateDecision.choices,
                                default=DuplicateDecision.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-score", "distance_m"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        # The review's order, for the open pairs most likely first (the work overview, the list).
        indexes = [models.Index(fields=["decision", "-score", "distance_m"], name="duplicate_pairs_by_score")]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first} ↔ {self.second}"


class SuggestionKind(models.TextChoices):
    NEW = "aanmelding", _("new initiative")
    CORRECTION = "correctie", _("correction")
    STOPPED = "gestopt", _("reported as stopped")
    FIGURES = "cijfers", _("yearly figures")


class SuggestionOrigin(models.TextChoices):
    FORM = "formulier", _("public form")
    VERIFICATION = "controlelink", _("verification link")


class SuggestionState(models.TextChoices):
    PENDING = "open", _("waiting for review")
    APPROVED = "goedgekeurd", _("approved")
    REJECTED = "afgewezen", _("rejected")


class Suggestion(models.Model):
    """A proposal from outside the network: a new initiative, a correction or a report that one
    stopped. Nothing of it is public until an editor approves it."""

    kind = models.CharField(_("kind"), max_length=20, choices=SuggestionKind.choices)
    origin = models.CharField(_("origin"), max_length=20, choices=SuggestionOrigin.choices,
                              default=SuggestionOrigin.FORM)
    state = models.CharField(_("state"), max_length=20, choices=SuggestionState.choices,
                             default=SuggestionState.PENDING)
    # The record it is about; for a new initiative, the record its approval created.
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="suggestions", verbose_name=_("initiative"))
    # Proposed values by model field name (vocabularies and choices by code).
    proposed = models.JSONField(_("proposed values"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Private: for questions about the suggestion, never shown on the site, in the API or in exports.
    submitter_name = models.CharField(_("submitted by"), max_length=200, blank=True)
    submitter_email = models.EmailField(_("e-mail address of the submitter"), blank=True)
    # Where it is about, so that the editors of that region see it and are told.
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("municipality"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("province"))
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["state", "created_at"], name="suggestion_queue")]

    def __str__(self) -> str:
        name = self.initiative.name if self.initiative is not None else self.proposed.get("name", "")
        return f"{self.get_kind_display()}: {name}"


class ImportWork(models.TextChoices):
    CHECKING = "controleren", _("being checked")
    COMMITTING = "opslaan", _("being saved")


class ImportRun(models.Model):
    """An uploaded list, kept with its report so that the commit reads exactly what the dry run checked."""

    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    source = models.CharField(_("source"), max_length=200,
                              help_text=_("Stored as the source of every record; with the external id it "
                                          "recognises the records of this list when it is imported again."))
    options = models.JSONField(_("options"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    # Checking and committing run as background jobs (registry/backoffice/tasks.py): what is under way,
    # and how far it got ({"phase", "done", "total"}), shown in the admin while it runs.
    working = models.CharField(_("under way"), max_length=20, choices=ImportWork.choices, blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
