"""Unblock and recovery follow each cooperative's policy: the letter's document number
(Zielone Wzgórza), a written request (Kuźniki), self-service by e-mail (no office reset)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
from iok_saas.tenancy import cross_tenant

from ..letters_text import letter_credentials, pdf_text
from .conftest import make_person

pytestmark = pytest.mark.usefixtures("ctx")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def new_letter(client, person_id: int) -> str:
    """Create the account and issue credentials; the letter's text."""
    assert client.post(f"/staff/osoby/{person_id}/konto").status_code == 302
    letter = client.post(f"/staff/osoby/{person_id}/dane-dostepowe",
                         data={"issue-reason": "Odbiór w biurze"})
    assert letter.mimetype == "application/pdf"
    return pdf_text(letter.data)[0]


def document_number(page_text: str) -> str:
    return re.search(r"Nr dokumentu:\s*(\S+)", page_text).group(1)


def test_zielone_unblock_needs_the_number_of_the_letter(staff_client):
    board = staff_client("zielone-wzgorza", "z.prezes", "board")
    person = make_person("zielone-wzgorza", "Zofia", "Wiśniewska")
    letter = new_letter(board, person)
    number = document_number(letter)
    assert board.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "reported_lost", "block-channel": "in_person",
        "block-reason": "Zgubiony dokument"}).status_code == 302

    page = text(board.get(f"/staff/osoby/{person}"))
    assert "Na podstawie pisma z danymi dostępowymi" in page
    assert 'name="unblock-evidence"' in page

    missing = board.post(f"/staff/osoby/{person}/odblokowanie", data={"unblock-evidence": ""})
    assert missing.status_code == 422
    assert "Podaj numer dokumentu z pisma okazanego przez mieszkańca." in text(missing)

    wrong = board.post(f"/staff/osoby/{person}/odblokowanie",
                       data={"unblock-evidence": "ZIE-00000000"})
    assert wrong.status_code == 409
    page = text(wrong)
    assert "Numer dokumentu nie zgadza się" in page
    assert 'value="ZIE-00000000"' in page
    assert "Aktywna blokada" in page

    letter = board.post(f"/staff/osoby/{person}/odblokowanie",
                        data={"unblock-evidence": number.lower()})
    assert letter.mimetype == "application/pdf"
    login, _ = letter_credentials(pdf_text(letter.data)[0])
    assert login in page


def test_zielone_recovery_checks_the_document_number(staff_client):
    clerk = staff_client("zielone-wzgorza", "s.kowal", "secretariat", role="staff")
    person = make_person("zielone-wzgorza")
    number = document_number(new_letter(clerk, person))
    page = text(clerk.get(f"/staff/osoby/{person}"))
    assert "Na podstawie pisma z danymi dostępowymi (numer dokumentu)" in page
    assert "O blokowaniu i odblokowaniu kont decyduje: Zarząd Spółdzielni" in page

    missing = clerk.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Zapomniane hasło", "reset-identity_checked": "y"})
    assert missing.status_code == 422
    assert "Podaj numer dokumentu" in text(missing)

    letter = clerk.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Zapomniane hasło", "reset-evidence": number,
        "reset-identity_checked": "y"})
    assert letter.mimetype == "application/pdf"
    assert document_number(pdf_text(letter.data)[0]) != number  # a new letter, a new number


def test_kuzniki_recovery_on_a_written_request(staff_client):
    clerk = staff_client("kuzniki", "m.sekretarz", "secretariat", role="staff")
    person = make_person("kuzniki")
    new_letter(clerk, person)
    page = text(clerk.get(f"/staff/osoby/{person}"))
    assert "Nowe hasło na pisemny wniosek mieszkańca" in page
    assert "reset-identity_checked" not in page
    letter = clerk.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Wniosek pisemny nr 12/2026"})
    assert letter.mimetype == "application/pdf"


def test_email_recovery_is_self_service_and_the_office_offers_no_reset(staff_client):
    with cross_tenant("test: read the shipped policy"):
        source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "kuzniki"))
    edited = source.replace("methods: [written_request]", "methods: [email]")
    assert edited != source
    update_policy("kuzniki", edited, Actor.cli("test"))
    db.session.commit()

    clerk = staff_client("kuzniki", "m.sekretarz", "secretariat", role="staff")
    person = make_person("kuzniki")
    new_letter(clerk, person)
    page = text(clerk.get(f"/staff/osoby/{person}"))
    assert "Mieszkańcy odzyskują hasło sami" in page
    assert f'action="/staff/osoby/{person}/odzyskanie"' not in page
    refused = clerk.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Prośba telefoniczna"})
    assert refused.status_code == 409
    assert "Hasło odzyskuje się przez link e-mail" in text(refused)
