"""A readable history: partnership changes in detail on the initiative's history (partner, role, period,
each field before and after), and a revert that says beforehand exactly what it will change (fields,
services, funding sources, partnerships) and then changes exactly that."""

from __future__ import annotations

import pytest
from django.test import Client

from registry import actions
from registry.history import partnership_changes, revert_plan
from registry.models import (
    FundingSource,
    Initiative,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Role,
    Service,
)
from tests.maintainers import maintainer
from tests.registry.test_roles import change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return maintainer("zh", Role.EDITOR, "PV28")


def edit(initiative: Initiative, user, *, saved=(), deleted=(), **fields) -> Initiative:
    before = Initiative.objects.get(pk=initiative.pk)
    for name, value in fields.items():
        setattr(initiative, name, value)
    initiative.full_clean()
    return actions.save_edit(initiative, before, acting_user=user,
                             partnerships=actions.PartnershipChanges(saved=list(saved), deleted=list(deleted)))


def shown(changes) -> list[tuple]:
    return [(c.kind, c.partner, c.role, c.period, c.changes) for c in changes]


def test_the_history_names_each_partnership_that_came_changed_or_went(leiden, editor):
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"))
    role = PartnershipRole.objects.get(code="opdrachtgever")
    added = edit(leiden, editor, saved=[Partnership(partner=town, role=role, start="2024")]).history.latest()
    link = leiden.partnerships.get(partner=town)
    link.end, link.note = "2025", "Tot de verbouwing"
    changed = edit(leiden, editor, saved=[link], phone="071 000 0000").history.latest()
    removed = edit(leiden, editor, deleted=[leiden.partnerships.get(partner=town)]).history.latest()

    changes = partnership_changes(leiden.pk)
    assert shown(changes[added.history_id]) == [("added", "Gemeente Leiden", "Opdrachtgever", "2024–…", ())]
    assert shown(changes[changed.history_id]) == [
        ("changed", "Gemeente Leiden", "Opdrachtgever", "2024–2025",
         (("einde", "—", "2025"), ("opmerking", "—", "Tot de verbouwing")))]
    assert shown(changes[removed.history_id]) == [("removed", "Gemeente Leiden", "Opdrachtgever", "2024–2025", ())]
    assert (added.history_change_reason, changed.history_change_reason) == ("partnerships changed",
                                                                            "edited; partnerships changed")


def test_the_history_page_shows_the_partnership_changes(leiden, editor):
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"))
    edit(leiden, editor, saved=[Partnership(partner=town, role=PartnershipRole.objects.get(code="financier"),
                                            start="2023", end="2024")])
    client = Client()
    client.force_login(editor)

    page = client.get(f"/admin/registry/initiative/{leiden.pk}/history/")
    latest = page.context["page_obj"][0]
    assert shown(latest.partnership_changes) == [("added", "Gemeente Leiden", "Financier (subsidie, bijdrage)",
                                                  "2023–2024", ())]
    assert ("<strong>Partnerschap toegevoegd:</strong> Gemeente Leiden — Financier (subsidie, bijdrage), 2023–2024"
            in page.content.decode())


def test_a_revert_says_what_it_changes_and_changes_exactly_that(leiden, editor):
    fund = leiden.partnerships.get()
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"))
    version = edit(leiden, editor, phone="071 111 1111").history.latest()  # the VSBfonds link is in it
    fund.end = "2030"
    edit(leiden, editor, name="De Linde", saved=[
        fund, Partnership(partner=town, role=PartnershipRole.objects.get(code="accommodatie"))])
    leiden.services.set(Service.objects.filter(code="winkel"))  # outside the actions: a version of its own
    leiden.funding_sources.set(FundingSource.objects.filter(code="subsidie"))

    plan = revert_plan(leiden.pk, version)

    assert [(f.label, f.now, f.then) for f in plan.fields] == [("naam", "De Linde", "Buurtkamer De Linde")]
    assert (plan.services_added, plan.services_removed) == (["Ontmoetingsplek", "Wijkrestaurant"],
                                                            ["Dorps- of buurtwinkel"])
    assert (plan.funding_added, plan.funding_removed) == (["Donaties"], [])
    assert shown(plan.partnerships) == [
        ("removed", "Gemeente Leiden", "Accommodatie", "—", ()),
        ("changed", "VSBfonds", "Financier (subsidie, bijdrage)", "2020–2022", (("einde", "2030", "2022"),))]

    actions.revert(Initiative.objects.get(pk=leiden.pk), version.history_id, acting_user=editor)

    stored = Initiative.objects.get(pk=leiden.pk)
    assert stored.name == "Buurtkamer De Linde"
    assert set(stored.services.values_list("code", flat=True)) == {"ontmoetingsplek", "wijkrestaurant"}
    assert set(stored.funding_sources.values_list("code", flat=True)) == {"subsidie", "donaties"}
    assert list(stored.partnerships.values_list("partner__name", "start", "end")) == [("VSBfonds", "2020", "2022")]
    assert not revert_plan(leiden.pk, stored.history.latest())  # nothing left to change
    assert stored.history.latest().history_change_reason.startswith("reverted to the version of ")


def test_a_revert_brings_back_a_deleted_partnership_unless_its_partner_is_gone(leiden, editor):
    fund = leiden.partnerships.get()
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"))
    edit(leiden, editor, saved=[Partnership(partner=town, role=PartnershipRole.objects.get(code="begeleiding"))])
    version = leiden.history.latest()
    edit(leiden, editor, deleted=list(leiden.partnerships.all()))
    actions.delete_partner(town, acting_user=None)

    plan = revert_plan(leiden.pk, version)
    assert shown(plan.partnerships) == [("added", "VSBfonds", "Financier (subsidie, bijdrage)", "2020–2022", ())]
    assert shown(plan.partnerships_lost) == [("added", "Gemeente Leiden", "Begeleiding", "—", ())]

    actions.revert(Initiative.objects.get(pk=leiden.pk), version.history_id, acting_user=editor)
    assert list(Initiative.objects.get(pk=leiden.pk).partnerships.values_list("pk", "partner__name")) == [
        (fund.pk, "VSBfonds")]


def test_the_revert_page_lists_every_change_before_the_button(leiden, editor):
    version = leiden.history.latest()
    edit(leiden, editor, name="De Linde", deleted=list(leiden.partnerships.all()))
    client = Client()
    client.force_login(editor)

    html = client.get(f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/").content.decode()
    assert "Terugzetten naar deze versie wijzigt precies dit:" in html
    assert "<tr><th scope=\"row\">Naam</th><td>De Linde</td><td>Buurtkamer De Linde</td></tr>" in html
    assert ("<strong>Partnerschap toegevoegd:</strong> VSBfonds — Financier (subsidie, bijdrage), 2020–2022"
            in html)
    assert 'value="Terugzetten naar deze versie"' in html

    reviewer = Client()
    reviewer.force_login(maintainer("lezer", Role.REVIEWER))
    html = reviewer.get(f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/").content.decode()
    assert "Ze verschilt van het record zoals het nu is in:" in html
    assert 'value="Terugzetten naar deze versie"' not in html


def test_an_admin_edit_of_a_partnership_is_one_version_with_the_change_in_detail(leiden, editor):
    client = Client()
    client.force_login(editor)
    fund = leiden.partnerships.get()
    form = change_form(leiden, **{
        "short_description": leiden.short_description, "description": leiden.description, "email": leiden.email,
        "phone": leiden.phone, "volunteers": "12", "paid_staff": "1", "reach_per_week": "80", "source": leiden.source,
        "last_verified_on": "2026-03-01", "verification_method": "telefoon",
        "funding_sources": [str(pk) for pk in leiden.funding_sources.values_list("pk", flat=True)],
        "partnerships-TOTAL_FORMS": "1", "partnerships-INITIAL_FORMS": "1", "partnerships-0-id": str(fund.pk),
        "partnerships-0-initiative": str(leiden.pk), "partnerships-0-partner": str(fund.partner_id),
        "partnerships-0-role": str(fund.role_id), "partnerships-0-start": "2020", "partnerships-0-end": "2024",
        "partnerships-0-note": ""})
    versions = leiden.history.count()

    response = client.post(f"/admin/registry/initiative/{leiden.pk}/change/", form)

    assert response.status_code == 302
    assert leiden.history.count() == versions + 1
    latest = leiden.history.latest()
    assert latest.history_change_reason == "partnerships changed"
    assert shown(partnership_changes(leiden.pk)[latest.history_id]) == [
        ("changed", "VSBfonds", "Financier (subsidie, bijdrage)", "2020–2024", (("einde", "2022", "2024"),))]
