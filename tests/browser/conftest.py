"""Browser tests: Playwright drives Debian's Chromium against a live server on the test database.

The server runs in a thread of this process with the test settings. Its data is committed (the
server reads it over its own connection): seeded once per run and kept as a database of its own,
which each module's test database is a copy of; after the module the test database as it was
before is put back, so the other tests keep their empty register.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import cache
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings

from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Status
from registry.operations.demo import seed_demo
from tests.committed import copy_database, drop_database, fresh_copy, own_database_name, saved_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Quiet, deterministic Chromium: no GPU, no background traffic to Google, no first-run dialogs.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]
AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
SEEDED = 400
# Tables that hold register data (not the vocabularies or the reference areas).
REGISTER_TABLES = ["registry_yearlyfigures", "registry_historicalyearlyfigures", "registry_socialvalueevidence",
                   "registry_historicalsocialvalueevidence",
                   "registry_initiativedocument", "registry_figuresdocument", "registry_initiativesearch",
                   "registry_searchword",
                   "registry_nameword", "registry_suggestion", "registry_duplicatecandidate",
                   "registry_merge", "registry_verificationround", "registry_verificationoptout",
                   "registry_slugalias", "registry_partnership", "registry_historicalpartnership",
                   "registry_partner", "registry_historicalpartner", "registry_initiative_services",
                   "registry_initiative_funding_sources", "registry_historicalinitiative_services",
                   "registry_historicalinitiative_funding_sources", "registry_historicalinitiative",
                   "registry_initiative"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db)


@dataclass(frozen=True)
class Site:
    url: str
    host: str
    published: int
    by_province: dict[str, int]
    by_municipality: dict[str, int]
    sample: Initiative
    # The map shows running (active) initiatives unless its filters name other statuses.
    running: int = 0
    running_by_province: dict[str, int] | None = None
    running_by_municipality: dict[str, int] | None = None

    def __call__(self, path: str) -> str:
        return self.url + path


def empty_register() -> None:
    # Never the development database: pytest-django only makes the test database for tests marked
    # as using one, which is why every browser test carries the django_db mark.
    assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(REGISTER_TABLES)} RESTART IDENTITY")
    cache.clear()


@dataclass
class SeededRegister:
    """The demo register of the browser tests, seeded once per run (it takes seconds) and kept as a
    database of its own, `template`, which each module's test database is made a copy of."""

    template: str | None = None
    figures: dict[str, Any] | None = None


def seed_register() -> dict[str, Any]:
    """Seed the demo register into the (emptied) test database; what the tests expect of it."""
    empty_register()
    seed_demo(SEEDED, seed=11)
    published = Initiative.objects.published()
    by_province = {row["province__code"]: row["count"] for row in published.counts_by("province__code")}
    by_municipality = {row["municipality__code"]: row["count"] for row in published.counts_by("municipality__code")}
    # An initiative that a search for its name finds alone, for the popup test, also as the map asks
    # while the name is typed (its last word a beginning).
    sample = next(candidate for candidate in published.filter(status=Status.ACTIVE, services__isnull=False,
                                                              place__gt="").select_related("kind")
                  .order_by("pk").distinct()
                  if all(InitiativeFilterSet({"q": text}, queryset=published).qs.count() == 1
                         for text in (candidate.name, candidate.name + "*")))
    running = published.filter(status=Status.ACTIVE)
    return {"published": published.count(), "by_province": by_province, "by_municipality": by_municipality,
            "sample": sample, "running": running.count(),
            "running_by_province": {row["province__code"]: row["count"]
                                    for row in running.counts_by("province__code")},
            "running_by_municipality": {row["municipality__code"]: row["count"]
                                        for row in running.counts_by("municipality__code")}}


@pytest.fixture(scope="session")
def seeded_register(django_db_setup: None, django_db_blocker: Any) -> Iterator[SeededRegister]:
    """Made by the first module that asks for it (inside its saved test database, see `site`),
    dropped at the end of the run."""
    seeded = SeededRegister()
    yield seeded
    if seeded.template is not None:
        with django_db_blocker.unblock():
            drop_database(seeded.template)


def with_seeded_register(seeded: SeededRegister) -> dict[str, Any]:
    """The test database becomes the seeded register: seeded the first time (and kept as the
    template), a copy of the template after that."""
    if seeded.template is None:
        seeded.figures = seed_register()
        template = f"{own_database_name()}_browser"
        copy_database(own_database_name(), template)
        seeded.template = template
    else:
        fresh_copy(seeded.template)
    assert seeded.figures is not None
    return seeded.figures


@pytest.fixture(scope="module")
def site(seeded_register: SeededRegister, django_db_blocker: Any) -> Iterator[Site]:
    """The live server on the seeded register, for one module. The test database is saved before
    and put back after the module (tests/committed.py), so nothing the module's tests and
    fixtures commit (records, users, sessions, subscriptions, jobs) is left for later tests."""
    keeper = saved_database()
    with django_db_blocker.unblock():
        keeper.__enter__()
        try:
            figures = with_seeded_register(seeded_register)
        except BaseException:
            keeper.__exit__(*sys.exc_info())
            raise
    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    try:
        # pytest-django's database blocker is process-wide: the server thread needs it lifted.
        with django_db_blocker.unblock(), override_settings(ROOT_URLCONF="tests.browser.urls",
                                                            ALLOWED_HOSTS=["localhost"], DEBUG=False):
            server.start()
            server.is_ready.wait()
            if server.error:
                raise server.error
            url = f"http://localhost:{server.port}"
            with override_settings(MAP_TILE_URL=url + "/test-tiles/{z}/{x}/{y}.png"):
                yield Site(url=url, host=urlsplit(url).netloc, **figures)
            server.terminate()
    finally:
        with django_db_blocker.unblock():
            # The server's request threads keep their connections open; putting the saved test
            # database back ends them (DROP DATABASE … WITH (FORCE)).
            keeper.__exit__(None, None, None)
            cache.clear()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    """Chromium for one module. Playwright's sync API runs an event loop in this thread while it
    is open, and Django refuses database work in a thread with a running loop: so the browser
    starts after the data is seeded and stops before it is removed (it depends on `site`)."""
    from playwright.sync_api import sync_playwright

    # The django_db mark opens a transaction around each test in this thread while the loop runs;
    # the tests themselves only drive the browser, so Django's guard is lifted for this module.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # While the loop runs, Django's connections here are another context's than the `site`
            # fixture's: a connection of a module before this one is left there, to a test
            # database that has since been put back (ended by DROP DATABASE … WITH (FORCE)).
            connections.close_all()
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


# The two screens every public page is tried on: a phone (touch, 390 × 844) and a desktop.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@contextmanager
def checked_page(browser: Any, site: Site, **options: Any) -> Iterator[Any]:
    """A fresh browser context in Dutch (with `options`, say a phone's screen); fails the test if the
    page contacts any other host, fails to load a resource, or throws."""
    options = {"viewport": {"width": 1280, "height": 900}, **options}
    context = browser.new_context(locale="nl-NL", geolocation={"latitude": 52.1601, "longitude": 4.4970},
                                  permissions=["geolocation"], **options)
    # axe-core arrives as an init script, which the pages' Content-Security-Policy does not govern
    # (a <script> added to the page would be refused, as any other script of unknown origin).
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    foreign: list[str] = []
    errors: list[str] = []
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.csp_refusals = refused  # a test that provokes a refusal reads (and empties) it
    page.on("request", lambda request: foreign.append(request.url)
            if urlsplit(request.url).scheme in ("http", "https") and urlsplit(request.url).netloc != site.host
            else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Any script, style sheet, image or call that fails (the page itself may be an error page a
    # test asks for): a missing static file or a refused API call is a broken page.
    failed: list[str] = []
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
    yield page
    context.close()
    assert failed == [], f"resources that failed: {failed}"
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert errors == [], f"JavaScript errors: {errors}"
    assert refused == [], f"refused by the Content-Security-Policy: {refused}"


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    with checked_page(browser, site) as opened:
        yield opened


def axe_violations(page: Any, within: str | None = None, *,
                   impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Serious and critical (or `impacts`) WCAG 2.1 A/AA violations that axe-core finds on the page, or only in
    the elements `within` selects (axe-core is loaded into every page by the `page` fixture).

    Without preloading: axe would copy style sheets that @import others (the admin's) into inline
    <style> elements, which the page's Content-Security-Policy rightly refuses."""
    result = page.evaluate("""within => axe.run(within ? {include: [within]} : document, {preload: false,
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""", within)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
