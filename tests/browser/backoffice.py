"""What the back office's browser tests share: maintainers of each role, logging in, records made for a
module (committed, for the live server), reading an admin list's count, and axe on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model

from registry.models import Initiative, Role
from tests.browser.conftest import Site, axe_violations
from tests.conftest import make
from tests.maintainers import maintainer

PASSWORD = "secret"  # tests.maintainers gives every user this password
ZUID_HOLLAND, UTRECHT_PROVINCE = "PV28", "PV26"


@contextmanager
def maintainers(prefix: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A national administrator, an editor of Zuid-Holland and a national reviewer, removed afterwards."""
    with django_db_blocker.unblock():
        users = {"admin": maintainer(f"{prefix}-beheerder", Role.ADMINISTRATOR),
                 "editor": maintainer(f"{prefix}-redacteur", Role.EDITOR, ZUID_HOLLAND),
                 "reviewer": maintainer(f"{prefix}-meelezer", Role.REVIEWER)}
    yield users
    with django_db_blocker.unblock():
        get_user_model().objects.filter(pk__in=[user.pk for user in users.values()]).delete()


def committed(name: str, location: Any, **fields: Any) -> Initiative:
    """A record made by the test module (called with the database blocker lifted): the server sees it."""
    return make(name, location, **fields)


def log_in(page: Any, site: Site, username: str) -> None:
    page.goto(site("/admin/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(site("/admin/"))


def list_count(page: Any) -> int:
    """The number of rows an admin list says it holds (its paginator: "12 initiatieven")."""
    text = page.evaluate("""() => [...document.querySelector('.paginator').childNodes]
        .filter(node => node.nodeType === Node.TEXT_NODE).map(node => node.textContent).join(' ')""")
    found = re.search(r"(\d+)", text)
    assert found is not None, text
    return int(found.group(1))


def assert_accessible(page: Any) -> None:
    assert axe_violations(page) == [], page.url


def messages(page: Any) -> list[str]:
    return [text.strip() for text in page.locator(".messagelist li").all_inner_texts()]
