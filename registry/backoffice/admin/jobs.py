"""Background jobs in the admin (registry/jobs.py): every job with its state, its attempts and the
errors of its failed attempts; failed (and stuck) jobs can be retried. For administrators only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from procrastinate.contrib.django import app
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from registry.models import JobError
from registry.roles import access_for

RETRYABLE = ("failed", "doing")


def failure_of(task_names: Iterable[str], **arguments: Any) -> JobError | None:
    """The latest error of a failed job of these tasks with these arguments (an import's page)."""
    failed = ProcrastinateJob.objects.filter(task_name__in=list(task_names), status="failed",
                                             **{f"args__{name}": value for name, value in arguments.items()})
    job_ids = list(failed.values_list("id", flat=True))
    return JobError.objects.filter(job_id__in=job_ids).order_by("-at").first() if job_ids else None


class JobStatusFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("todo", _("waiting")), ("doing", _("running")), ("failed", _("failed")),
                ("succeeded", _("done")), ("cancelled", _("cancelled"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=self.value()) if self.value() else queryset


admin.site.unregister(ProcrastinateJob)


@admin.register(ProcrastinateJob)
class JobAdmin(ProcrastinateJobAdmin):
    list_display = ["pk", "short_task_name", "pretty_args", "pretty_status", "attempts", "scheduled_at",
                    "last_error"]
    list_filter = [JobStatusFilter, "task_name"]
    fields = [*ProcrastinateJobAdmin.fields, "errors"]
    actions = ["retry"]
    ordering = ["-id"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_administrator

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_administrator

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_administrator

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "errors"]

    def _errors(self, job: ProcrastinateJob) -> QuerySet[JobError]:
        return JobError.objects.filter(job_id=job.pk).order_by("-at")

    @admin.display(description=_("last error"))
    def last_error(self, job: ProcrastinateJob) -> str:
        error = self._errors(job).first()
        return error.error[:200] if error is not None else ""

    @admin.display(description=_("errors"))
    def errors(self, job: ProcrastinateJob) -> str:
        return format_html_join(
            "", "<p><strong>{} ({}, {})</strong></p><pre>{}</pre>",
            ((error.error, _("attempt %(n)d") % {"n": error.attempt}, timezone.localtime(error.at),
              error.traceback) for error in self._errors(job))) or "—"

    @admin.action(description=_("Retry the selected failed or stuck jobs now"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[ProcrastinateJob]) -> None:
        retried = 0
        for job_id in queryset.filter(status__in=RETRYABLE).values_list("id", flat=True):
            app.job_manager.retry_job_by_id(job_id, retry_at=timezone.now())
            retried += 1
        skipped = queryset.count() - retried
        self.message_user(request, ngettext("%(n)d job will run again.", "%(n)d jobs will run again.", retried)
                          % {"n": retried}, level=messages.SUCCESS if retried else messages.WARNING)
        if skipped:
            self.message_user(request, ngettext(
                "%(n)d job was not retried: only failed or running jobs can be.",
                "%(n)d jobs were not retried: only failed or running jobs can be.", skipped) % {"n": skipped},
                level=messages.WARNING)
