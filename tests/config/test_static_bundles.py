"""One style sheet of several npm files (config/staticfinders.py): the NL Design System's components
the pages use and, of its theme, only the tokens they read (docs/design.md)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings

from config.staticfinders import NodeModulesFinder, filter_tokens

THEME = """/**
 * Do not edit directly.
 */

.example-theme {
  --other-widget-color: var(--basis-red);
  --utrecht-button-color: var(--basis-action);
  --utrecht-button-border-color: var(--utrecht-button-color); /* [code-only] */
  --utrecht-link-color: blue;
  --basis-action: var(--palette-blue-500);
  --basis-red: var(--palette-red-500);
  --palette-blue-500: #00568b;
  --palette-red-500: #a01d23;
  --palette-green-500: #105f26;
}
"""


def test_only_the_tokens_used_and_those_they_refer_to_are_kept():
    kept = filter_tokens(THEME, used={"--utrecht-button-border-color"}, keep=("--basis-",))

    assert kept == """/**
 * Do not edit directly.
 */

.example-theme {
  --utrecht-button-color: var(--basis-action);
  --utrecht-button-border-color: var(--utrecht-button-color); /* [code-only] */
  --basis-action: var(--palette-blue-500);
  --basis-red: var(--palette-red-500);
  --palette-blue-500: #00568b;
  --palette-red-500: #a01d23;
}
"""


def test_the_bundle_is_built_from_the_named_files_and_rebuilt_when_they_change(tmp_path):
    modules, built = tmp_path / "node_modules", tmp_path / "bundles"
    (modules / "tokens").mkdir(parents=True)
    (modules / "button").mkdir()
    (modules / "tokens" / "theme.css").write_text(THEME)
    (modules / "button" / "index.css").write_text(".utrecht-button { color: var(--utrecht-button-color); }\n")
    bundles = {"vendor/ds.css": {"tokens": ["tokens/theme.css"], "files": ["button/index.css"]}}
    with override_settings(NODE_MODULES=modules, NPM_STATIC_FILES={}, NPM_STATIC_BUNDLES=bundles,
                           NPM_BUNDLE_ROOT=built):
        finder = NodeModulesFinder()
        assert finder.check() == []
        assert finder.find("vendor/ds.css") == str(built / "vendor/ds.css")
        assert [path for path, _storage in finder.list(None)] == ["vendor/ds.css"]
        assert (built / "vendor/ds.css").read_text() == """\
/* Built from node_modules by config/staticfinders.py: do not edit. */
/* tokens/theme.css (filtered to the properties used below) */
/**
 * Do not edit directly.
 */

.example-theme {
  --utrecht-button-color: var(--basis-action);
  --basis-action: var(--palette-blue-500);
  --palette-blue-500: #00568b;
}

/* button/index.css */
.utrecht-button { color: var(--utrecht-button-color); }
"""
        # A new version of a package: the next process builds the bundle anew.
        (modules / "button" / "index.css").write_text(".utrecht-button { color: var(--utrecht-link-color); }\n")
        NodeModulesFinder().find("vendor/ds.css")
        text = (built / "vendor/ds.css").read_text()
        assert "--utrecht-link-color: blue;" in text and "--utrecht-button-color" not in text


def test_a_missing_package_file_is_named_by_the_check(tmp_path):
    bundles = {"vendor/ds.css": {"tokens": ["tokens/theme.css"], "files": ["button/index.css"]}}
    with override_settings(NODE_MODULES=tmp_path, NPM_STATIC_FILES={}, NPM_STATIC_BUNDLES=bundles,
                           NPM_BUNDLE_ROOT=tmp_path / "bundles"):
        finder = NodeModulesFinder()
        errors = [error.msg for error in finder.check()]
        assert finder.find("vendor/ds.css") == []
    assert errors == [f"NPM_STATIC_BUNDLES: {tmp_path / name} is missing (for vendor/ds.css)."
                      for name in ("tokens/theme.css", "button/index.css")]


def test_the_sites_bundle_holds_its_components_and_only_the_theme_tokens_they_need():
    path = finders.find("vendor/nlds/nlds.css")
    assert isinstance(path, str)
    text = Path(path).read_text()
    modules = Path(settings.NODE_MODULES)
    for name in settings.NLDS_COMPONENTS:
        assert (modules / f"@utrecht/{name}-css/dist/index.css").read_text().rstrip() in text, name
    declared = set(re.findall(r"^\s*(--[\w-]+)\s*:", text, re.M))
    # Tokens of other organisations' components are left out; those the components read are in.
    assert not [name for name in declared if name.startswith(("--denhaag-", "--ams-", "--lux-", "--rhc-"))]
    assert {"--utrecht-button-primary-action-background-color", "--utrecht-link-color",
            "--utrecht-page-footer-background-color", "--basis-color-accent-1-bg-default",
            "--voorbeeld-kleuren-blauw-500"} <= declared
    assert "--utrecht-accordion-button-color" not in declared  # a component the site does not use
    # Every token a kept token refers to is there too (or a component's own fallback supplies it).
    theme = text.split("/* @utrecht/", 1)[0]
    missing = {ref for ref in re.findall(r"var\((--[\w-]+)\)", theme) if ref not in declared}
    assert missing == set()
