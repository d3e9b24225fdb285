"""Each tenant shows exactly the tabs its policy lists: they are in the navigation and open;
every other tab is absent from the navigation and its pages answer 404."""

from __future__ import annotations

import pytest
from flask import url_for

from iok_saas.features import ALWAYS
from iok_saas.modules.portal.tabs import resident_tabs, staff_desks
from iok_saas.policy.schema import known_tabs

from ..conftest import TENANT_SLUGS
from ..factories import tenant

# Read off policies/*.yaml by hand, so a policy edit that changes what residents see
# fails here until this table is updated on purpose.
EXPECTED_TABS = {
    "brzeg": {"ledger", "water_meters", "documents", "voting"},
    "siarkowiec": {"ledger", "services", "membership", "court_cases", "contact",
                   "water_meters", "announcements"},
    "gdynia": {"ledger", "services", "land_costs", "court_cases", "contact", "water_meters",
               "announcements"},
    "zielone-wzgorza": {"ledger", "water_meters", "meter_submission", "faults",
                        "announcements", "charge_notices", "documents", "voting"},
    "kuzniki": {"ledger", "faults", "occupants", "charge_notices"},
    "tczew": {"ledger", "announcements"},
    "sosnowiec": {"ledger"},
    "skarbek": {"ledger"},
}


def _path(app, endpoint: str) -> str:
    with app.test_request_context(base_url="http://example.localhost"):
        return url_for(endpoint)


def test_every_policy_tab_has_a_page(app):
    assert set(resident_tabs()) == set(known_tabs()) | {"home"}


@pytest.mark.parametrize("slug", TENANT_SLUGS)
def test_resident_sees_exactly_the_policy_tabs(slug, resident_client, app):
    client, _ = resident_client(slug)
    assert tenant(slug).policy.tabs == EXPECTED_TABS[slug]
    for tab in resident_tabs().values():
        if tab.key == "home":
            continue
        response = client.get(_path(app, tab.endpoint))
        expected = 200 if tab.key in EXPECTED_TABS[slug] else 404
        assert response.status_code == expected, (slug, tab.key, response.status_code)


@pytest.mark.parametrize("slug", TENANT_SLUGS)
def test_navigation_lists_the_policy_tabs_in_order(slug, resident_client, app):
    client, _ = resident_client(slug)
    page = client.get("/konto").get_data(as_text=True)
    navigation = tenant(slug).policy.navigation
    hrefs = [_path(app, tab.endpoint) for key in navigation
             for tab in resident_tabs().values() if tab.key == key]
    positions = [page.find(f'href="{href}"') for href in hrefs]
    assert all(p >= 0 for p in positions), (slug, hrefs, positions)
    assert positions == sorted(positions)
    hidden = [tab for tab in resident_tabs().values()
              if tab.key != "home" and tab.key not in EXPECTED_TABS[slug]]
    for tab in hidden:
        assert f'href="{_path(app, tab.endpoint)}"' not in page, (slug, tab.key)


@pytest.mark.parametrize("slug", TENANT_SLUGS)
def test_staff_desks_follow_the_policy(slug, office_client, app):
    client = office_client(slug)
    for desk in staff_desks():
        # A desk keyed on a policy switch (activation codes: Kuźniki only) follows it.
        switched = "." in desk.key and tenant(slug).policy.switch(desk.key)
        shown = desk.key == ALWAYS or desk.key in EXPECTED_TABS[slug] or switched
        response = client.get(_path(app, desk.endpoint))
        assert response.status_code == (200 if shown else 404), (slug, desk.key)


def test_tab_pages_need_a_signed_in_resident(synced, host_client, app):
    client = host_client("zielone-wzgorza.localhost")
    for tab in resident_tabs().values():
        if tab.key in EXPECTED_TABS["zielone-wzgorza"]:
            response = client.get(_path(app, tab.endpoint))
            assert response.status_code == 302
            assert "/logowanie" in response.headers["Location"]
