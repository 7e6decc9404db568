"""Maintainers' commands act as a named user (`--as`): that user's role and region apply."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry.models import Initiative, Merge, Role
from tests.conftest import LEIDEN, make
from tests.maintainers import maintainer


@pytest.fixture
def twin(leiden):
    return make("Buurtkamer de Linde", LEIDEN)


def merge(*args: str) -> str:
    out = StringIO()
    call_command("merge_initiatives", *args, stdout=out)
    return out.getvalue().strip()


def test_a_dry_run_changes_nothing_and_commit_merges(twin, leiden):
    maintainer("zh", Role.EDITOR, "PV28")

    assert merge("buurtkamer-de-linde", str(twin.pk), "--as", "zh") == (
        f"Would merge “Buurtkamer de Linde” (#{twin.pk}, buurtkamer-de-linde-2) into “Buurtkamer De Linde” "
        f"(#{leiden.pk}, buurtkamer-de-linde). Run again with --commit to merge.")
    assert Initiative.objects.count() == 2

    assert merge("buurtkamer-de-linde", str(twin.pk), "--as", "zh", "--commit").endswith(
        "/initiatieven/buurtkamer-de-linde-2 now redirects.")
    assert list(Initiative.objects.values_list("pk", flat=True)) == [leiden.pk]
    assert Merge.objects.get().merged_by.username == "zh"


@pytest.mark.parametrize(("who", "message"), [
    ("utrecht", "“Buurtkamer De Linde” ligt buiten uw regio (Utrecht)."),
    ("lezer", "“lezer” is a reviewer: a reviewer reads, and changes nothing."),
    ("medewerker", "“medewerker” has no role in the register (give them one in the admin, under Maintainers)."),
    ("niemand", "There is no active user “niemand”."),
])
def test_users_whose_role_or_region_does_not_allow_it_are_refused(twin, leiden, django_user_model,
                                                                  who, message):
    maintainer("utrecht", Role.EDITOR, "PV26")
    maintainer("lezer", Role.REVIEWER)
    django_user_model.objects.create_user("medewerker", password="x", is_staff=True)

    with pytest.raises(CommandError) as refused:
        merge(str(leiden.pk), str(twin.pk), "--as", who, "--commit")

    assert str(refused.value) == message
    assert Initiative.objects.count() == 2 and not Merge.objects.exists()


def test_unknown_records_and_a_missing_user_are_clear_errors(leiden):
    maintainer("zh", Role.EDITOR, "PV28")
    with pytest.raises(CommandError) as unknown:
        merge(str(leiden.pk), "bestaat-niet", "--as", "zh")
    assert str(unknown.value) == "There is no initiative with id or slug “bestaat-niet”."
    with pytest.raises(CommandError, match="the following arguments are required: --as"):
        merge(str(leiden.pk), "1")
