"""The NL Design System's class names on the public forms' controls (docs/design.md).

The Utrecht component library styles a form control by its class (`utrecht-textbox`, ...), and a
Django widget renders the control: so the site's forms render their fields through DesignedBoundField
(Django's `bound_field_class`), which gives every control the class of its kind beside any class of
its own (`short`). The style sheet is vendor/nlds/nlds.css (config/settings.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.widgets import Input

# The most specific widget class first: CheckboxSelectMultiple is a kind of SelectMultiple, and
# every input is an Input.
CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.HiddenInput, ""),
    (forms.CheckboxSelectMultiple, "utrecht-checkbox utrecht-checkbox--html-input"),
    (forms.CheckboxInput, "utrecht-checkbox utrecht-checkbox--html-input"),
    (forms.RadioSelect, "utrecht-radio-button utrecht-radio-button--html-input"),
    (forms.Select, "utrecht-select utrecht-select--html-select"),  # SelectMultiple too
    (forms.Textarea, "utrecht-textarea utrecht-textarea--html-textarea"),
    (Input, "utrecht-textbox utrecht-textbox--html-input"),
]


def widget_class(widget: forms.Widget) -> str:
    """The design system's class names for a widget's kind of control ("" for none)."""
    return next((names for kind, names in CLASSES if isinstance(widget, kind)), "")


# Radio buttons and check boxes: Django's group template would put the inputs' class on the group too.
CHOICES_TEMPLATE = "registry/forms/choices.html"


class DesignedBoundField(BoundField):
    def as_widget(self, widget: forms.Widget | None = None, attrs: dict[str, Any] | None = None,
                  only_initial: bool = False) -> Any:
        widget = widget or self.field.widget
        if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            widget.template_name = CHOICES_TEMPLATE
        return super().as_widget(widget, attrs, only_initial)

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        # The widget's own attrs yield to these (Widget.build_attrs), so its class goes along.
        own = attrs.get("class", widget.attrs.get("class", ""))
        if names := widget_class(widget):
            attrs["class"] = f"{names} {own}".strip()
        return attrs
