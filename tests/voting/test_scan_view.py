"""The staff view of a paper ballot's scan: linked from the per-unit list and the event
history, served inline as stored and checked against the SHA-256 its event recorded, a 404
for another tenant's staff, for residents and for an event without a scan."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.voting import services
from iok_saas.modules.voting.models import BallotEvent, Vote
from iok_saas.tenancy import tenant_scope

from ..documents.pdfs import pdf_bytes
from ..factories import tenant
from .conftest import BRZEG, build_estate, electors, open_vote, text

SCAN_LINK = re.compile(r'href="(/staff/glosowania/\d+/skan/\d+)"')


def _paper(office, vote_id, elector_id, data):
    return office.post(f"/staff/glosowania/{vote_id}/karta", data={
        "elector": str(elector_id), "choice": "against",
        "scan": (io.BytesIO(data), "karta.pdf")}, content_type="multipart/form-data")


def _events(vote_id):
    with tenant_scope(tenant(BRZEG)):
        return [(e.id, e.kind, e.scan_sha256) for e in db.session.scalars(
            select(BallotEvent).where(BallotEvent.vote_id == vote_id)
            .order_by(BallotEvent.seq))]


def test_staff_open_a_paper_ballots_scan_from_the_list_and_the_history(
        synced, ctx, office_client, signed_in, host_client):
    estate = build_estate(BRZEG)
    vote_id = open_vote(estate)
    (paper_unit, _, _), (online_unit, _, _), _ = electors(BRZEG, vote_id)
    signed_in(estate, 1).post(f"/konto/glosowania/{vote_id}/glos",
                              data={"elector": str(online_unit), "choice": "for"})
    office = office_client(BRZEG)
    before = text(office.get(f"/staff/glosowania/{vote_id}"))
    assert "skan karty" not in before and "głos oddany" in before  # the history lists it
    scan = pdf_bytes("Karta do głosowania — lokal 1")
    assert _paper(office, vote_id, paper_unit, scan).status_code == 302

    page = text(office.get(f"/staff/glosowania/{vote_id}"))
    assert "Karty papierowe ze skanem: 1" in page
    assert "skan karty" in page and "otwórz skan" in page and "Historia zdarzeń" in page
    links = SCAN_LINK.findall(page)
    assert len(links) == 2 and len(set(links)) == 1  # the list and the history: one event
    (paper_event,) = [eid for eid, kind, sha in _events(vote_id) if kind == "paper"]
    assert links[0] == f"/staff/glosowania/{vote_id}/skan/{paper_event}"

    response = office.get(links[0])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data == scan

    # An event without a scan, or another vote's id pair, is a 404.
    (cast_event,) = [eid for eid, kind, _ in _events(vote_id) if kind == "cast"]
    assert office.get(f"/staff/glosowania/{vote_id}/skan/{cast_event}").status_code == 404
    other_vote = open_vote(build_estate(BRZEG))
    assert office.get(f"/staff/glosowania/{other_vote}/skan/{paper_event}").status_code == 404

    # Residents (even the vote's own electors) never reach it; nor does another tenant.
    resident = signed_in(estate, 0)
    assert resident.get(links[0]).status_code == 404
    anonymous = host_client("brzeg.localhost")
    assert anonymous.get(links[0]).status_code == 302  # to the staff sign-in
    assert "skan" not in text(resident.get(f"/konto/glosowania/{vote_id}")).lower()
    stranger = office_client("zielone-wzgorza")
    assert stranger.get(links[0]).status_code == 404
    clerk = office_client(BRZEG, "referent", role="staff")
    assert clerk.get(links[0]).data == scan  # any staff member of the cooperative


def test_an_altered_scan_is_not_served(synced, ctx, office_client):
    estate = build_estate(BRZEG)
    vote_id = open_vote(estate)
    unit = electors(BRZEG, vote_id)[0][0]
    office = office_client(BRZEG)
    assert _paper(office, vote_id, unit, pdf_bytes("Karta")).status_code == 302
    (event_id, _, sha) = next(e for e in _events(vote_id) if e[1] == "paper")
    with tenant_scope(tenant(BRZEG)):
        services.scan_path(db.session.get(Vote, vote_id), sha).write_bytes(pdf_bytes("Inna"))
    response = office.get(f"/staff/glosowania/{vote_id}/skan/{event_id}")
    assert response.status_code == 302
    page = text(office.get(response.headers["Location"]))
    assert "nie zgadza się z zapisanym skrótem SHA-256" in page
