"""The start page offers every way the policy lets a resident apply: a button to the online
form, and a printable application generated from the tenant's manifest and policy."""

from __future__ import annotations

import html

from ..letters_text import pdf_text


def start(client) -> str:
    return html.unescape(client.get("/").get_data(as_text=True))


def test_each_channel_of_the_policy_has_its_call_to_action(synced, host_client):
    gdynia = start(host_client("gdynia.localhost"))  # online form, paper and e-mailed scan
    assert 'id="apply-online" href="/wniosek"' in gdynia
    assert 'id="apply-paper" href="/wniosek/formularz.pdf"' in gdynia
    zielone = start(host_client("zielone-wzgorza.localhost"))  # online only
    assert 'id="apply-online"' in zielone and 'id="apply-paper"' not in zielone
    siarkowiec = start(host_client("siarkowiec.localhost"))  # paper only
    assert 'id="apply-online"' not in siarkowiec and 'id="apply-paper"' in siarkowiec
    brzeg = start(host_client("brzeg.localhost"))  # the manager creates every account
    assert "apply-online" not in brzeg and "apply-paper" not in brzeg


def test_the_printable_form_carries_the_tenants_rules(synced, host_client):
    response = host_client("gdynia.localhost").get("/wniosek/formularz.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pdf_text(response.data))
    assert "Wniosek o dostęp do serwisu internetowego" in text
    assert "Imię i nazwisko" in text and "Czytelny podpis" in text
    assert "Posiadacz lokalu użytkowego" in text   # Gdynia accepts commercial units
    assert "skan podpisanego wniosku" in text      # and e-mailed scans
    assert "Odbiór osobisty danych dostępowych" in text  # its next steps

    siarkowiec = " ".join(pdf_text(host_client("siarkowiec.localhost").get(
        "/wniosek/formularz.pdf").data))
    assert "Najemca lokalu" in siarkowiec          # owners and tenants only
    assert "Posiadacz lokalu użytkowego" not in siarkowiec
    assert "skan" not in siarkowiec                # paper at the office only


def test_no_printable_form_where_the_policy_takes_no_paper(synced, host_client):
    assert host_client("zielone-wzgorza.localhost").get(
        "/wniosek/formularz.pdf").status_code == 404
    assert host_client("brzeg.localhost").get("/wniosek/formularz.pdf").status_code == 404
