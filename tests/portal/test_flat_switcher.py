"""One person, several flats: the flat switcher on every portal page keeps the choice in
the session and every tab follows it; only a flat the resident holds can be chosen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import login_user

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.housing.models import Title
from iok_saas.modules.portal import (
    chosen_unit,
    forget_unit,
    remember_unit,
    resident_units,
    shown_units,
)
from iok_saas.modules.portal.switcher import back_endpoint
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import warsaw_today

from ..factories import active_resident, give_title, make_meter, sign_in_resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")
ZW = "zielone-wzgorza"
SWITCH = "/konto/lokal"


def _two_flats(host_client):
    """A resident of Zielone Wzgórza holding flats in two associations, each with a meter."""
    owner = active_resident(ZW, first="Ewa", last="Dwa", flat="1")
    second = active_resident(ZW, first="Jan", last="Obok", flat="2")
    give_title(ZW, owner.person_id, second.unit_id)
    make_meter(ZW, owner.unit_id, serial="WM-PIERWSZY")
    make_meter(ZW, second.unit_id, serial="WM-DRUGI")
    client = sign_in_resident(host_client(f"{ZW}.localhost"), owner.login)
    return client, owner, second


def _selected(page: str) -> str:
    switcher = page.split('id="unit-switcher"')[1].split("</form>")[0]
    return re.search(r'<option value="(\d*)" selected', switcher).group(1)


def _options(page: str) -> set[str]:
    switcher = page.split('id="unit-switcher"')[1].split("</form>")[0]
    return set(re.findall(r'<option value="(\d*)"', switcher))


def test_every_page_shows_the_switcher_and_every_tab_follows_the_choice(synced, host_client):
    client, owner, second = _two_flats(host_client)
    for path in ("/konto", "/konto/wodomierze/", "/konto/bezpieczenstwo/", "/konto/usterki/"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="unit-switcher"' in page, path
        assert _selected(page) == "", path          # no choice yet: all flats
        assert page.count("<optgroup") == 2, path   # two associations, two groups
    meters = client.get("/konto/wodomierze/").get_data(as_text=True)
    assert "WM-PIERWSZY" in meters and "WM-DRUGI" in meters

    response = client.post(SWITCH, data={"unit": second.unit_id, "back": "meters.index"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/konto/wodomierze/")
    meters = client.get("/konto/wodomierze/").get_data(as_text=True)
    assert "WM-DRUGI" in meters and "WM-PIERWSZY" not in meters
    assert _selected(meters) == str(second.unit_id)
    ledger = client.get("/konto/saldo/").get_data(as_text=True)
    assert _selected(ledger) == str(second.unit_id)
    assert re.search(r'<h2 class="h4">[^<]*/2, Miasto</h2>', ledger)  # the second flat's
    new_fault = client.get("/konto/usterki/nowe").get_data(as_text=True)
    assert re.search(rf'<option selected value="{second.unit_id}"', new_fault)
    assert _selected(client.get("/konto/bezpieczenstwo/").get_data(as_text=True)) \
        == str(second.unit_id)

    # "All my flats" again.
    client.post(SWITCH, data={"unit": "", "back": "meters.index"})
    meters = client.get("/konto/wodomierze/").get_data(as_text=True)
    assert "WM-DRUGI" in meters and "WM-PIERWSZY" in meters


def test_a_pages_own_picker_moves_the_switcher(synced, host_client):
    client, owner, second = _two_flats(host_client)
    page = client.get(f"/konto/wodomierze/?lokal={owner.unit_id}").get_data(as_text=True)
    assert "WM-PIERWSZY" in page and "WM-DRUGI" not in page
    client.get(f"/konto/saldo/?unit={second.unit_id}")
    assert _selected(client.get("/konto").get_data(as_text=True)) == str(second.unit_id)


def test_a_flat_without_a_title_can_never_be_chosen(synced, host_client):
    client, owner, second = _two_flats(host_client)
    stranger = active_resident(ZW, first="Obcy", last="Sąsiad", flat="9")
    elsewhere = active_resident("kuzniki", first="Inna", last="Spółdzielnia", flat="3")
    for unit_id in (stranger.unit_id, elsewhere.unit_id, 2 ** 31, 0):
        response = client.post(SWITCH, data={"unit": unit_id, "back": "meters.index"})
        # Another's flat: 404; a number no key can hold is refused by the form (back Home).
        assert response.status_code == (302 if unit_id == 2 ** 31 else 404), unit_id
        page = client.get("/konto/wodomierze/").get_data(as_text=True)
        assert _selected(page) == ""                # the choice did not move
        assert _options(page) == {str(owner.unit_id), str(second.unit_id), ""}
    # A page's own picker refuses it the same way.
    assert client.get(f"/konto/wodomierze/?lokal={stranger.unit_id}").status_code == 404
    assert client.get(f"/konto/saldo/?unit={stranger.unit_id}").status_code == 404


def test_a_chosen_flat_whose_title_ends_is_no_longer_shown(synced, host_client):
    client, owner, second = _two_flats(host_client)
    client.post(SWITCH, data={"unit": second.unit_id, "back": "meters.index"})
    with tenant_scope(tenant(ZW)):
        title = db.session.query(Title).filter_by(person_id=owner.person_id,
                                                  unit_id=second.unit_id).one()
        title.valid_to = warsaw_today() - timedelta(days=1)
        db.session.commit()
    page = client.get("/konto/wodomierze/").get_data(as_text=True)
    assert "WM-DRUGI" not in page and "WM-PIERWSZY" in page
    assert 'id="unit-switcher"' not in page        # one flat left: nothing to switch


def test_the_switcher_goes_back_only_to_a_tab_never_to_a_url(synced, host_client):
    client, owner, second = _two_flats(host_client)
    for back in ("https://evil.example/", "//evil.example", "/konto/wodomierze/", ""):
        response = client.post(SWITCH, data={"unit": second.unit_id, "back": back})
        assert response.headers["Location"].endswith("/konto"), back
    assert back_endpoint("meters.meter", "meters") == "meters.index"
    assert back_endpoint("security.index", "security") == "accounts.dashboard"


def test_one_flat_shows_no_switcher(synced, resident_client):
    client, _ = resident_client(ZW)
    assert 'id="unit-switcher"' not in client.get("/konto").get_data(as_text=True)


def test_the_chosen_flat_services(synced, app):
    owner = active_resident(ZW, first="Ewa", last="Serwis", flat="4")
    second = active_resident(ZW, first="Jan", last="Serwis", flat="5")
    give_title(ZW, owner.person_id, second.unit_id)
    with tenant_scope(tenant(ZW)), app.test_request_context(base_url=f"http://{ZW}.localhost"):
        login_user(accounts.get_account(owner.account_id))
        assert chosen_unit() is None
        assert {u.id for u in shown_units()} == {owner.unit_id, second.unit_id}
        assert remember_unit(second.unit_id).id == second.unit_id
        assert [u.id for u in shown_units()] == [second.unit_id]
        with pytest.raises(NotFound):
            remember_unit(second.unit_id + 1000)
        assert chosen_unit().id == second.unit_id
        forget_unit()
        assert chosen_unit() is None and len(resident_units()) == 2


def test_the_reading_form_offers_the_chosen_flats_meters(synced, host_client):
    client, owner, second = _two_flats(host_client)
    client.post(SWITCH, data={"unit": second.unit_id, "back": "meters.index"})
    form = client.get("/konto/wodomierze/odczyt").get_data(as_text=True)
    assert "WM-DRUGI" in form and "WM-PIERWSZY" not in form
    first_meter = make_meter(ZW, owner.unit_id, serial="WM-TRZECI")
    # A link to a meter of the other flat switches to that flat.
    form = client.get(f"/konto/wodomierze/odczyt?licznik={first_meter}").get_data(as_text=True)
    assert "WM-TRZECI" in form and "WM-DRUGI" not in form
    assert _selected(form) == str(owner.unit_id)
