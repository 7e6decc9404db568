"""Imports in the admin: upload, the report of the dry run, commit (all or nothing), the template,
and who may do what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry import importing
from registry.models import ImportRun, Initiative, Role
from tests.jobs.inline import run_deferred
from tests.registry.import_helpers import GOOD_ROWS, administrator, csv_bytes, editor, make_user, register_state

# The import speaks Dutch by default; these tests read its messages in their English source text.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

ADD = "/admin/registry/importrun/add/"


def upload(client, content: bytes, name: str = "lijst.csv", **fields: str):
    """Upload a file, and let the check that the upload deferred run (here, in this process)."""
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "source": "",
            "publication_state": "concept", "encoding": "auto", "mapping": "", **fields}
    response = client.post(ADD, data)
    run_deferred("check_import")
    return response


def commit(client, run_id: int, **options):
    """Press "Commit the import", and let the commit that it deferred run."""
    response = client.post(f"/admin/registry/importrun/{run_id}/commit/", **options)
    run_deferred("commit_import")
    return response


def logged_in(client, user):
    client.force_login(user)
    return client


def test_an_upload_is_checked_and_its_report_shown_and_nothing_is_written(client):
    logged_in(client, editor("PV28"))
    before = register_state()

    response = upload(client, csv_bytes(GOOD_ROWS))

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/registry/importrun/{run.pk}/change/"
    assert (run.file_name, run.source, run.committed_at, run.options["publication_state"]) == (
        "lijst.csv", "lijst.csv", None, "concept")
    assert bytes(run.content) == csv_bytes(GOOD_ROWS)
    assert register_state() == before

    page = client.get(response["Location"])
    assert page.status_code == 200
    report = page.context["report"]
    # Leiden lies in the editor's region, Winsum and Utrecht do not.
    assert [(row.line, row.outcome) for row in report.errors_first()] == [(3, "error"), (4, "error"), (2, "created")]
    html = page.content.decode()
    assert "Commit the import" not in html
    assert "Dorpscoöperatie Oosterend" in html


def test_an_administrator_commits_and_the_run_keeps_the_final_report(client):
    user = administrator()
    logged_in(client, user)
    upload(client, csv_bytes(GOOD_ROWS), source="Lijst LSA", publication_state="gepubliceerd")
    run = ImportRun.objects.get()
    page = client.get(f"/admin/registry/importrun/{run.pk}/change/")
    assert "Commit the import" in page.content.decode()

    response = commit(client, run.pk)

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.committed_at is not None and run.report["committed"] is True
    assert run.report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert {(i.source, i.publication_state) for i in Initiative.objects.all()} == {("Lijst LSA", "gepubliceerd")}
    assert {i.history.get().history_user for i in Initiative.objects.all()} == {user}
    # Once only.
    before = register_state()
    commit(client, run.pk)
    assert register_state() == before

    listing = client.get("/admin/registry/importrun/").content.decode()
    assert "imported: 3 created, 0 updated, 0 unchanged" in listing


def test_an_editor_commits_rows_in_the_region(client):
    logged_in(client, editor("PV28"))
    upload(client, csv_bytes(GOOD_ROWS[:1]))
    run = ImportRun.objects.get()

    commit(client, run.pk)

    assert Initiative.objects.get().municipality.code == "GM0546"


def test_a_commit_is_refused_while_the_report_has_errors(client):
    logged_in(client, administrator())
    rows = [list(row) for row in GOOD_ROWS]
    rows[2][2] = "onbekend"
    upload(client, csv_bytes(rows))
    run = ImportRun.objects.get()
    before = register_state()

    response = commit(client, run.pk, follow=True)

    assert register_state() == before
    assert ImportRun.objects.get().committed_at is None
    assert "cannot be committed" in response.content.decode()


def test_a_file_problem_is_shown_as_such(client):
    logged_in(client, administrator())

    response = upload(client, b"\x00\x01\x02 binary", name="lijst.csv")

    page = client.get(response["Location"])
    assert page.context["report"].file_errors[0].startswith("This is not a text file")
    assert ImportRun.objects.get().report["rows"] == []


def test_the_form_refuses_a_bad_mapping_and_a_file_that_is_too_large(client, monkeypatch):
    logged_in(client, administrator())
    monkeypatch.setattr(importing, "MAX_UPLOAD_BYTES", 1024 * 1024)

    response = upload(client, csv_bytes(GOOD_ROWS) + b" " * 1024 * 1024, mapping="Naam organisatie")

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["file"][0].startswith("The file is 1.0 MB; at most 1 MB can be uploaded.")
    assert errors["mapping"][0].startswith("“Naam organisatie” is not a mapping")
    assert ImportRun.objects.count() == 0


def test_a_reviewer_reads_imports_but_cannot_upload_or_commit(client):
    admin_user = administrator()
    logged_in(client, admin_user)
    upload(client, csv_bytes(GOOD_ROWS))
    run = ImportRun.objects.get()
    client.logout()
    logged_in(client, make_user("meelezer", Role.REVIEWER))

    assert client.get("/admin/registry/importrun/").status_code == 200
    assert client.get(f"/admin/registry/importrun/{run.pk}/change/").status_code == 200
    assert "Commit the import" not in client.get(f"/admin/registry/importrun/{run.pk}/change/").content.decode()
    assert client.get(ADD).status_code == 403
    assert upload(client, csv_bytes(GOOD_ROWS)).status_code == 403
    assert commit(client, run.pk).status_code == 403
    assert Initiative.objects.count() == 0


def test_an_editor_sees_only_their_own_imports(client):
    logged_in(client, editor("PV28", "eerste"))
    upload(client, csv_bytes(GOOD_ROWS[:1]))
    theirs = ImportRun.objects.get()
    client.logout()
    logged_in(client, editor("PV28", "tweede"))

    assert list(client.get("/admin/registry/importrun/").context["cl"].queryset) == []
    assert client.get(f"/admin/registry/importrun/{theirs.pk}/change/").status_code == 404
    assert commit(client, theirs.pk).status_code == 404
    assert Initiative.objects.count() == 0


def test_someone_without_a_role_cannot_reach_imports(client):
    logged_in(client, make_user("personeel"))

    assert client.get("/admin/registry/importrun/").status_code == 403
    assert client.get(ADD).status_code == 403


def test_the_template_and_the_report_can_be_downloaded(client):
    logged_in(client, administrator())
    upload(client, csv_bytes(GOOD_ROWS))
    run = ImportRun.objects.get()

    template = client.get("/admin/registry/importrun/template.csv")
    report = client.get(f"/admin/registry/importrun/{run.pk}/report.csv")

    assert template["Content-Disposition"] == 'attachment; filename="initiatieven-sjabloon.csv"'
    assert template.content == importing.template_csv()
    assert report.content.decode("utf-8-sig").splitlines()[1].startswith("2;created;Buurtkamer De Linde")


def test_a_long_report_is_paged_with_errors_first(client, monkeypatch):
    from registry.backoffice.admin import imports

    monkeypatch.setattr(imports, "ROWS_PER_PAGE", 2)
    logged_in(client, administrator())
    rows = [list(row) for row in GOOD_ROWS]
    rows[2][2] = "onbekend"
    upload(client, csv_bytes(rows))
    run = ImportRun.objects.get()

    first = client.get(f"/admin/registry/importrun/{run.pk}/change/")
    second = client.get(f"/admin/registry/importrun/{run.pk}/change/?page=2")

    assert [row.line for row in first.context["page"]] == [4, 2]
    assert [row.line for row in second.context["page"]] == [3]


@pytest.mark.parametrize(("path", "button", "list_link"), [
    (ADD, "Check the list", "/admin/registry/importrun/"),
    ("/admin/registry/yearlyfigures/import/", "Check the file", "/admin/registry/yearlyfigures/")])
def test_both_imports_upload_through_the_one_form(client, path, button, list_link):
    logged_in(client, administrator())

    response = client.get(path)
    refused = client.post(path, {"source": ""})  # no file: the error on its field, on the page

    html = response.content.decode()
    assert "admin/registry/upload.html" in [template.name for template in response.templates]
    assert '<form method="post" enctype="multipart/form-data" novalidate>' in html
    assert f'<input type="submit" class="default" value="{button}">' in html
    assert f'&rsaquo; <a href="{list_link}">' in html
    assert refused.status_code == 200
    assert '<div class="form-row errors">' in refused.content.decode()
    assert "This field is required." in refused.content.decode()
