"""Session cookies are host-only and bound to the site that issued them."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from .factories import operator, sign_in_operator

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def operator_client(synced, host_client):
    operator()
    client = host_client("admin.localhost")
    return client, sign_in_operator(client)


def test_session_cookie_is_host_only_httponly_and_samesite(operator_client):
    _, response = operator_client
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("iok_session="))
    cookie = SimpleCookie(header)["iok_session"]
    assert cookie["domain"] == ""  # no Domain attribute: the browser keeps it to this host
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_login_starts_a_new_session(synced, host_client):
    operator()
    client = host_client("admin.localhost")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    sign_in_operator(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_an_admin_session_copied_to_a_tenant_host_is_worthless(operator_client, host_client):
    admin_client, _ = operator_client
    assert admin_client.get("/operator/").status_code == 200
    cookie = admin_client.get_cookie("iok_session", domain="admin.localhost")
    tenant_client = host_client("brzeg.localhost")
    tenant_client.set_cookie("iok_session", cookie.value, domain="brzeg.localhost")
    page = tenant_client.get("/")
    assert page.status_code == 200
    # The foreign session was dropped: the tenant host clears the cookie it was sent.
    assert any(h.startswith("iok_session=;") for h in page.headers.getlist("Set-Cookie"))

