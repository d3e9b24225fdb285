"""Voting on resolutions: the staff open a vote, owners vote by share (or members one
each), change their vote, paper ballots replace or are refused, closing records the
result, the chain is verified, reminders go to those who have not voted."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.voting import services
from iok_saas.modules.voting.models import Ballot, BallotEvent, UnitShare, Vote
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..documents.pdfs import pdf_bytes
from ..factories import tenant
from .conftest import BRZEG, ZW, build_estate, electors, local_input, open_vote, text


def _ballot_form(elector_id, choice):
    return {"elector": str(elector_id), "choice": choice}


def test_staff_open_a_vote_and_owners_vote_by_share(synced, ctx, office_client, signed_in):
    estate = build_estate(BRZEG)
    office = office_client(BRZEG)
    start = utcnow() - timedelta(minutes=1)
    response = office.post("/staff/glosowania/nowe", data={
        "title": "Uchwała w sprawie remontu elewacji", "resolution": "Remont elewacji.",
        "association_id": str(estate.association_id), "starts_at": local_input(start),
        "ends_at": local_input(start + timedelta(days=15))})
    assert response.status_code == 302, text(response)
    with tenant_scope(tenant(BRZEG)):
        vote = db.session.scalars(select(Vote)).one()
        assert vote.total_weight == Decimal("1.0")
        vote_id = vote.id
    units = electors(BRZEG, vote_id)
    assert [w for _, _, w in units] == [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")]

    first, second = signed_in(estate, 0), signed_in(estate, 1)
    assert "czeka na Twój głos" in text(first.get("/konto/glosowania/"))
    assert first.post(f"/konto/glosowania/{vote_id}/glos",
                      data=_ballot_form(units[0][0], "for")).status_code == 302
    # Someone else's unit is refused: nothing written.
    refused = first.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(units[1][0], "for"))
    assert refused.status_code == 422
    assert second.post(f"/konto/glosowania/{vote_id}/glos",
                       data=_ballot_form(units[1][0], "against")).status_code == 302
    # The policy allows a change until the close.
    assert second.post(f"/konto/glosowania/{vote_id}/glos",
                       data=_ballot_form(units[1][0], "abstain")).status_code == 302
    page = text(office.get(f"/staff/glosowania/{vote_id}"))
    assert "Frekwencja na bieżąco" in page and "Frekwencja według wag: 80.00%" in page

    with tenant_scope(tenant(BRZEG)):
        kinds = [e.kind for e in db.session.scalars(select(BallotEvent).order_by(
            BallotEvent.seq))]
        assert kinds == ["cast", "cast", "changed"]
        assert db.session.scalar(select(func.count(Ballot.id))) == 2
        # The window ends; closing records the result once.
        vote = db.session.get(Vote, vote_id)
        vote.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    closed = office.post(f"/staff/glosowania/{vote_id}/zamknij", data={})
    assert closed.status_code == 302, text(closed)
    with tenant_scope(tenant(BRZEG)):
        vote = db.session.get(Vote, vote_id)
        assert (vote.for_weight, vote.against_weight, vote.abstain_weight) == (
            Decimal("0.5"), Decimal("0"), Decimal("0.3"))
        assert vote.adopted is False  # "shares": 0.5 is not more than half of 1.0
    page = text(first.get(f"/konto/glosowania/{vote_id}"))
    assert "Uchwała nie została podjęta." in page and "Głosy według lokali" in page
    protocol = office.get(f"/staff/glosowania/{vote_id}/protokol.pdf")
    assert protocol.headers["Content-Type"] == "application/pdf"
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(protocol.data)).pages)
    assert "Protokół" in pdf_text and "niepodjęta" in pdf_text
    assert "ul. Wiejska" in pdf_text  # the per-unit list


def test_opening_with_bad_input_writes_nothing(synced, ctx, office_client):
    estate = build_estate(BRZEG)
    office = office_client(BRZEG)
    start = utcnow()
    too_short = office.post("/staff/glosowania/nowe", data={
        "title": "Krótka", "resolution": "Treść", "association_id": str(estate.association_id),
        "starts_at": local_input(start), "ends_at": local_input(start + timedelta(days=3))})
    assert too_short.status_code == 422
    assert "co najmniej 14 dni" in text(too_short)
    no_association = office.post("/staff/glosowania/nowe", data={
        "title": "Bez wspólnoty", "resolution": "Treść", "association_id": "None",
        "starts_at": local_input(start), "ends_at": local_input(start + timedelta(days=20))})
    assert "Wybierz wspólnotę" in text(no_association)
    with tenant_scope(tenant(BRZEG)):
        db.session.delete(db.session.scalars(select(UnitShare)).first())
        db.session.commit()
    missing_share = office.post("/staff/glosowania/nowe", data={
        "title": "Bez udziału", "resolution": "Treść",
        "association_id": str(estate.association_id), "starts_at": local_input(start),
        "ends_at": local_input(start + timedelta(days=20))})
    assert "Brak udziału dla lokali" in text(missing_share)
    with tenant_scope(tenant(BRZEG)):
        assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_joint_owners_share_one_vote_of_their_unit(synced, ctx, signed_in):
    estate = build_estate(BRZEG, co_owner_of=0)
    vote_id = open_vote(estate)
    unit = electors(BRZEG, vote_id)[0][0]
    owner, co_owner = signed_in(estate, 0), signed_in(estate, 3)
    assert owner.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "for")
                      ).status_code == 302
    assert co_owner.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "against")
                         ).status_code == 302
    with tenant_scope(tenant(BRZEG)):
        ballots = db.session.scalars(select(Ballot)).all()
        assert [(b.choice, b.person_id) for b in ballots] == [("against", estate.person_ids[3])]
    # "first_voter": only the co-owner who voted may change the unit's vote.
    vote_id = open_vote(estate, joint_owners="first_voter")
    unit = electors(BRZEG, vote_id)[0][0]
    assert owner.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "for")
                      ).status_code == 302
    refused = co_owner.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "against"))
    assert refused.status_code == 422 and "inny współwłaściciel" in text(refused)


def test_a_vote_that_may_not_change_refuses_a_second_ballot(synced, ctx, signed_in):
    estate = build_estate(BRZEG)
    vote_id = open_vote(estate, may_change=False)
    unit = electors(BRZEG, vote_id)[0][0]
    client = signed_in(estate, 0)
    assert client.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "for")
                       ).status_code == 302
    again = client.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "against"))
    assert again.status_code == 422 and "nie można go zmienić" in text(again)


def _paper(office, vote_id, elector_id, choice="against", data=None):
    return office.post(f"/staff/glosowania/{vote_id}/karta", data={
        "elector": str(elector_id), "choice": choice,
        "scan": (io.BytesIO(data if data is not None else pdf_bytes("Karta")), "karta.pdf")},
        content_type="multipart/form-data")


def test_paper_ballots_replace_or_are_refused_per_policy(synced, ctx, office_client,
                                                          signed_in):
    # Brzeg: a paper ballot replaces the electronic vote.
    estate = build_estate(BRZEG)
    vote_id = open_vote(estate)
    unit = electors(BRZEG, vote_id)[0][0]
    signed_in(estate, 0).post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "for"))
    office = office_client(BRZEG)
    bad_scan = _paper(office, vote_id, unit, data=b"%PDF-1.4 nie jest skanem")
    assert bad_scan.status_code == 422 and "Nie udało się odczytać" in text(bad_scan)
    assert _paper(office, vote_id, unit).status_code == 302
    with tenant_scope(tenant(BRZEG)):
        ballot = db.session.scalars(select(Ballot)).one()
        assert (ballot.choice, ballot.channel) == ("against", "paper")
        assert services.scan_path(db.session.get(Vote, vote_id), ballot.scan_sha256).exists()
    # After a paper ballot the resident cannot vote electronically any more.
    late = signed_in(estate, 0).post(f"/konto/glosowania/{vote_id}/glos",
                                     data=_ballot_form(unit, "for"))
    assert late.status_code == 422 and "na papierze" in text(late)

    # Zielone Wzgórza: members vote one each; paper is refused after an electronic vote.
    members = build_estate(ZW, kind="member")
    vote_id = open_vote(members)
    member_electors = electors(ZW, vote_id)
    assert [w for _, _, w in member_electors] == [Decimal(1)] * 3
    mine = next(e for e, key, _ in member_electors if key == f"person:{members.person_ids[0]}")
    signed_in(members, 0).post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(mine, "for"))
    zw_office = office_client(ZW)
    refused = _paper(zw_office, vote_id, mine)
    assert refused.status_code == 422 and "nie może zastąpić" in text(refused)
    with tenant_scope(tenant(ZW)):
        assert db.session.scalars(select(Ballot)).one().channel == "electronic"


def test_verify_detects_tampering(synced, ctx, signed_in):
    estate = build_estate(BRZEG)
    vote_id = open_vote(estate)
    units = electors(BRZEG, vote_id)
    for index, choice in enumerate(("for", "against", "for")):
        signed_in(estate, index).post(f"/konto/glosowania/{vote_id}/glos",
                                      data=_ballot_form(units[index][0], choice))
    runner = synced.test_cli_runner()
    result = runner.invoke(args=["voting", "verify"])
    assert result.exit_code == 0 and "every chain intact" in result.output
    with tenant_scope(tenant(BRZEG)):
        event = db.session.scalars(select(BallotEvent).where(BallotEvent.seq == 2)).one()
        event.choice = "for"  # someone edits the record
        db.session.commit()
    result = runner.invoke(args=["voting", "verify"])
    assert result.exit_code == 1
    assert f"brzeg: vote {vote_id} event 2: content does not match its hash" in result.output
    with tenant_scope(tenant(BRZEG)):
        ballot = db.session.scalars(select(Ballot).where(
            Ballot.elector_id == units[1][0])).one()
        db.session.delete(ballot)  # or removes a ballot
        db.session.commit()
    assert "differs from its events" in runner.invoke(args=["voting", "verify"]).output


def test_reminders_go_once_to_those_who_have_not_voted(synced, ctx, signed_in):
    from iok_saas.modules.voting.tasks import send_reminders

    estate = build_estate(BRZEG)
    # Ends in two days; Brzeg reminds 72 h before the close.
    vote_id = open_vote(estate, start=utcnow() - timedelta(days=13), days=15)
    unit = electors(BRZEG, vote_id)[0][0]
    signed_in(estate, 0).post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(unit, "for"))
    assert send_reminders() == 2
    assert send_reminders() == 0
    with tenant_scope(tenant(BRZEG)):
        to = sorted(m.to_address for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "vote_reminder")))
        # The owner of unit 0 voted: only the other two are reminded.
        assert len(to) == 2 and all("-0@" not in address for address in to)


def test_the_close_task_closes_ended_votes_once(synced, ctx):
    from iok_saas.modules.voting.tasks import close_due

    estate = build_estate(BRZEG)
    vote_id = open_vote(estate, start=utcnow() - timedelta(days=20), days=15)
    assert close_due() == 1
    assert close_due() == 0
    with tenant_scope(tenant(BRZEG)):
        vote = db.session.get(Vote, vote_id)
        assert vote.closed_at is not None and vote.adopted is False
        assert [e.kind for e in db.session.scalars(select(BallotEvent))] == ["closed"]


def test_shares_are_imported_and_bad_rows_refused(synced, ctx):
    from iok_saas.modules.imports.services import import_rows

    estate = build_estate(BRZEG)
    with tenant_scope(tenant(BRZEG)):
        before = db.session.scalar(select(func.count(UnitShare.id)))
        run = import_rows({"shares": [{"external_id": "X1", "unit": "nie-ma", "share": "0.1"},
                                      {"external_id": "X2", "unit": "nie-ma", "share": "1.5"}]},
                          source="test", actor="test")
        assert run.status != "applied"
        assert db.session.scalar(select(func.count(UnitShare.id))) == before
        # A second share for a unit imports, but the vote names the unit instead of guessing.
        unit = db.session.scalars(select(UnitShare)).first()
        from iok_saas.modules.housing.models import Unit
        external = db.session.get(Unit, unit.unit_id).external_id
        run = import_rows({"shares": [{"external_id": "X3", "unit": external, "share": "0.1"}]},
                          source="test", actor="test")
        assert run.status == "applied", run.errors
        with pytest.raises(services.VotingError, match="więcej niż jednym udziałem"):
            services.open_vote(services.Opening(
                "Uchwała", "Treść", utcnow(), utcnow() + timedelta(days=20),
                estate.association_id), "staff:test")


def test_my_ballots_are_in_my_personal_data_export(synced, ctx, signed_in):
    import json

    estate = build_estate(BRZEG)
    vote_id = open_vote(estate)
    units = electors(BRZEG, vote_id)
    mine, other = signed_in(estate, 0), signed_in(estate, 1)
    mine.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(units[0][0], "against"))
    other.post(f"/konto/glosowania/{vote_id}/glos", data=_ballot_form(units[1][0], "for"))
    data = json.loads(mine.get("/konto/dane/eksport.json").get_data(as_text=True))
    assert [(b["vote"], b["choice"]) for b in data["ballots"]] == [
        ("Uchwała w sprawie remontu dachu", "against")]
