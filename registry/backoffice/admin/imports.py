"""Imports in the admin: upload a list, read the report of the dry run, commit it (all or nothing).
Checking and committing run as background jobs (registry/backoffice/tasks.py): the page shows how far
they got and refreshes itself until the report is there, so the size of a list is no longer bounded
by the web request's time limit.

Administrators and editors upload; an editor sees only their own imports, a reviewer reads them
all. The uploaded file is kept on its ImportRun, so the commit checks and saves exactly the file
whose report was shown (registry.importing does the work, as it does for the command).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KT
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import importing
from registry.backoffice.admin import jobs as jobs_admin
from registry.backoffice.admin.base import RoleAdmin
from registry.backoffice.tasks import check_import, commit_import
from registry.importing import ImportOptions, MappingError, Report
from registry.models import ImportRun, ImportWork, PublicationState
from registry.roles import NotAllowed, signed_in

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ROWS_PER_PAGE = 200


class ReportCounts(TypedDict):
    """What the list of runs reads from each run's report (ImportRunAdmin.get_queryset), as text."""

    created: str | None
    updated: str | None
    unchanged: str | None
    errors: str | None
    file_errors: str | None


class UploadForm(forms.Form):
    file = forms.FileField(label=_("file"), help_text=_(
        "CSV (UTF-8 or Windows-1252, separated by commas, semicolons or tabs), XLSX (the first sheet) or GeoJSON "
        "(points); at most %(size)d MB. Start from the template to get the columns right.")
        % {"size": importing.MAX_UPLOAD_BYTES // (1024 * 1024)})
    source = forms.CharField(label=_("source"), max_length=200, required=False, help_text=_(
        "Where the list comes from, stored on every record; with the external ids it recognises the records when "
        "the list is imported again. Empty: the file name."))
    publication_state = forms.ChoiceField(
        label=_("new records are"), initial=PublicationState.DRAFT,
        choices=[(PublicationState.DRAFT, _("drafts, published after review")),
                 (PublicationState.PUBLISHED, _("published at once"))],
        help_text=_("Unless the file has a column publicatiestatus."))
    encoding = forms.ChoiceField(label=_("encoding of a CSV file"), initial="auto", choices=[
        ("auto", _("detect (UTF-8, otherwise Windows-1252)")), ("utf-8", "UTF-8"), ("windows-1252", "Windows-1252")])
    mapping = forms.CharField(label=_("other column names"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text=_(
        "Only for columns the template does not recognise: one per line, as “column in the file=template column”, "
        "e.g. “Naam organisatie=naam”. Nothing after the = ignores a column."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is %(size).1f MB; at most %(max)d MB can be uploaded. Split the list, "
                                    "or ask an administrator to import it with manage.py import_initiatives.")
                                  % {"size": upload.size / (1024 * 1024),
                                     "max": importing.MAX_UPLOAD_BYTES // (1024 * 1024)})
        return upload

    def clean_mapping(self) -> dict[str, str]:
        try:
            return importing.parse_mapping(self.cleaned_data["mapping"])
        except MappingError as error:
            raise ValidationError(str(error)) from None


# On ImportRunAdmin's annotations of the stored report: whether the check found errors in the file or a row.
HAS_ERRORS = ~Q(file_errors="[]") | ~Q(errors="0")


class ImportStateFilter(admin.SimpleListFilter):
    """Where an import stands: checked and waiting for its commit, stopped by errors, or imported."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("waiting", _("checked, waiting to be committed")), ("failed", _("with errors, not imported")),
                ("committed", _("imported"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> QuerySet[ImportRun]:
        if self.value() == "waiting":
            return queryset.filter(committed_at__isnull=True).exclude(HAS_ERRORS)
        if self.value() == "failed":
            return queryset.filter(HAS_ERRORS, committed_at__isnull=True)
        if self.value() == "committed":
            return queryset.filter(committed_at__isnull=False)
        return queryset


@admin.register(ImportRun)
class ImportRunAdmin(RoleAdmin):
    list_display = ["file_name", "source", "created_by", "created_at", "outcome", "committed_at"]
    list_filter = [ImportStateFilter]
    search_fields = ["file_name", "source"]
    change_list_template = "admin/registry/importrun/change_list.html"

    # -- who sees what --------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        runs = (super().get_queryset(request).select_related("created_by").defer("content", "report")
                .annotate(created=KT("report__counts__created"), updated=KT("report__counts__updated"),
                          unchanged=KT("report__counts__unchanged"), errors=KT("report__counts__error"),
                          file_errors=KT("report__file_errors")))
        access = self.access(request)
        if not access.is_maintainer:
            return runs.none()
        if not access.is_national:
            # An import may hold records of any region: editors (and regional reviewers) see their own.
            return runs.filter(created_by=request.user)
        return runs

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a run is never edited: its report is read, and it is committed by its own button

    @admin.display(description=_("outcome"))
    def outcome(self, run: WithAnnotations[ImportRun, ReportCounts]) -> str:
        if run.working:
            return str(run.get_working_display())
        if run.file_errors not in (None, "[]"):
            return gettext("not imported: see the report")
        counts = {"created": int(run.created or 0), "updated": int(run.updated or 0),
                  "unchanged": int(run.unchanged or 0), "errors": int(run.errors or 0)}
        if run.committed_at:
            return gettext("imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged") % counts
        if counts["errors"]:
            return gettext("%(errors)d rows with errors; not imported") % counts
        return gettext("checked: %(created)d to create, %(updated)d to update, %(unchanged)d unchanged; "
                       "not yet committed") % counts

    # -- views --------------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("template.csv", view(self.template_view), name="registry_importrun_template"),
            path("<int:object_id>/commit/", view(self.commit_view), name="registry_importrun_commit"),
            path("<int:object_id>/report.csv", view(self.report_csv_view), name="registry_importrun_report"),
            path("<int:object_id>/progress.json", view(self.progress_view), name="registry_importrun_progress"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
                 ) -> HttpResponse:
        """Upload a file: it is stored, checked (nothing is written to the register), and its report shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            options = ImportOptions(
                source=form.cleaned_data["source"].strip() or upload.name[:200], file_name=upload.name[:255],
                encoding=form.cleaned_data["encoding"], mapping=form.cleaned_data["mapping"],
                publication_state=form.cleaned_data["publication_state"])
            content = upload.read()
            try:
                user = signed_in(request.user)
                self.access(request).require_write()
            except NotAllowed as error:
                raise PermissionDenied(str(error)) from None
            with transaction.atomic():  # the run and its job, or neither
                run = ImportRun.objects.create(file_name=options.file_name, content=content, source=options.source,
                                               options=options.stored(), report={}, created_by=user,
                                               working=ImportWork.CHECKING)
                check_import.defer(run_id=run.pk)
            return HttpResponseRedirect(reverse("admin:registry_importrun_change", args=[run.pk]))
        return TemplateResponse(request, "admin/registry/importrun/upload.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form,
            "title": _("Import a list of initiatives"), "max_mb": importing.MAX_UPLOAD_BYTES // (1024 * 1024),
            "has_view_permission": self.has_view_permission(request),
        })

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The report of a run: the counts, what concerns the whole file, then the rows, errors first."""
        run = self.get_object(request, object_id)
        if run is None:
            raise Http404
        if run.working:
            return TemplateResponse(request, "admin/registry/importrun/working.html", {
                **self.admin_site.each_context(request), "opts": self.opts, "original": run, "run": run,
                "title": _("Import of %(file)s") % {"file": run.file_name}, **self.progress_of(run),
                "failure": jobs_admin.failure_of(("check_import", "commit_import"), run_id=run.pk),
            })
        report = Report.from_dict(run.report)
        page = Paginator(report.errors_first(), ROWS_PER_PAGE).get_page(request.GET.get("page"))
        return TemplateResponse(request, "admin/registry/importrun/report.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": run, "run": run,
            "title": _("Import of %(file)s") % {"file": run.file_name}, "report": report, "page": page,
            "counts": report.counts, "can_commit": self.can_commit(request, run, report),
        })

    def can_commit(self, request: HttpRequest, run: ImportRun, report: Report) -> bool:
        return (self.access(request).can_write and run.committed_at is None and not run.working
                and not report.has_errors and bool(report.rows))

    def commit_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Check the stored file again and save it, all or nothing, as the user who presses the button."""
        back = HttpResponseRedirect(reverse("admin:registry_importrun_change", args=[object_id]))
        if request.method != "POST":
            return back
        if not self.access(request).can_write:
            raise PermissionDenied
        if self.get_queryset(request).filter(pk=object_id).first() is None:
            raise Http404
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=object_id)  # one commit at a time
            if not self.can_commit(request, run, Report.from_dict(run.report)):
                self.message_user(request, _("This import cannot be committed: it was committed already, is "
                                             "being saved, or its report has errors. Correct the file and upload "
                                             "it again."), level=messages.ERROR)
                return back
            run.working, run.progress = ImportWork.COMMITTING, {}
            run.save(update_fields=["working", "progress"])
            commit_import.defer(run_id=run.pk, user_id=signed_in(request.user).pk)
        self.message_user(request, _("The import is being saved in the background; this page shows how far it "
                                     "got."), level=messages.INFO)
        return back

    def progress_of(self, run: ImportRun) -> dict[str, Any]:
        """How far the run's job got, as the working page shows it and its script updates it."""
        progress = run.progress or {}
        done, total = int(progress.get("done") or 0), int(progress.get("total") or 0)
        phase = {"reading": gettext("reading"), "saving": gettext("saving")}.get(progress.get("phase", ""),
                                                                                gettext("checking"))
        text = str(run.get_working_display()).capitalize() if run.working else ""
        if total:
            text += ": " + gettext("%(done)s of %(total)s") % {"done": done, "total": total} + f" ({phase})"
        return {"working": bool(run.working), "text": text, "percent": int(100 * done / total) if total else 0}

    def progress_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The working page's script asks this every few seconds (no page refresh: WCAG 2.2.1)."""
        run = self.get_queryset(request).filter(pk=object_id).first()
        if run is None:
            raise Http404
        response = JsonResponse(self.progress_of(run))
        response["Cache-Control"] = "no-store"
        return response

    def template_view(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{importing.TEMPLATE_FILE_NAME}"'
        return response

    def report_csv_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        run = self.get_object(request, str(object_id))
        if run is None:
            raise Http404
        response = HttpResponse(Report.from_dict(run.report).to_csv().encode("utf-8"),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-report.csv"'
        return response
