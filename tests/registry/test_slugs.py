"""Slugs are stable and unique; an old slug keeps pointing at its initiative."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from registry.models import Initiative, SlugAlias


def test_it_makes_the_slug_from_the_name(make_initiative):
    initiative = make_initiative(name="Dorpscoöperatie ’t Zandt")
    initiative.save()
    assert initiative.slug == "dorpscooperatie-t-zandt"


def test_it_numbers_a_slug_that_is_taken(make_initiative):
    first, second = make_initiative(name="Buurtkamer Leiden"), make_initiative(name="Buurtkamer Leiden")
    first.save()
    second.save()
    assert (first.slug, second.slug) == ("buurtkamer-leiden", "buurtkamer-leiden-2")


def test_a_rename_keeps_the_slug(make_initiative):
    initiative = make_initiative(name="Buurtkamer Leiden")
    initiative.save()
    initiative.name = "Huiskamer van Leiden"
    initiative.save()
    assert Initiative.objects.get(pk=initiative.pk).slug == "buurtkamer-leiden"


def test_a_changed_slug_leaves_the_old_one_as_an_alias(make_initiative):
    initiative = make_initiative(name="Buurtkamer Leiden")
    initiative.save()
    initiative = Initiative.objects.get(pk=initiative.pk)
    initiative.slug = "huiskamer-leiden"
    initiative.save()

    assert list(SlugAlias.objects.values_list("slug", "initiative__slug")) == [
        ("buurtkamer-leiden", "huiskamer-leiden")]


def test_changing_the_slug_back_removes_the_alias(make_initiative):
    initiative = make_initiative(name="Buurtkamer Leiden")
    initiative.save()
    for slug in ["huiskamer-leiden", "buurtkamer-leiden"]:
        initiative = Initiative.objects.get(pk=initiative.pk)
        initiative.slug = slug
        initiative.full_clean()
        initiative.save()

    assert list(SlugAlias.objects.values_list("slug", flat=True)) == ["huiskamer-leiden"]


def test_an_old_slug_of_another_initiative_cannot_be_taken(make_initiative):
    renamed = make_initiative(name="Buurtkamer Leiden")
    renamed.save()
    renamed = Initiative.objects.get(pk=renamed.pk)
    renamed.slug = "huiskamer-leiden"
    renamed.save()

    newcomer = make_initiative(name="Nieuw", slug="buurtkamer-leiden")
    with pytest.raises(ValidationError) as raised:
        newcomer.full_clean()
    assert raised.value.message_dict == {"slug": [
        "De slug “buurtkamer-leiden” was van “Buurtkamer Leiden” en verwijst daar nog naartoe; kies een andere."]}

    generated = make_initiative(name="Buurtkamer Leiden")
    generated.save()
    assert generated.slug == "buurtkamer-leiden-2"
