"""Import errors: Polish in the back office (English on the English page), English plus a
stable code in the CLI and the API; and JSON for any unmatched URL under /api/."""

from __future__ import annotations

import html as html_lib
import io
import json
import re

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.imports.models import ImportRun
from iok_saas.modules.imports.problems import FALLBACK, MESSAGES
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import housing_document, ledger_rows, load_csv, load_housing, load_json, new_token

HEADER = "external_id,unit,booking_date,period,kind,component,title,amount\n"
BAD_LEDGER = HEADER + (
    "L1,U1,2025-01-10,2025-01,charge,eksploatacja,Opłata 01/2025,412.30\n"  # line 2: good
    "L2,U1,2025-01-10,2025-01,interest,,Odsetki,-3.00\n"  # 3: sign
    "L3,U9,2025-01-10,2025-01,charge,,Opłata,10.00\n"  # 4: unknown unit
    "L4,U1,2025-01-10,2025-01,charge,,Opłata,0.105\n"  # 5: three decimal places
    "L5,U1,2025-01-10,2025-13,charge,,Opłata,10.00\n"  # 6: no such month
    "L6,U1,10.01.2025,2025-01,charge,,Opłata,10.00\n"  # 7: not an ISO date
    "L7,U1,2025-01-10,2025-01,rent,,Czynsz,10.00\n"  # 8: unknown kind
    "L1,U1,2025-01-10,2025-01,charge,,Opłata,10.00\n"  # 9: repeated external_id
    "L8,U1,2025-01-10,2025-01,payment,,,-5.00\n"  # 10: title missing
)


def upload(client, text: str | bytes, file_format: str, name: str = "plik.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/staff/import/", data={
        "file_format": file_format, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def error_cells(page: str) -> dict[tuple[str, str], str]:
    """(row, field) -> the error text shown in the errors table."""
    table = re.search(r'<table class="table table-sm" id="import-errors">(.*?)</table>',
                      page, re.S)
    assert table, page
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                       r"<td>([^<]*)</td></tr>", table[1])
    return {(row, field): html_lib.unescape(text) for _dataset, row, field, text in cells}


def english(client) -> None:
    assert client.get("/lang/en").status_code == 302


def test_the_staff_preview_words_row_errors_in_polish(office_client, housing):
    office = office_client("brzeg")
    response = upload(office, BAD_LEDGER, "ledger", "saldo.csv")
    assert response.status_code == 422
    errors = error_cells(response.get_data(as_text=True))
    assert errors[("3", "amount")] == ("Kwota odsetek (interest) musi być większa od zera "
                                       "(kwota dodatnia zwiększa zadłużenie).")
    assert errors[("4", "unit")] == ("Brak wiersza zbioru units o external_id U9 (ani w bazie "
                                     "danych, ani w tym imporcie).")
    assert errors[("5", "amount")] == ("Dozwolone są najwyżej 2 cyfry po kropce dziesiętnej "
                                       "(kwoty nie są zaokrąglane).")
    assert errors[("6", "period")] == "Nieprawidłowy miesiąc: użyj formatu RRRR-MM, np. 2025-01."
    assert errors[("7", "booking_date")] == ("Nieprawidłowa data: użyj formatu RRRR-MM-DD, "
                                             "np. 2025-01-31.")
    assert errors[("8", "kind")] == ("Nieprawidłowa wartość; dozwolone: charge, payment, "
                                     "correction, interest.")
    assert errors[("9", "external_id")] == ("external_id L1 powtarza się w pliku (pierwszy raz "
                                            "w wierszu 2).")
    assert errors[("10", "title")] == "Brak wymaganej wartości."
    assert len(errors) == 8
    page = response.get_data(as_text=True)
    assert "must be positive" not in page and "neither in the database" not in page


def test_file_problems_are_polish_too(office_client, housing):
    office = office_client("brzeg")
    page = upload(office, "external_id,unit,komponent\nL1,U1,x\n", "ledger").get_data(
        as_text=True)
    errors = error_cells(page)
    text = errors[("1", "—")]
    assert text.startswith("Błędny nagłówek zbioru ledger: nieznane kolumny: komponent; "
                           "brak wymaganych kolumn: booking_date, period, kind, title, amount.")
    assert "Kolumny tego zbioru: external_id, unit, booking_date" in text
    page = upload(office, HEADER.encode() + b"L1,U1,2025-01-10,2025-01,charge,,Op\xb3ata,1\n",
                  "ledger").get_data(as_text=True)
    assert error_cells(page) == {("2", "—"): "Plik nie jest zapisany w UTF-8: linia 2, bajt "
                                                "36 tej linii."}
    rows = "".join(f"L{n},U1,2025-01-10,2025-01,charge,,Opłata,1\n" for n in range(1, 59))
    page = upload(office, (HEADER + rows).encode() + b"L59,U1,2025-01-10,2025-01,charge,,"
                  b"Op\xb3ata,1\n", "ledger").get_data(as_text=True)
    # the line of the byte itself, not the start of the block the reader was decoding
    assert error_cells(page) == {("60", "—"): "Plik nie jest zapisany w UTF-8: linia 60, "
                                                 "bajt 37 tej linii."}
    page = upload(office, b"", "ledger").get_data(as_text=True)
    assert error_cells(page)[("1", "—")] == ("Plik jest pusty; pierwsza linia musi zawierać "
                                             "nazwy kolumn.")
    page = upload(office, '{"datasets": {"units": [', "json", "dane.json").get_data(
        as_text=True)
    assert error_cells(page)[("1", "—")] == ("To nie jest poprawny dokument JSON (linia 1, "
                                             "kolumna 25).")
    page = upload(office, HEADER + "L1,U1,2025-01-10,2025-01,charge,,Opłata,1,00\n",
                  "ledger").get_data(as_text=True)
    assert error_cells(page)[("2", "—")] == ("Oczekiwano 8 wartości, jak w nagłówku, a jest "
                                             "ich 9.")
    document = json.dumps({"datasets": {"units": [
        dict(housing_document()["datasets"]["units"][0], external_id="U5", floor=3,
             bank_account="12 34")]}})
    errors = error_cells(upload(office, document, "json", "dane.json").get_data(as_text=True))
    assert errors[("0", "floor")].startswith("Nieznane pole floor; pola zbioru units to: "
                                             "external_id, association, street")
    assert errors[("0", "bank_account")] == ("Numer rachunku bankowego musi mieć dokładnie 26 "
                                             "cyfr (spacje są dozwolone).")


POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")


def assert_english(errors: dict, polish: dict) -> None:
    """English wording: the catalogue's translation, or else the English message itself."""
    assert errors.keys() == polish.keys()
    for key, text in errors.items():
        assert text != polish[key] and not POLISH_LETTERS.search(text), (key, text)
    assert "interest" in errors[("3", "amount")].lower()
    assert "U9" in errors[("4", "unit")] and "units" in errors[("4", "unit")]
    assert "2" in errors[("5", "amount")]
    assert "L1" in errors[("9", "external_id")]


def test_the_english_page_shows_english_and_history_follows_the_page_language(
        office_client, housing):
    office = office_client("brzeg")
    page = upload(office, BAD_LEDGER, "ledger").get_data(as_text=True)
    polish = error_cells(page)
    run_id = int(re.search(r"Import nr (\d+)", page)[1])
    english(office)
    assert_english(error_cells(office.get(f"/staff/import/{run_id}").get_data(as_text=True)),
                   polish)
    assert_english(error_cells(upload(office, BAD_LEDGER, "ledger").get_data(as_text=True)),
                   polish)
    # back to Polish: the same stored run reads in Polish again
    assert office.get("/lang/pl").status_code == 302
    errors = error_cells(office.get(f"/staff/import/{run_id}").get_data(as_text=True))
    assert errors[("3", "amount")].startswith("Kwota odsetek (interest)")


def test_the_stored_run_keeps_codes_and_params(housing):
    load_csv(housing, "ledger", BAD_LEDGER)
    with tenant_scope(tenant(housing)):
        run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
        stored = {(e["row"], e["field"]): e for e in run.errors}
    assert stored[(4, "unit")]["code"] == "unknown_reference"
    assert stored[(4, "unit")]["params"] == {"dataset": "units", "external_id": "U9"}
    assert stored[(9, "external_id")]["params"] == {"external_id": "L1", "first_row": 2}
    assert stored[(8, "kind")]["params"] == {"choices": "charge, payment, correction, interest"}
    assert stored[(3, "amount")] == {
        "dataset": "ledger", "row": 3, "field": "amount", "code": "interest_not_positive",
        "message": "Interest must be positive (amounts are debt-positive).", "params": {}}


def test_a_run_stored_without_codes_still_shows_its_message(office_client, housing):
    office = office_client("brzeg")
    with tenant_scope(tenant(housing)):
        run = ImportRun(source="cli", dataset="ledger", checksum="0" * 64, status="rejected",
                        errors=[{"dataset": "ledger", "row": 2, "field": "amount",
                                 "message": "an old English message"}], errors_total=1,
                        details={}, actor="cli:test")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    page = office.get(f"/staff/import/{run_id}").get_data(as_text=True)
    assert error_cells(page)[("2", "amount")] == "an old English message"


def test_every_marshmallow_and_custom_check_is_coded(housing):
    """No error falls back to the uncoded wording, and every code has Polish wording."""
    bad_rows = {
        "units": [
            {"external_id": "U7", "association": "A1", "street": "x" * 201,
             "building_number": None, "city": 5, "kind": "castle", "bank_account": "12"},
            {"external_id": "U8\x00", "association": "A1", "street": "ul. Polna",
             "building_number": "1", "city": "Brzeg", "unit_number": ["a"]},
        ],
        "persons": [{"external_id": "P1", "first_name": "", "last_name": "N",
                     "email": "not-an-address", "phone": "1" * 41}],
        "charges": [{"external_id": "C1", "unit": "U1", "title": "T", "amount": "0",
                     "valid_from": "2025-02-01", "due_day": 29},
                    {"external_id": "C4", "unit": "U1", "title": "T", "amount": "1",
                     "valid_from": "2025-02-01", "valid_to": "2025-01-01"},
                    {"external_id": "C2", "unit": "U1", "title": "T", "amount": "abc",
                     "valid_from": "2025-02-01", "due_day": "10.5"},
                    {"external_id": "C3", "unit": "U1", "title": "T", "amount": "1e20",
                     "valid_from": "2025-02-01", "due_day": 10.5}],
        "ledger": [dict(ledger_rows()[0], external_id="L1", amount="NaN"),
                   dict(ledger_rows()[0], external_id="L2", kind="payment", amount="5"),
                   dict(ledger_rows()[0], external_id="L3", kind="correction", amount="0"),
                   dict(ledger_rows()[0], external_id="L4", amount="-1"),
                   dict(ledger_rows()[0], external_id="L5", period=True)],
        "readings": [{"external_id": "R1", "meter": "M1", "read_on": "2025-01-31",
                      "value": "-1"}],
    }
    report = load_json(housing, {"datasets": bad_rows})
    codes = {e["code"] for e in report["errors"]}
    assert FALLBACK not in codes, report["errors"]
    assert codes <= set(MESSAGES)
    assert {"length_between", "too_long", "null", "not_text", "one_of", "invalid_bank_account",
            "nul_character", "invalid_email", "greater_than", "earlier_than", "between",
            "not_a_number", "not_an_integer", "too_large", "special_number",
            "payment_not_negative", "correction_zero", "charge_not_positive",
            "at_least", "unknown_reference"} <= codes, codes
    for error in report["errors"]:
        assert error["message"] and isinstance(error["params"], dict)
    # a key that the CSV reader uses internally is just an unknown field in a JSON row
    errors = load_json(housing, [dict(ledger_rows()[0], __cells__="hello")], dataset="ledger")[
        "errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("__cells__", "unknown_field")]
    # the document's own problems are coded as well
    for document, code in ((5, "expected_object"), ({"datasets": []}, "datasets_not_object"),
                           ({"datasets": {"planets": []}}, "unknown_dataset"),
                           ({"datasets": {"units": []}, "x": 1}, "unknown_keys"),
                           ({"rows": 5}, "unexpected_keys"),
                           ({"dataset": "units", "rows": 5}, "rows_not_list"),
                           ({"dataset": "units", "rows": [1]}, "row_not_object"),
                           ({"dataset": ["units"], "rows": []}, "dataset_not_text"),
                           ({"dataset": "units", "rows": [{"external_id": "U\ud800"}]},
                            "json_lone_surrogate")):
        errors = load_json(housing, document)["errors"]
        assert [e["code"] for e in errors] == [code], (document, errors)


def test_cli_keeps_english_messages(synced, ctx, tmp_path):
    runner = synced.test_cli_runner()
    load_housing("siarkowiec")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(BAD_LEDGER)
    result = runner.invoke(args=["imports", "load", "--tenant", "siarkowiec", str(ledger)])
    assert result.exit_code == 1
    assert (f"{ledger}: [ledger] line 3 amount: Interest must be positive (amounts are "
            "debt-positive).") in result.output
    assert (f"{ledger}: [ledger] line 4 unit: no 'units' row has external_id 'U9' (neither in "
            "the database nor in this import)") in result.output
    assert f"{ledger}: [ledger] line 10 title: Missing data for required field." \
        in result.output
    assert "Kwota" not in result.output and "Brak" not in result.output


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_api_errors_keep_the_english_message_and_gain_a_code(synced, host_client, ctx):
    token = new_token("gdynia")
    api = host_client("gdynia.localhost")
    assert api.post("/api/v1/imports", json=housing_document(),
                    headers=bearer(token)).status_code == 201
    rows = [dict(ledger_rows()[0], unit="U9"), dict(ledger_rows()[3], external_id="L5",
                                                     amount="25")]
    response = api.post("/api/v1/imports/ledger", json={"rows": rows}, headers=bearer(token))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors == [
        {"dataset": "ledger", "row": 0, "field": "unit", "code": "unknown_reference",
         "message": "no 'units' row has external_id 'U9' (neither in the database nor in "
                    "this import)", "params": {"dataset": "units", "external_id": "U9"}},
        {"dataset": "ledger", "row": 1, "field": "amount", "code": "payment_not_negative",
         "message": "A payment must be negative (amounts are debt-positive).", "params": {}},
    ]
    response = api.post("/api/v1/imports", data=b"{", headers=bearer(token)
                        | {"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["code"] == "invalid_json" and error["params"]["line"] == 1
    assert error["message"].startswith("not valid JSON (line 1, column 2)")
    # half of a surrogate pair: JSON allows it, UTF-8 (and so the database) does not
    for title, query in (("Opłata\udfff", ""), ("Opłata\udfff", "?dry_run=1")):
        response = api.post(f"/api/v1/imports/ledger{query}", headers=bearer(token),
                            json={"rows": [dict(ledger_rows()[0], title=title)]})
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["errors"][0]["code"] == "json_lone_surrogate"
    # the language cookie changes nothing in the API
    api.get("/lang/pl")
    again = api.post("/api/v1/imports/ledger", json={"rows": rows[:1]}, headers=bearer(token))
    assert again.get_json()["errors"][0]["message"].startswith("no 'units' row")


def test_the_openapi_document_describes_error_codes(synced, host_client):
    document = host_client("brzeg.localhost").get("/api/v1/openapi.json").get_json()
    row_error = document["components"]["schemas"]["RowError"]["properties"]
    assert set(MESSAGES) <= set(row_error["code"]["enum"])
    assert row_error["params"]["type"] == "object"
    assert "message" in row_error


def test_unmatched_api_urls_answer_json(synced, host_client, ctx):
    token = new_token("kuzniki")
    api = host_client("kuzniki.localhost")
    for headers in ({}, bearer(token)):
        response = api.get("/api/v1/nothing/here", headers=headers)
        assert response.status_code == 404 and response.is_json
        assert "/api/v1/nothing/here" in response.get_json()["error"]
        response = api.get("/api/v2/imports", headers=headers)
        assert response.status_code == 404 and response.is_json
    response = api.delete("/api/v1/imports", headers=bearer(token))
    assert response.status_code == 405 and response.is_json
    assert "DELETE" in response.get_json()["error"]
    assert "POST" in response.headers["Allow"]
    response = api.get("/api/v1/imports", headers=bearer(token))
    assert response.status_code == 405 and response.is_json
    # a known route's own 404 stays JSON; pages outside the API keep the HTML error page
    response = api.get("/api/v1/imports/999999", headers=bearer(token))
    assert response.status_code == 404 and "999999" in response.get_json()["error"]
    page = api.get("/no-such-page")
    assert page.status_code == 404 and not page.is_json
    assert "<html" in page.get_data(as_text=True)
