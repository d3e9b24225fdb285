"""Histories name people and channels, never internal actor codes (``staff:login``,
``applicant:email-link``, ``cli:root``)."""

from __future__ import annotations

import html

import pytest

from iok_saas.modules.backoffice.actors import actor_label
from iok_saas.tenancy import tenant_scope

from ..factories import active_resident, staff, tenant
from .conftest import make_person

pytestmark = pytest.mark.usefixtures("ctx")


def test_a_block_names_the_staff_member_and_their_department(office_client):
    office = office_client("brzeg", "m.kowal", "finance")
    person = make_person("brzeg", "Anna", "Zablokowana")
    assert office.post(f"/staff/osoby/{person}/konto").status_code == 302
    office.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "misuse", "block-channel": "", "block-reason": "Nadużycie"})
    page = html.unescape(office.get(f"/staff/osoby/{person}").get_data(as_text=True))
    finance = tenant("brzeg").department_name("finance")
    assert f"Pracownik m.kowal ({finance})" in page
    assert "staff:m.kowal" not in page


def test_channels_residents_and_tools_read_as_words(app, synced):
    resident = active_resident("zielone-wzgorza", first="Irena", last="Czytelna")
    staff("zielone-wzgorza", "t.tech", "technical")
    with app.test_request_context(), tenant_scope(tenant("zielone-wzgorza")):
        assert actor_label("applicant:email-link") == "wnioskodawca przez link e-mail"
        assert actor_label(f"resident:{resident.login}") == "Irena Czytelna (mieszkaniec)"
        assert actor_label("staff:t.tech") == "Pracownik t.tech (Dział Techniczny)"
        assert actor_label("cli:root") == "administrator platformy (wiersz poleceń)"
        assert actor_label("api:ab12:ksiegowosc") == \
            "import z systemu księgowego (klucz ksiegowosc)"
        # A member since removed keeps a readable line.
        assert actor_label("staff:odszedl") == "pracownik biura (odszedl)"
