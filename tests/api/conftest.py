from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Maintainer, Role


def forget_throttle_counts() -> None:
    """Throttle counters live in the shared cache (PostgreSQL's or Redis's) and in each process's
    tallies (api.throttling)."""
    from api import throttling

    cache.clear()
    throttling._tallies.clear()


@pytest.fixture(autouse=True)
def fresh_throttle_counts(db):
    """Each test starts with no throttle counts."""
    forget_throttle_counts()
    yield
    forget_throttle_counts()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_client(django_user_model) -> APIClient:
    """A national administrator's client (regional roles: tests/api/test_roles.py)."""
    user = django_user_model.objects.create_user("beheerder", password="x")
    Maintainer.objects.create(user=user, role=Role.ADMINISTRATOR)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
