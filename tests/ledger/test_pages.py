"""The resident's ledger tab as they see it: balance, statement, downloads, payment code."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.ledger.payment_qr import qr_code
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import active_resident, give_title, tenant
from .helpers import entries, schedule

SLUGS = ("brzeg", "siarkowiec", "gdynia", "zielone-wzgorza", "kuzniki")


def _today() -> date:
    return utcnow().astimezone(WARSAW).date()


def _month(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class _Balances(HTMLParser):
    """Every element marked data-balance, and the text of the iok-balance box around it."""

    VOID = {"br", "img", "input", "meta", "link", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, opens a balance box)
        self.boxes: list[list] = []  # open boxes: [text parts, balances inside]
        self.closed: list[tuple[str, int]] = []
        self.outside = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-balance" in attrs:
            if self.boxes:
                self.boxes[-1][1] += 1
            else:
                self.outside += 1
        if tag in self.VOID:
            return
        box = "iok-balance" in (attrs.get("class") or "").split()
        if box:
            self.boxes.append([[], 0])
        self.stack.append((tag, box))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, box = self.stack.pop()
            if box:
                parts, count = self.boxes.pop()
                self.closed.append((" ".join(" ".join(parts).split()), count))
            if open_tag == tag:
                break

    def handle_data(self, data):
        for box in self.boxes:
            box[0].append(data)


def _balance_boxes(html: str) -> tuple[list[tuple[str, int]], int]:
    parser = _Balances()
    parser.feed(html)
    return parser.closed, parser.outside


def _set_account(slug: str, unit_id: int, number: str | None) -> None:
    with tenant_scope(tenant(slug)):
        db.session.get(Unit, unit_id).bank_account = number
        db.session.commit()


@pytest.mark.parametrize("slug", SLUGS)
def test_every_tenant_shows_its_ledger(resident_client, slug):
    assert tenant(slug).policy.shows("ledger")
    client, resident = resident_client(slug)
    today = _today()
    entries(slug, resident.unit_id,
            (today, "charge", "321.45", "Opłaty bieżące", "rent"),
            (today, "payment", "-21.45", "Wpłata na konto"))
    html = _text(client.get("/konto/saldo/"))
    text = _plain(html)
    assert "Saldo rozrachunków" in text
    assert "Opłaty bieżące" in text and "321,45 zł" in text and "21,45 zł" in text
    assert "300,00 zł do zapłaty" in text
    assert f"Saldo na dzień {today:%d.%m.%Y}" in text
    notices = tenant(slug).policy.notices
    assert " ".join(notices.balance_disclaimer.split()) in text
    assert " ".join(notices.balance_lag.split()) in text


def test_brzeg_resident_chooses_the_association_then_the_month(resident_client):
    client, resident = resident_client("brzeg")
    other = active_resident("brzeg", first="Ewa", last="Sowa", flat="7")
    give_title("brzeg", resident.person_id, other.unit_id)  # a second flat, another address
    today = _today()
    last_month = _month(today, 1)
    entries("brzeg", resident.unit_id,
            (last_month + timedelta(days=9), "charge", "200.00", "Zaliczka poprzedni miesiąc"),
            (today, "charge", "210.00", "Zaliczka bieżący miesiąc"))

    first = _plain(_text(client.get("/konto/saldo/")))
    assert "Adres wspólnoty" in first and "Wybierz adres wspólnoty" in first
    assert "Zaliczka" not in first and "Saldo na dzień" not in first

    page = _text(client.get(f"/konto/saldo/?association={resident.association_id}"))
    months = re.findall(r'<option (?:selected )?value="(\d{4}-\d{2})"', page)
    assert months == [f"{today:%Y-%m}", f"{last_month:%Y-%m}"]  # newest first
    assert re.search(rf'<option selected value="{today:%Y-%m}"', page)  # this month by default
    text = _plain(page)
    assert "Zaliczka bieżący miesiąc" in text and "Zaliczka poprzedni miesiąc" not in text
    assert "Saldo otwarcia 200,00 zł" in text

    earlier = _plain(_text(client.get(
        f"/konto/saldo/?association={resident.association_id}&unit={resident.unit_id}"
        f"&month={last_month:%Y-%m}")))
    assert "Zaliczka poprzedni miesiąc" in earlier and "Zaliczka bieżący miesiąc" not in earlier
    assert "Saldo otwarcia 0,00 zł" in earlier
    # The balance itself is as of the day, whatever month is unfolded.
    assert "410,00 zł do zapłaty" in earlier

    second = _plain(_text(client.get(f"/konto/saldo/?association={other.association_id}")))
    assert "Brak operacji w tym okresie" in second and "Zaliczka" not in second


def test_kuzniki_shows_the_last_twelve_months_without_a_month_choice(resident_client):
    client, resident = resident_client("kuzniki")
    today = _today()
    entries("kuzniki", resident.unit_id,
            (_month(today, 12) + timedelta(days=2), "charge", "99.00", "Sprzed roku"),
            (_month(today, 11) + timedelta(days=2), "charge", "11.00", "Jedenaście miesięcy"),
            (today, "payment", "-10.00", "Wpłata dzisiejsza"))
    page = _text(client.get("/konto/saldo/"))
    text = _plain(page)
    assert 'name="month"' not in page
    assert "Jedenaście miesięcy" in text and "Wpłata dzisiejsza" in text
    assert "Sprzed roku" not in text and "Saldo otwarcia 99,00 zł" in text
    assert "100,00 zł do zapłaty" in text


def test_current_month_is_simulated_where_the_policy_says(resident_client):
    today = _today()
    totals = {}
    for slug in ("brzeg", "kuzniki"):
        client, resident = resident_client(slug)
        entries(slug, resident.unit_id, (today, "charge", "250.00", "Czynsz", "rent"))
        schedule(slug, resident.unit_id, "250.00", "Czynsz", "rent")  # posted already
        schedule(slug, resident.unit_id, "80.00", "Woda", "water")  # not posted yet
        totals[slug] = _plain(_text(client.get("/konto/saldo/")))
    assert "330,00 zł do zapłaty" in totals["brzeg"]
    assert "bieżący miesiąc (80,00 zł)" in totals["brzeg"]
    assert "250,00 zł do zapłaty" in totals["kuzniki"]
    assert "bieżący miesiąc (" not in totals["kuzniki"]


def test_overpayment_is_worded_as_such(resident_client):
    client, resident = resident_client("kuzniki")
    entries("kuzniki", resident.unit_id, (_today(), "payment", "-40.00", "Wpłata"))
    text = _plain(_text(client.get("/konto/saldo/")))
    assert "40,00 zł nadpłata" in text and "nic do zapłaty" in text


@pytest.mark.parametrize("slug", ("zielone-wzgorza", "brzeg", "gdynia"))
def test_the_disclaimer_is_beside_every_balance(resident_client, slug):
    client, resident = resident_client(slug)
    today = _today()
    entries(slug, resident.unit_id,
            (today, "charge", "300.00", "Czynsz", "rent"),
            (today, "charge", "120.00", "Rata kredytu", "loan"),
            (today, "payment", "-100.00", "Wpłata", "rent"))
    html = _text(client.get("/konto/saldo/"))
    boxes, outside = _balance_boxes(html)
    disclaimer = " ".join(tenant(slug).policy.notices.balance_disclaimer.split())
    assert outside == 0  # no balance shown outside a box carrying the disclaimer
    assert sum(count for _, count in boxes) >= 5  # the total, opening, three running balances
    for text, count in boxes:
        if count:
            assert disclaimer in text
    if slug == "zielone-wzgorza":
        text = _plain(html)
        assert "czynsz 200,00 zł" in text and "kredyt 120,00 zł" in text


def test_another_residents_unit_is_not_found(resident_client):
    client, resident = resident_client("kuzniki")
    neighbour = active_resident("kuzniki", first="Olga", last="Sąsiad")
    entries("kuzniki", neighbour.unit_id, (_today(), "charge", "77.00", "Cudze opłaty"))
    for path in ("/konto/saldo/?unit={}", "/konto/saldo/wyciag.csv?unit={}",
                 "/konto/saldo/wyciag.pdf?unit={}", "/konto/saldo/kod-qr.svg?unit={}"):
        assert client.get(path.format(neighbour.unit_id)).status_code == 404, path
        assert client.get(path.format(resident.unit_id)).status_code == 200, path
    assert client.get(f"/konto/saldo/?unit={resident.unit_id}&month=2025-13").status_code == 404


def test_another_tenants_unit_and_association_are_not_found(resident_client):
    client, resident = resident_client("brzeg")
    stranger = active_resident("kuzniki", first="Piotr", last="Obcy")
    entries("kuzniki", stranger.unit_id, (_today(), "charge", "55.00", "Opłaty Kuźniki"))
    for path in ("/konto/saldo/?unit={}", "/konto/saldo/wyciag.pdf?unit={}",
                 "/konto/saldo/wyciag.csv?unit={}", "/konto/saldo/kod-qr.svg?unit={}"):
        assert client.get(path.format(stranger.unit_id)).status_code == 404, path
    assert client.get(
        f"/konto/saldo/?association={stranger.association_id}").status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(synced, host_client):
    response = host_client("kuzniki.localhost").get("/konto/saldo/")
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]


def test_csv_statement_for_polish_excel(resident_client):
    client, resident = resident_client("brzeg")
    today = _today()
    entries("brzeg", resident.unit_id,
            (_month(today, 1), "charge", "1000.00", "Poprzedni miesiąc"),
            (today, "charge", "1234.56", "Zaliczka; woda i ścieki"),
            (today, "payment", "-34.56", "Wpłata"),
            (today, "correction", "-0.10", "Korekta zużycia"))
    response = client.get(f"/konto/saldo/wyciag.csv?unit={resident.unit_id}&month={today:%Y-%m}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))
    assert rows[1] == ["Data księgowania", "Okres", "Rodzaj", "Tytuł", "Wn (naliczenie)",
                       "Ma (wpłata)", "Saldo"]
    assert rows[2][3:] == ["Saldo otwarcia", "", "", "1000,00"]
    day = f"{today:%d.%m.%Y}"
    assert rows[3] == [day, f"{today:%Y-%m}", "naliczenie", "Zaliczka; woda i ścieki",
                       "1234,56", "", "2234,56"]
    assert rows[4] == [day, f"{today:%Y-%m}", "wpłata", "Wpłata", "", "34,56", "2200,00"]
    assert rows[5] == [day, f"{today:%Y-%m}", "korekta", "Korekta zużycia", "", "0,10",
                       "2199,90"]
    assert rows[6][3:] == ["Saldo zamknięcia", "1234,56", "34,66", "2199,90"]


def test_pdf_statement_reads_back_in_polish(resident_client):
    client, resident = resident_client("gdynia")
    today = _today()
    entries("gdynia", resident.unit_id,
            (today, "charge", "512.30", "Opłata za wodę – zimną i ciepłą"),
            (today, "payment", "-12.30", "Wpłata – przelew"))
    response = client.get(f"/konto/saldo/wyciag.pdf?unit={resident.unit_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert "Wyciąg z konta lokalu" in flat
    assert "Opłata za wodę – zimną i ciepłą" in flat
    assert "Razem / saldo zamknięcia 512,30 zł 12,30 zł 500,00 zł" in flat
    assert "do zapłaty" in flat
    disclaimer = " ".join(tenant("gdynia").policy.notices.balance_disclaimer.split())
    assert disclaimer in flat


def test_payment_code_carries_the_units_account_and_the_amount_due(resident_client):
    client, resident = resident_client("brzeg", flat="12")
    account = "61109010140000071219812874"
    _set_account("brzeg", resident.unit_id, account)
    entries("brzeg", resident.unit_id, (_today(), "charge", "412.50", "Opłaty"))
    page = _plain(_text(client.get("/konto/saldo/")))
    assert "61 1090 1014 0000 0712 1981 2874" in page
    response = client.get(f"/konto/saldo/kod-qr.svg?unit={resident.unit_id}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    with tenant_scope(tenant("brzeg")):
        unit = db.session.get(Unit, resident.unit_id)
        title = f"Opłaty lokal {unit.building_number}/12"
    expected = f"7471668698|PL|{account}|041250|MZMK Brzeg|{title}|||"
    assert title in page
    # The same payload, rendered as PNG, scans back field for field.
    png = io.BytesIO()
    qr_code(expected).save(png, kind="png", scale=6)
    png.seek(0)
    (decoded,) = zxingcpp.read_barcodes(Image.open(png))
    assert decoded.text.split("|") == ["7471668698", "PL", account, "041250", "MZMK Brzeg",
                                       title, "", "", ""]
    # and the SVG served is that very code
    from iok_saas.modules.ledger.payment_qr import qr_svg
    assert response.data == qr_svg(expected, "Kod QR do przelewu")


def test_no_code_without_an_account_number(resident_client):
    client, resident = resident_client("kuzniki")
    _set_account("kuzniki", resident.unit_id, None)
    page = _text(client.get("/konto/saldo/"))
    assert "kod-qr.svg" not in page and "Jak zapłacić" not in page
    assert client.get(f"/konto/saldo/kod-qr.svg?unit={resident.unit_id}").status_code == 404


def test_a_resident_with_two_flats_picks_one(resident_client):
    client, resident = resident_client("kuzniki")
    other = active_resident("kuzniki", first="Jan", last="Drugi", flat="3")
    give_title("kuzniki", resident.person_id, other.unit_id)
    entries("kuzniki", other.unit_id, (_today(), "charge", "61.00", "Garaż"))
    page = _text(client.get("/konto/saldo/"))
    assert 'name="unit"' in page and "Wybierz lokal" in page
    assert "Saldo na dzień" not in page
    chosen = _plain(_text(client.get(f"/konto/saldo/?unit={other.unit_id}")))
    assert "Garaż" in chosen and "61,00 zł do zapłaty" in chosen


def test_a_resident_without_a_current_title_sees_no_ledger(resident_client):
    from iok_saas.modules.housing.models import Title

    client, resident = resident_client("kuzniki")
    with tenant_scope(tenant("kuzniki")):
        for title in db.session.query(Title).filter_by(person_id=resident.person_id):
            title.valid_to = date(2021, 1, 1)
        db.session.commit()
    text = _plain(_text(client.get("/konto/saldo/")))
    assert "nie ma tu rozrachunków" in text and "Saldo na dzień" not in text
    assert client.get(f"/konto/saldo/?unit={resident.unit_id}").status_code == 404


@pytest.mark.parametrize(("slug", "from_login"), [("brzeg", True), ("kuzniki", False)])
def test_the_balance_day_is_the_login_day_where_the_policy_says(resident_client, monkeypatch,
                                                                slug, from_login):
    """Brzeg gives the balance as of the day the resident logged in, Kuźniki as of today:
    with the clock two days on (the session begun 11 hours earlier, still valid), Brzeg
    keeps the session's first day."""
    from iok_saas.modules.auth.models import UserSession
    from iok_saas.modules.ledger import services

    client, resident = resident_client(slug)
    started = utcnow() - timedelta(hours=11)
    with tenant_scope(tenant(slug)):
        for row in db.session.query(UserSession).filter_by(user_id=resident.account_id):
            row.created_at = started
        db.session.commit()
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    expected = (started if from_login else later).astimezone(WARSAW).date()
    page = _plain(_text(client.get(f"/konto/saldo/?unit={resident.unit_id}")))
    assert f"Saldo na dzień {expected:%d.%m.%Y}" in page


def test_the_months_table_closes_at_the_headline_balance(resident_client):
    """Brzeg counts this month's charges before they are due: they are a marked row of the
    month's table, so the closing balance and the headline are one figure, one sign."""
    client, resident = resident_client("brzeg")
    today = _today()
    entries("brzeg", resident.unit_id, (today, "payment", "-1199.21", "Wpłata"))
    schedule("brzeg", resident.unit_id, "434.64", "Opłaty bieżące", "rent")  # not posted yet
    page = _text(client.get("/konto/saldo/"))
    text = _plain(page)
    assert "-764,57 zł nadpłata" in text or "−764,57 zł nadpłata" in text
    scheduled = page.split("data-scheduled")[1].split("</tr>")[0]
    assert "przed terminem płatności" in scheduled and "434,64" in scheduled
    closing = _plain(page.split("Razem / saldo zamknięcia")[1].split("</tr>")[0])
    assert "764,57" in closing
    disclaimer = " ".join(tenant("brzeg").policy.notices.balance_disclaimer.split())
    assert text.count(disclaimer) == 1
    csv_text = client.get("/konto/saldo/wyciag.csv").get_data(as_text=True)
    assert "434,64" in csv_text and "-764,57" in csv_text
