"""Water meters: history and chart per policy, residents' readings, the staff desk."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.meters import services
from iok_saas.modules.meters.models import ACCEPTED, REJECTED, SUBMITTED
from iok_saas.tenancy import tenant_scope

from ..factories import make_meter, tenant
from .conftest import readings, text

SVG = "{http://www.w3.org/2000/svg}"
ZW = "zielone-wzgorza"


def _today():
    return services.today()


def monthly_history(months: int = 5, per_month: float = 3.0, start: float = 100.0):
    """Accepted readings every 30 days up to 30 days ago, ``per_month`` m³ apart."""
    today = _today()
    return [(today - timedelta(days=30 * (months - i)), f"{start + per_month * i:.3f}")
            for i in range(months)]


@pytest.mark.parametrize("slug, history, submission", [
    ("brzeg", 200, 404), ("siarkowiec", 200, 404), ("gdynia", 200, 404),
    (ZW, 200, 200), ("kuzniki", 404, 404),
])
def test_tabs_follow_the_policy(resident_client, office_client, slug, history, submission):
    client, _ = resident_client(slug)
    assert client.get("/konto/wodomierze/").status_code == history
    assert client.get("/konto/wodomierze/odczyt").status_code == submission
    staff = office_client(slug)
    assert staff.get("/staff/odczyty/").status_code == submission


def test_history_table_and_chart(resident_client):
    client, res = resident_client("gdynia")
    meter_id = make_meter("gdynia", res.unit_id, monthly_history(), kind="hot_water",
                          location="kuchnia <pod zlewem>")
    page = client.get("/konto/wodomierze/")
    body = text(page)
    with tenant_scope(tenant("gdynia")):
        serial = db.session.get(services.Meter, meter_id).serial_number
    assert serial in body and "ciepła woda" in body and "kuchnia <pod zlewem>" in body
    assert "112,000" in body and "3,000" in body
    assert "odczyt administracji" in body and "przyjęty" in body
    # The location is escaped in the HTML, not injected.
    assert "kuchnia &lt;pod zlewem&gt;" in page.get_data(as_text=True)
    # Nothing to submit in Gdynia.
    assert "/konto/wodomierze/odczyt" not in body

    svg = _chart(page.get_data(as_text=True), meter_id)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text.startswith("Zużycie wody")
    assert svg.find(f"{SVG}desc").text
    bars = svg.findall(f".//{SVG}rect[@class='iok-chart-bar']")
    assert len(bars) == 4  # five readings, four periods
    assert all(float(bar.get("height")) > 0 for bar in bars)
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert _today().strftime("%m.%Y") in labels or \
        (_today() - timedelta(days=30)).strftime("%m.%Y") in labels


def _chart(page: str, meter_id: int) -> ET.Element:
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg"')
    chunk = page[start:page.index("</svg>", start) + len("</svg>")]
    svg = ET.fromstring(chunk)  # noqa: S314 (our own page) - well-formed XML or this raises
    assert svg.get("id") == f"meter-chart-{meter_id}"
    return svg


def test_chart_escapes_text_and_has_one_bar_per_period(ctx, synced):
    from decimal import Decimal

    from iok_saas.modules.meters.chart import Bar, bar_chart

    bars = [Bar(f"0{i}.2026", Decimal(i), f'okres "{i}" <&>') for i in range(1, 8)]
    chart = bar_chart(bars, chart_id="c", title="A & <B>", description="d", axis_label="m³")
    svg = ET.fromstring(str(chart))  # noqa: S314 (our own output)
    assert svg.find(f"{SVG}title").text == "A & <B>"
    rects = svg.findall(f".//{SVG}rect")
    assert len(rects) == 7
    assert rects[-1].find(f"{SVG}title").text == 'okres "7" <&>'
    empty_chart = bar_chart([], chart_id="e", title="t", description="d", axis_label="m³")
    empty = ET.fromstring(str(empty_chart))  # noqa: S314 (our own output)
    assert empty.findall(f".//{SVG}rect") == []


def test_another_residents_and_tenants_meters_are_404(resident_client):
    client, res = resident_client(ZW)
    _, other = resident_client(ZW, first="Ewa", last="Obca")
    own = make_meter(ZW, res.unit_id, monthly_history())
    foreign = make_meter(ZW, other.unit_id, monthly_history())
    _, elsewhere_res = resident_client("brzeg")
    elsewhere = make_meter("brzeg", elsewhere_res.unit_id, monthly_history())

    assert client.get(f"/konto/wodomierze/{own}").status_code == 200
    assert client.get(f"/konto/wodomierze/?lokal={res.unit_id}").status_code == 200
    for meter_id in (foreign, elsewhere):
        assert client.get(f"/konto/wodomierze/{meter_id}").status_code == 404
        assert client.get(f"/konto/wodomierze/odczyt?licznik={meter_id}").status_code == 404
        response = client.post("/konto/wodomierze/odczyt", data={
            "meter": meter_id, "read_on": _today().isoformat(), "value": "200,000"})
        assert response.status_code == 404
    assert client.get(f"/konto/wodomierze/?lokal={other.unit_id}").status_code == 404
    assert client.get(f"/konto/wodomierze/?lokal={elsewhere_res.unit_id}").status_code == 404
    assert readings(ZW, foreign)[-1].state == ACCEPTED and len(readings(ZW, foreign)) == 5


def _post(client, meter_id, value, day=None, confirm=False):
    data = {"meter": meter_id, "read_on": (day or _today()).isoformat(), "value": value}
    if confirm:
        data["confirm"] = "y"
    return client.post("/konto/wodomierze/odczyt", data=data)


def test_lower_than_last_reading_is_refused(resident_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())  # last accepted 112,000
    response = _post(client, meter_id, "111,999")
    assert response.status_code == 200
    body = text(response)
    assert "jest niższy niż ostatni przyjęty odczyt" in body and "112,000" in body
    response = _post(client, meter_id, "111,999", confirm=True)
    assert "jest niższy niż ostatni przyjęty odczyt" in text(response)
    assert len(readings(ZW, meter_id)) == 5


def test_dates_in_the_future_or_before_the_last_reading_are_refused(resident_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    future = _post(client, meter_id, "113,000", day=_today() + timedelta(days=1))
    assert "Data odczytu nie może być z przyszłości." in text(future)
    early = _post(client, meter_id, "113,000", day=_today() - timedelta(days=45))
    assert "nie może być wcześniejsza niż data ostatniego przyjętego odczytu" in text(early)
    assert len(readings(ZW, meter_id)) == 5


def test_implausible_reading_needs_confirmation(resident_client, office_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())  # 0,1 m³ a day so far
    first = _post(client, meter_id, "140,000")
    assert first.status_code == 200
    body = text(first)
    assert "Ten odczyt wygląda nietypowo" in body
    assert "Potwierdzam, że odczyt jest prawidłowy" in body
    assert len(readings(ZW, meter_id)) == 5

    confirmed = _post(client, meter_id, "140,000", confirm=True)
    assert confirmed.status_code == 302
    filed = readings(ZW, meter_id)[-1]
    assert filed.state == SUBMITTED and str(filed.value) == "140.000"
    assert "oczekuje na decyzję" in text(client.get("/konto/wodomierze/"))

    desk = text(office_client(ZW).get("/staff/odczyty/"))
    assert "nietypowy" in desk and "140,000" in desk and "112,000" in desk


def test_short_history_big_jump_needs_confirmation(resident_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, [(_today() - timedelta(days=10), "50.000")])
    assert "Ten odczyt wygląda nietypowo" in text(_post(client, meter_id, "90,000"))
    assert _post(client, meter_id, "51,200").status_code == 302


def test_plain_reading_and_one_pending_per_meter(resident_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    assert _post(client, meter_id, "114,500").status_code == 302
    again = _post(client, meter_id, "114,700")
    assert again.status_code == 200
    assert "ma już odczyt oczekujący na decyzję" in text(again)
    assert [r.state for r in readings(ZW, meter_id)][-1] == SUBMITTED
    assert len(readings(ZW, meter_id)) == 6


def test_staff_accepts_and_resident_is_told(resident_client, office_client, mail):
    client, res = resident_client(ZW, email="czytelnik@example.com")
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    assert _post(client, meter_id, "114,250").status_code == 302
    reading_id = readings(ZW, meter_id)[-1].id

    staff = office_client(ZW, "odczyty")
    desk = text(staff.get("/staff/odczyty/"))
    assert "Anna Nowicka" in desk and "114,250" in desk and "2,250" in desk and "typowy" in desk
    assert "Odczyty obsługuje" in desk or "każdy pracownik" in desk
    response = staff.post(f"/staff/odczyty/{reading_id}",
                          data={"comment": "", "accept": "Przyjmij odczyt"})
    assert response.status_code == 302

    page = text(client.get("/konto/wodomierze/"))
    assert "przyjęty" in page and "oczekuje na decyzję" not in page
    message = _mail_with(mail, "Odczyt wodomierza został przyjęty")
    assert message["To"].addresses[0].addr_spec == "czytelnik@example.com"
    assert "114,250 m³" in message.get_body(preferencelist=("plain",)).get_content()

    with tenant_scope(tenant(ZW)):
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.subject_type == "MeterReading", AuditEvent.subject_id == reading_id,
            AuditEvent.action == "meter_reading.accepted"))
        assert event.actor == "staff:odczyty"
    # Decided once: a second decision is refused, the state stays.
    again = staff.post(f"/staff/odczyty/{reading_id}",
                       data={"comment": "x", "reject": "Odrzuć odczyt"})
    assert again.status_code == 200 and readings(ZW, meter_id)[-1].state == ACCEPTED
    # The accepted reading is the new base: a lower value is refused now.
    assert "jest niższy" in text(_post(client, meter_id, "114,000"))


def _mail_with(server, subject_fragment: str):
    messages = server.wait_for(1)
    found = [m for m in messages if subject_fragment in m["Subject"]]
    assert found, [m["Subject"] for m in messages]
    return found[-1]


def test_reject_requires_a_comment(resident_client, office_client, mail):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    assert _post(client, meter_id, "113,100").status_code == 302
    reading_id = readings(ZW, meter_id)[-1].id
    staff = office_client(ZW)

    refused = staff.post(f"/staff/odczyty/{reading_id}",
                         data={"comment": "  ", "reject": "Odrzuć odczyt"})
    assert refused.status_code == 200 and "Podaj powód odrzucenia" in text(refused)
    assert readings(ZW, meter_id)[-1].state == SUBMITTED

    done = staff.post(f"/staff/odczyty/{reading_id}",
                      data={"comment": "Zdjęcie tarczy pokazuje 131,100.",
                            "reject": "Odrzuć odczyt"})
    assert done.status_code == 302
    assert readings(ZW, meter_id)[-1].state == REJECTED
    page = text(client.get("/konto/wodomierze/"))
    assert "odrzucony" in page and "Zdjęcie tarczy pokazuje 131,100." in page
    assert "Zdjęcie tarczy" in text(staff.get("/staff/odczyty/?widok=rozpatrzone"))
    assert "Brak odczytów oczekujących" in text(staff.get("/staff/odczyty/"))
    message = _mail_with(mail, "Odczyt wodomierza został odrzucony")
    assert "Zdjęcie tarczy pokazuje 131,100." in message.get_body(
        preferencelist=("plain",)).get_content()
    # After a rejection the resident may submit again.
    assert _post(client, meter_id, "113,100").status_code == 302


def test_staff_cannot_reach_other_tenants_or_manager_readings(resident_client, office_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    assert _post(client, meter_id, "113,000").status_code == 302
    reading_id = readings(ZW, meter_id)[-1].id
    manager_reading = readings(ZW, meter_id)[0].id

    zw_staff = office_client(ZW)
    assert zw_staff.get(f"/staff/odczyty/{manager_reading}").status_code == 404
    assert zw_staff.get(f"/staff/odczyty/{reading_id + 1000}").status_code == 404
    for slug in ("kuzniki", "brzeg"):
        other = office_client(slug)
        assert other.get(f"/staff/odczyty/{reading_id}").status_code == 404
        assert other.post(f"/staff/odczyty/{reading_id}",
                          data={"accept": "Przyjmij odczyt"}).status_code == 404
        # Not only the hidden desk: the tenant scoping itself hides the row.
        with tenant_scope(tenant(slug)), pytest.raises(NotFound):
            services.SUBMISSIONS.row_or_404(reading_id)
    assert readings(ZW, meter_id)[-1].state == SUBMITTED


def test_decimal_comma_and_unreadable_values(resident_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    unreadable = _post(client, meter_id, "sto dwanaście")
    assert "Podaj stan wodomierza jako liczbę" in text(unreadable)
    assert "ujemny" not in text(unreadable)  # the one message that applies
    huge = text(_post(client, meter_id, "99999999,999"))
    assert "najwyżej 8 cyfr przed przecinkiem" in huge and "ujemny" not in huge
    assert "ujemny" in text(_post(client, meter_id, "-1"))
    assert "najwyżej trzy cyfry po przecinku" in text(_post(client, meter_id, "112,9001"))
    for not_a_number in ("nan", "-Infinity"):  # refused before the checks of the value
        answer = _post(client, meter_id, not_a_number)
        assert answer.status_code == 200 and "Podaj liczbę" in text(answer), not_a_number
    assert _post(client, meter_id, " 112,9 ").status_code == 302
    assert str(readings(ZW, meter_id)[-1].value) == "112.900"


def test_simultaneous_decisions_and_double_submits(resident_client, office_client):
    client, res = resident_client(ZW)
    meter_id = make_meter(ZW, res.unit_id, monthly_history())
    assert _post(client, meter_id, "113,000").status_code == 302
    reading_id = readings(ZW, meter_id)[-1].id
    staff = office_client(ZW)
    with tenant_scope(tenant(ZW)):
        stale = services.SUBMISSIONS.row_or_404(reading_id)  # loaded before the other decision
        assert staff.post(f"/staff/odczyty/{reading_id}",
                          data={"accept": "Przyjmij odczyt"}).status_code == 302
        assert stale.reading.state == SUBMITTED  # this session has not seen the decision
        with pytest.raises(services.ReadingError, match="już rozpatrzony"):
            services.decide(stale, False, "Za późno", "staff:drugi")
        db.session.rollback()       # the refused request ends; it had staged nothing
    assert readings(ZW, meter_id)[-1].state == ACCEPTED

    # Two waiting readings of one meter cannot both be stored, whatever the timing.
    with tenant_scope(tenant(ZW)):
        account = db.session.get(services.ResidentAccount, res.account_id)
        meter = db.session.get(services.Meter, meter_id)
        services.submit_reading(account, meter, _today(), services.Decimal("113.5"), False)
        db.session.commit()
        db.session.add(services.MeterReading(meter_id=meter_id, read_on=_today(),
                                             value=services.Decimal("113.6"),
                                             source="resident", state=SUBMITTED))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
