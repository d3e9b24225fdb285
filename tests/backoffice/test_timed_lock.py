"""The office lifts a running lock after failed sign-ins, when the resident phones in."""

from __future__ import annotations

import html

from ..factories import RESIDENT_PASSWORD, active_resident, sign_in_resident

WRONG = "Zle-Haslo-0000"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def lock_out(client, login: str) -> None:
    for _ in range(5):
        client.post("/logowanie", data={"login": login, "password": WRONG})
    refused = client.post("/logowanie", data={"login": login, "password": RESIDENT_PASSWORD})
    assert refused.status_code == 200 and "/konto" not in refused.headers.get("Location", "")


def test_the_deciding_department_lifts_a_timed_lock(staff_client, host_client):
    resident = active_resident("kuzniki", "Oskar", "Lewandowski")
    lock_out(host_client("kuzniki.localhost"), resident.login)

    board = staff_client("kuzniki", "z.prezes", "board")
    page = text(board.get(f"/staff/osoby/{resident.person_id}"))
    assert "Logowanie wstrzymane do" in page and "Zdejmij wstrzymanie teraz" in page

    lifted = board.post(f"/staff/osoby/{resident.person_id}/wstrzymanie")
    assert lifted.status_code == 302
    page = text(board.get(f"/staff/osoby/{resident.person_id}"))
    assert "Logowanie na konto" in page and "jest znów możliwe" in page
    assert "Logowanie wstrzymane do" not in page
    assert "Zdjęcie czasowego wstrzymania logowania" in page        # in the account's history

    sign_in_resident(host_client("kuzniki.localhost"), resident.login)

    again = board.post(f"/staff/osoby/{resident.person_id}/wstrzymanie")
    assert again.status_code == 409
    assert "Logowanie na to konto nie jest wstrzymane." in text(again)


def test_another_department_sees_the_lock_but_may_not_lift_it(staff_client, host_client):
    resident = active_resident("kuzniki", "Irena", "Sowa")
    lock_out(host_client("kuzniki.localhost"), resident.login)

    technical = staff_client("kuzniki", "t.technik", "technical")
    page = text(technical.get(f"/staff/osoby/{resident.person_id}"))
    assert "Logowanie wstrzymane do" in page and "Zdejmij wstrzymanie teraz" not in page
    refused = technical.post(f"/staff/osoby/{resident.person_id}/wstrzymanie")
    assert refused.status_code == 403
    assert "Twój dział nie może tego zrobić." in text(refused)
    refused_again = host_client("kuzniki.localhost").post(
        "/logowanie", data={"login": resident.login, "password": RESIDENT_PASSWORD})
    assert "Location" not in refused_again.headers
