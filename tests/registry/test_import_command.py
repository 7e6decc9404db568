"""`manage.py import_initiatives`: a dry run unless --commit, as the user --as names (their role and
region apply), a report on stdout and in a file, and a CommandError for anything wrong."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from registry.models import Initiative, Role
from tests.registry.import_helpers import GOOD_ROWS, administrator, csv_bytes, editor, make_user, register_state

# The import speaks Dutch by default; these tests read its messages in their English source text.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "lijst.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_initiatives", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_is_a_dry_run_without_commit(good_file):
    administrator()
    before = register_state()

    out, _err = run(str(good_file), "--as", "beheerder")

    assert out.splitlines() == [
        "Notice: Columns separated by semicolons.",
        "Dry run: nothing was written. Run again with --commit to save.",
        "Checked 3 rows, nothing written yet: 3 to create, 0 to update, 0 unchanged.",
    ]
    assert register_state() == before


def test_the_report_is_in_dutch_by_default(good_file):
    administrator()

    with translation.override("nl"):
        out, _err = run(str(good_file), "--as", "beheerder")

    assert out.splitlines()[0] == "Notice: Kolommen gescheiden door puntkomma's."
    assert out.splitlines()[-1] == ("3 rijen gecontroleerd, nog niets opgeslagen: 3 toe te voegen, 0 bij te werken, "
                                    "0 ongewijzigd.")


def test_commit_imports_as_the_user_with_the_file_name_as_source(good_file):
    user = administrator()

    out, _err = run(str(good_file), "--as", "beheerder", "--commit", "--publish", "-v", "2")

    assert out.splitlines()[-1] == "Imported 3 rows: 3 created, 0 updated, 0 unchanged."
    assert "line 2: created #" in out and "Buurtkamer De Linde" in out
    records = Initiative.objects.all()
    assert {(r.source, r.publication_state) for r in records} == {("lijst.csv", "gepubliceerd")}
    assert {r.history.get().history_user for r in records} == {user}

    out, _err = run(str(good_file), "--as", "beheerder", "--commit")
    assert out.splitlines()[-1] == "Imported 3 rows: 0 created, 0 updated, 3 unchanged."


def test_errors_are_listed_and_end_in_a_command_error_with_nothing_written(tmp_path):
    administrator()
    rows = [list(row) for row in GOOD_ROWS]
    rows[1][2] = "buurthuis"
    path = tmp_path / "lijst.csv"
    path.write_bytes(csv_bytes(rows))
    before = register_state()

    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written: 1 of 3 rows have errors"):
        call_command("import_initiatives", str(path), "--as", "beheerder", "--commit", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[1] == "line 3: error Dorpscoöperatie Oosterend"
    assert lines[2].startswith("    soort: “buurthuis” is not a known value")
    assert register_state() == before


def test_the_report_is_written_as_json_or_csv(good_file, tmp_path):
    administrator()

    run(str(good_file), "--as", "beheerder", "--report", str(tmp_path / "rapport.json"))
    run(str(good_file), "--as", "beheerder", "--report", str(tmp_path / "rapport.csv"))

    data = json.loads((tmp_path / "rapport.json").read_text(encoding="utf-8"))
    assert (data["source"], data["counts"], [row["outcome"] for row in data["rows"]]) == (
        "lijst.csv", {"created": 3, "updated": 0, "unchanged": 0, "error": 0}, ["created"] * 3)
    lines = (tmp_path / "rapport.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4 and lines[1].startswith("2;created;Buurtkamer De Linde;")


def test_source_mapping_format_and_encoding_options(tmp_path):
    administrator()
    path = tmp_path / "export.txt"
    path.write_bytes(csv_bytes([["Zorg om Leiden", "zorgcoöperatie", "2311"]],
                               header=["Organisatie", "Type", "PC"], encoding="cp1252"))

    out, _err = run(str(path), "--as", "beheerder", "--commit", "--source", "Provincie ZH", "--format", "csv",
                    "--encoding", "windows-1252", "--map", "Organisatie=naam", "--map", "Type=soort",
                    "--map", "PC=postcode")

    assert out.splitlines()[0] == "Notice: Read as windows-1252, as asked."
    record = Initiative.objects.get()
    assert (record.name, record.kind.code, record.source) == ("Zorg om Leiden", "zorgcooperatie", "Provincie ZH")


def test_an_editor_of_another_region_gets_row_errors_and_nothing_is_written(good_file):
    editor("PV26")
    before = register_state()

    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 rows have errors"):
        call_command("import_initiatives", str(good_file), "--as", "redacteur", "--commit", stdout=out)

    assert "outside your region" in out.getvalue() or "buiten uw regio" in out.getvalue()
    assert register_state() == before


@pytest.mark.parametrize(("role", "message"), [
    (Role.REVIEWER, "“lezer” is a reviewer: a reviewer reads, and changes nothing."),
    (None, "“lezer” has no role in the register (give them one in the admin, under Maintainers)."),
])
def test_a_reviewer_or_a_user_without_role_is_refused(good_file, role, message):
    make_user("lezer", role)

    with pytest.raises(CommandError) as refused:
        run(str(good_file), "--as", "lezer")
    assert str(refused.value) == message


@pytest.mark.parametrize(("arguments", "message"), [
    (["--as", "onbekend"], "There is no active user “onbekend”."),
    (["--as", "beheerder", "--map", "Naam"], "--map: “Naam” is not a mapping"),
    (["--as", "beheerder", "--map", "Naam=voornaam"], "--map: “voornaam” is not a column of the template"),
    (["--as", "beheerder", "--report", "rapport.xlsx"], "--report rapport.xlsx: the report is written as .csv"),
    (["--as", "beheerder", "--encoding", "klingon"], "The file cannot be imported: Unknown encoding “klingon”."),
])
def test_malformed_arguments_are_command_errors(good_file, arguments, message):
    administrator()

    with pytest.raises(CommandError) as raised:
        run(str(good_file), *arguments)

    assert str(raised.value).startswith(message)


def test_a_missing_file_or_a_folder_is_a_command_error(tmp_path):
    administrator()

    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "weg.csv"), "--as", "beheerder")
    with pytest.raises(CommandError, match="a directory, not a file"):
        run(str(tmp_path), "--as", "beheerder")


def test_an_inactive_user_is_refused(good_file):
    user = administrator()
    user.is_active = False
    user.save()

    with pytest.raises(CommandError, match="There is no active user"):
        run(str(good_file), "--as", "beheerder")


def test_the_progress_bar_goes_to_stderr(good_file):
    administrator()

    _out, err = run(str(good_file), "--as", "beheerder", "--progress")

    assert err.startswith("\rreading ") or err.startswith("\rchecking ")
    assert err.endswith("\rchecking  [##############################] 100% 3/3 rows\n")


def test_the_progress_bar_draws_counts_and_percentage():
    from registry.operations.management.commands.import_initiatives import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream.write)
    bar("checking", 5_200, 10_000)
    bar("checking", 10_000, 10_000)
    bar.finish()

    assert stream.getvalue() == (
        "\rchecking  [###############...............]  52% 5,200/10,000 rows"
        "\rchecking  [##############################] 100% 10,000/10,000 rows\n")
