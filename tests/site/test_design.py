"""The public forms' controls carry the NL Design System's class names (registry/site/design.py)."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from registry.models import Initiative
from registry.site.filtering import site_filters
from registry.site.forms import InitiativeForm

pytestmark = pytest.mark.django_db


def classes(html: str, name: str) -> set[str]:
    """The class attributes of the inputs named `name`."""
    return {match for match in re.findall(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*class="([^"]*)"', html)}


def test_every_control_of_a_public_form_has_the_class_of_its_kind():
    form = InitiativeForm()

    assert classes(str(form["name"]), "name") == {"utrecht-textbox utrecht-textbox--html-input"}
    assert classes(str(form["founded_year"]), "founded_year") == {"utrecht-textbox utrecht-textbox--html-input short"}
    assert classes(str(form["short_description"]), "short_description") == {
        "utrecht-textarea utrecht-textarea--html-textarea"}
    assert classes(str(form["kind"]), "kind") == {"utrecht-radio-button utrecht-radio-button--html-input"}
    services = str(form["services"])
    assert classes(services, "services") == {"utrecht-checkbox utrecht-checkbox--html-input"}
    # The group around the boxes is not styled as a box itself.
    assert services.startswith('<div id="id_services">')
    assert 'class' not in str(form["started"])


def test_the_filters_lists_and_boxes_have_the_class_of_their_kind():
    form = site_filters(QueryDict("status=actief"), Initiative.objects.published()).form
    html = str(form["province"]) + str(form["municipality"]) + str(form["status"])

    assert classes(html, "province") == {"utrecht-select utrecht-select--html-select"}
    assert classes(html, "municipality") == {"utrecht-select utrecht-select--html-select"}
    assert classes(html, "status") == {"utrecht-checkbox utrecht-checkbox--html-input"}
    assert re.search(r'<input type="checkbox" name="status" value="actief"[^>]*checked', html)
