"""seed_demo makes realistic, deterministic demo data and is safe to run again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from geo.models import Province
from registry.models import Initiative, Partnership, PublicationState, Status
from registry.operations.demo import DemoGenerator, seed_demo


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_it_seeds_realistic_records_over_all_provinces():
    assert seed("--count", "600", "--seed", "3") == "Created 600 demo initiatives (0 were already present)."

    records = Initiative.objects.all()
    assert records.count() == 600
    assert records.filter(municipality__isnull=True).count() == 0
    per_province = dict(records.values_list("province__code").annotate(n=Count("id")))
    assert sorted(per_province) == sorted(Province.objects.values_list("code", flat=True))
    assert per_province["PV28"] > per_province["PV24"]  # Zuid-Holland outnumbers Flevoland
    assert 30 < records.filter(status=Status.STOPPED).count() < 120
    assert records.filter(last_verified_on__isnull=True).count() > 30
    assert records.filter(publication_state=PublicationState.PUBLISHED).count() > 480
    assert records.filter(services__isnull=True).count() == 0
    assert Partnership.objects.filter(initiative__in=records).count() > 300
    assert Initiative.history.count() == 600
    for initiative in records.order_by("?")[:50]:
        initiative.full_clean()  # every demo record passes the model's own validation


@pytest.mark.django_db
def test_it_is_deterministic_and_a_larger_count_extends_a_smaller_one():
    small = [(r.initiative.slug, r.initiative.location.wkt) for r in DemoGenerator(5).records(40)]
    large = [(r.initiative.slug, r.initiative.location.wkt) for r in DemoGenerator(5).records(80)]
    other_seed = [r.initiative.slug for r in DemoGenerator(6).records(40)]

    assert large[:40] == small
    assert other_seed != [slug for slug, _wkt in small]


@pytest.mark.django_db
def test_running_it_again_adds_only_what_is_missing():
    seed_demo(50, seed=2)
    first = sorted(Initiative.objects.values_list("slug", flat=True))

    assert seed_demo(50, seed=2).summary() == "Created 0 demo initiatives (50 were already present)."
    assert seed_demo(70, seed=2).summary() == "Created 20 demo initiatives (50 were already present)."
    assert set(first) <= set(Initiative.objects.values_list("slug", flat=True))
    assert Initiative.objects.count() == 70


@pytest.mark.django_db
def test_only_if_empty_leaves_a_register_with_data_alone():
    seed_demo(5, seed=1)
    assert seed("--count", "50", "--only-if-empty") == "The register already holds initiatives: no demo data added."
    assert Initiative.objects.count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "message"), [
    ("0", "--count must be at least 1, not 0"), ("veel", "--count must be a whole number, not 'veel'")])
def test_it_refuses_a_bad_count(count, message):
    with pytest.raises(CommandError, match=message):
        seed("--count", count)
    assert Initiative.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_a_register_with_real_records_unless_forced(make_initiative):
    make_initiative(name="Echt initiatief").save()

    with pytest.raises(CommandError, match="The register holds records that are not demo data"):
        seed("--count", "5")
    assert Initiative.objects.count() == 1

    assert seed("--count", "5", "--force") == "Created 5 demo initiatives (0 were already present)."


@pytest.mark.django_db
def test_it_leaves_out_a_demo_record_whose_slug_a_real_record_uses(make_initiative):
    first_slug = DemoGenerator(9).records(1)[0].initiative.slug
    make_initiative(name="Echt", slug=first_slug).save()

    result = seed_demo(3, seed=9, force=True)

    assert result.summary() == ("Created 2 demo initiatives (0 were already present). "
                                "Skipped 1 whose address (slug) a real record uses.")
    assert Initiative.objects.get(slug=first_slug).name == "Echt"
