"""Bad input never reaches the database (issue 14, section 4): a NUL byte, a lone surrogate,
NaN / sNaN / infinity, numbers and dates no column can hold are a Polish error on the field
(or a Polish 400 page for a query string) on SQLite and PostgreSQL alike, and nothing is
written. Under /api/ every answer is JSON, errors included."""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from flask_wtf import FlaskForm  # noqa: TID251 - the test looks for forms that bypass BaseForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, ValidationError

from iok_saas.forms import BaseForm

from .conftest import changed_tables, snapshot
from .test_idor import SI, ZW

REFUSED_TEXT = "Pole zawiera niedozwolone znaki."


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _field_error(page: str, field_id: str) -> str:
    """The error text shown under one field (the forms macro's invalid-feedback block)."""
    marker = f'id="{field_id}-err">'
    assert marker in page, field_id
    return page.split(marker, 1)[1].split("</div>", 1)[0]


# --- the reported cases ----------------------------------------------------------------------

def test_a_nul_byte_in_the_login_field_is_a_form_error(world):
    world.resident_a(ZW)
    client = world.anonymous(ZW)
    before = snapshot()
    response = client.post("/logowanie", data={"login": "anna\x00", "password": "x"})
    assert response.status_code == 422
    assert REFUSED_TEXT in _field_error(_page(response), "login")
    assert changed_tables(before, snapshot()) == []


def test_a_nul_byte_in_the_application_form_stores_no_application(world):
    client = world.anonymous(ZW)
    before = snapshot()
    response = client.post("/wniosek", data={
        "first_name": "Ewa\x00", "last_name": "Nowa", "street": "ul. Lipowa",
        "building_number": "3", "city": "Miasto", "email": "ewa@example.com",
        "accept_regulations": "y"})
    assert response.status_code == 422
    assert REFUSED_TEXT in _field_error(_page(response), "first_name")
    assert changed_tables(before, snapshot()) == []


def test_a_nul_byte_in_the_correction_note_stores_no_correction(world):
    client, _ = world.resident_a(SI)
    before = snapshot()
    response = client.post("/konto/dane/korekta", data={
        "email": "inny@example.com", "note": "Proszę\x00o zmianę"})
    assert response.status_code == 422
    assert REFUSED_TEXT in _field_error(_page(response), "note")
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("path", ["/staff/mieszkancy?q=%00", "/staff/mieszkancy?q=a%00b",
                                  "/staff/mieszkancy?%00=1", "/staff/wnioski/?stan=%01"])
def test_a_control_character_in_a_query_string_is_a_polish_400(world, path):
    response = world.staff(ZW).get(path)
    assert response.status_code == 400
    page = _page(response)
    assert "Nieprawidłowe żądanie" in page
    assert "Adres strony zawiera niedozwolone znaki." in page


def test_tab_and_line_breaks_stay_allowed(world):
    """The check refuses what no person types, not ordinary white space."""
    client, _ = world.resident_a(SI)
    response = client.post("/konto/dane/korekta", data={
        "email": "inny@example.com", "note": "Pierwsza linia\r\nDruga\tlinia"})
    assert response.status_code == 302
    assert world.staff(ZW).get("/staff/mieszkancy?q=Kowal%09ski").status_code == 200


@pytest.mark.parametrize("value", ["sNaN", "NaN", "-sNaN", "Infinity", "-inf", "1e999999",
                                   "1e-999999", "0E-999999"])
def test_the_meter_reading_refuses_values_that_are_not_storable_numbers(world, value):
    client, _ = world.resident_a(ZW)
    meter_id = world.meter(ZW)
    before = snapshot()
    response = client.post("/konto/wodomierze/odczyt", data={
        "meter": meter_id, "read_on": date.today().isoformat(), "value": value,
        "confirm": "y"})
    assert response.status_code == 200  # the reading form shown again, with the error
    error = _field_error(_page(response), "value")
    assert "Podaj liczbę" in error or "poza dozwolonym zakresem" in error, error
    assert changed_tables(before, snapshot()) == []


# --- the base form itself ----------------------------------------------------------------------

class _Probe(BaseForm):
    class Meta:
        csrf = False

    text = StringField()
    count = IntegerField()
    choice = SelectField(coerce=int, validate_choice=False)
    amount = DecimalField(validators=[NumberRange(min=0)])
    day = DateField()

    def validate_text(self, field):  # a validator that would send the value to the database
        if field.data == "boom":
            raise ValidationError("validated")


def _probe(app, **values):
    base = {"text": "Anna", "count": "3", "choice": "1", "amount": "12.5", "day": "2026-01-02"}
    with app.test_request_context():
        form = _Probe(MultiDict({**base, **values}))
        return form.validate(), {name: list(errors) for name, errors in form.errors.items()}


@pytest.mark.parametrize("text", ["\x00", "a\x00", "\ud800", "x\udfff", "\x1b[2J", "\ufffe",
                                  "\uffff", "\x0b"])
def test_base_form_refuses_characters_no_layer_can_carry(app, text):
    assert _probe(app, text=text) == (False, {"text": [REFUSED_TEXT]})


@pytest.mark.parametrize("values", [
    {"count": str(2 ** 31)}, {"count": str(-(2 ** 31))}, {"choice": str(2 ** 63)},
    {"amount": "sNaN"}, {"amount": "-Infinity"}, {"amount": "1e21"}, {"day": "0001-01-01"},
    {"day": "9999-12-31"}])
def test_base_form_refuses_numbers_and_dates_no_column_can_hold(app, values):
    valid, errors = _probe(app, **values)
    assert not valid
    assert list(errors) == list(values), errors


def test_a_refused_field_stops_every_validator(app):
    """Inline validators may query the database: none runs when any field is refused."""
    assert _probe(app, text="boom") == (False, {"text": ["validated"]})
    assert _probe(app, text="boom", count="\x00") == (False, {"count": [REFUSED_TEXT]})


def test_ordinary_values_pass(app):
    assert _probe(app, text="Zażółć gęślą jaźń\t\r\n😀 ‏", count=str(2 ** 31 - 1),
                  amount="0.000001", day="1900-01-01") == (True, {})


def test_every_form_of_the_app_derives_from_the_base_form(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("iok_saas.")]
    assert len(ours) > 30
    assert [cls for cls in ours if not issubclass(cls, BaseForm)] == []


# --- the API answers JSON, errors included --------------------------------------------------

def test_a_json_number_with_thousands_of_digits_is_a_400_json_error(world):
    api, headers = world.api(ZW)
    body = '{"rows": [{"external_id": "A1", "name": %s}]}' % ("9" * 5000)
    before = snapshot()
    response = api.post("/api/v1/imports/associations", data=body,
                        headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.is_json
    error, = response.get_json()["errors"]
    assert error["code"] == "json_number_too_long"
    assert error["params"] == {"digits": 5000, "limit": 100}
    # A refused document is still recorded as a rejected run (with its audit row).
    assert changed_tables(before, snapshot()) == ["audit_event", "import_run"]


def test_every_api_error_is_json(world, app):
    api, headers = world.api(ZW)

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    answers = {
        500: api.get("/api/v1/boom", headers=headers),
        413: api.post("/api/v1/imports/associations", data="[" + " " * 2048 + "]",
                      headers={**headers, "Content-Type": "application/json"}),
        404: api.get("/api/v1/nothing-here", headers=headers),
        405: api.delete("/api/v1/imports", headers=headers),
        400: api.get("/api/v1/openapi.json?x=%00"),
        401: api.post("/api/v1/imports", data="[]"),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.get_data(as_text=True))
        assert response.mimetype == "application/json", status
        assert isinstance(json.loads(response.get_data(as_text=True))["error"], str), status
    assert "a bug" not in answers[500].get_data(as_text=True)
    unknown = world.anonymous("nie-ma-takiej").get("/api/v1/openapi.json")
    assert (unknown.status_code, unknown.mimetype) == (404, "application/json")
