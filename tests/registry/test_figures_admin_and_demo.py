"""Yearly figures in the admin (scoped by the initiative's region, saved through registry.actions with
history and the consent's who and when) and in the demo register (several years, most consented)."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from registry import actions
from registry.models import ConsentOrigin, Initiative, YearlyFigures
from registry.operations.demo import DEMO_SOURCE, seed_demo
from tests.maintainers import editor, reviewer

THIS_YEAR = timezone.localdate().year


def form(initiative: Initiative, **values) -> dict:
    data = {"initiative": initiative.pk, "year": "2024", "source": "Jaarverslag 2024", "premises": "",
            "income_subsidy": "", "income_commissions": "", "commissioning_partner": "", "income_funds": "",
            "income_crowdfunding": "", "income_loans": "", "income_own": "", "income_membership": "",
            "income_donations": "", "income_partnerships": "", "expenses": "", "volunteers": "",
            "paid_staff_fte": "", "people_reached": "", "work_places": "", "members": "", "household_share": ""}
    data.update(values)
    return data


def test_an_editor_adds_figures_in_the_admin_with_history_and_the_consent_recorded(leiden):
    client = Client()
    user = editor()
    client.force_login(user)

    refused = client.post("/admin/registry/yearlyfigures/add/", form(leiden, income_subsidy="-1", year="2014"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "income_subsidy": ["Een bedrag kan niet negatief zijn (-1); vul 0 in voor geen."],
        "year": ["2014 ligt vóór de oprichting van het initiatief (2015)."]}

    response = client.post("/admin/registry/yearlyfigures/add/", form(leiden, income_subsidy="12000", public="on"))
    assert response.status_code == 302
    record = YearlyFigures.objects.get()
    assert (record.income_subsidy, record.public, record.consent_recorded_by, record.consent_origin) == (
        12000, True, user, ConsentOrigin.MAINTAINER)
    assert list(record.history.values_list("history_user__username", "history_change_reason")) == [
        ("redacteur-zh", "created")]
    assert client.get(f"/admin/registry/yearlyfigures/{record.pk}/history/").status_code == 200


def test_the_admin_lists_figures_of_the_users_region_only(leiden, utrecht):
    for initiative in (leiden, utrecht):
        actions.save_figures(YearlyFigures(initiative=initiative, year=2024, income_subsidy=1), acting_user=None)
    elsewhere = YearlyFigures.objects.get(initiative=utrecht)
    client = Client()
    client.force_login(editor())

    listed = client.get("/admin/registry/yearlyfigures/")
    assert [row.initiative.name for row in listed.context["cl"].result_list] == ["Buurtkamer De Linde"]
    assert client.get(f"/admin/registry/yearlyfigures/{elsewhere.pk}/change/").status_code == 302

    looker = Client()
    looker.force_login(reviewer())
    page = looker.get(f"/admin/registry/yearlyfigures/{elsewhere.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]


def test_the_demo_register_has_several_years_of_figures_mostly_consented(db):
    seed_demo(120, seed=4)

    rows = YearlyFigures.objects.select_related("initiative")
    with_figures = {row.initiative_id for row in rows}
    assert 0.25 < len(with_figures) / 120 < 0.65
    assert {row.year for row in rows} == set(range(2021, THIS_YEAR + 1))
    public = sum(row.public for row in rows) / rows.count()
    assert 0.7 < public < 0.97
    for row in rows:
        row.full_clean()  # every demo figure passes the model's rules
        assert (row.source, row.consent_origin) == (DEMO_SOURCE, ConsentOrigin.DEMO)
        assert row.initiative.founded_year is None or row.year >= row.initiative.founded_year
        assert row.initiative.stopped_on is None or row.year <= row.initiative.stopped_on.year
    assert YearlyFigures.history.filter(history_change_reason="demo data").count() == rows.count()

    count = rows.count()
    seed_demo(120, seed=4)
    assert YearlyFigures.objects.count() == count  # again: nothing added


def test_a_figures_file_is_checked_and_saved_in_the_admin(leiden):
    from django.core.files.uploadedfile import SimpleUploadedFile

    Initiative.objects.filter(pk=leiden.pk).update(external_id="L-1")
    client = Client()
    client.force_login(editor())
    content = b"extern_id;jaar;subsidie;toestemming\r\nL-1;2024;12.000;ja\r\nL-2;2024;5;nee\r\n"

    checked = client.post("/admin/registry/yearlyfigures/import/",
                          {"file": SimpleUploadedFile("cijfers.csv", content)})
    html = checked.content.decode()
    assert checked.status_code == 200
    assert "Geen initiatief in het register heeft extern id “L-2”." in html
    assert YearlyFigures.objects.count() == 0

    good = client.post("/admin/registry/yearlyfigures/import/",
                       {"file": SimpleUploadedFile("cijfers.csv", content.rsplit(b"L-2", 1)[0]), "commit": "on"})
    assert good.context["report"].committed
    assert list(YearlyFigures.objects.values_list("year", "income_subsidy", "public")) == [(2024, 12000, True)]
    listing = client.get("/admin/registry/yearlyfigures/").content.decode()
    assert 'href="/admin/registry/yearlyfigures/import/"' in listing
