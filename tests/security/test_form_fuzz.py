"""Form fuzzing (ASVS V5.1.3, V5.1.4): every form of the tenant and admin hosts gets generated
values — NUL, lone surrogates, invalid UTF-8 bytes, 100 kB strings, RTL marks, NaN / sNaN /
1e999999, huge integers, impossible and far-away dates — with a valid CSRF token, posted by a
signed-in user of the right kind. Never a 5xx; when the answer is a refusal (a form the view
built has errors, or a 4xx) no table gained or lost a row.

Nothing here is written per form: the POST rules come from ``app.url_map``, the fields from
the forms the view builds (every form derives from ``iok_saas.forms.BaseForm``), plausible
values from each field's type and choices, the user from the URL (``/konto/`` a resident,
``/staff/`` a staff member, ``/operator/`` an operator, otherwise signed out). A new form is
fuzzed with no edit here.

Hypothesis is derandomized and keeps no database: a run tries the same cases every time, and
a failure prints the endpoint, the path and the body (``Falsifying example``).
Budget: ``IOK_FORM_FUZZ_EXAMPLES`` generated bodies per form (default below) after one sweep
that puts each hostile value into every field at once.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectFieldBase,
    SubmitField,
)

from iok_saas.extensions import db
from iok_saas.forms import BaseForm
from iok_saas.tenancy import cross_tenant

from ..conftest import TENANT_SLUGS
from ..factories import active_resident
from .conftest import VOLATILE_TABLES, png_bytes
from .test_csrf import TENANT_OF_BLUEPRINT, _operator, _protected_twin
from .test_csrf import csrf_app as csrf_app  # noqa: F401 - the fixture, shared
from .test_idor import ROUTES, ZW

EXAMPLES_PER_FORM = int(os.environ.get("IOK_FORM_FUZZ_EXAMPLES", "6"))

# Not forms: they take no input and end the session the fuzzer posts with.
NOT_FORMS = {"accounts.logout", "staff.logout", "operator.logout"}
# Login forms are for signed-out users, whatever their URL says.
SIGNED_OUT = {"staff.login", "operator.login"}
# Operator routes act on this tenant (suspending it must not disturb the other forms).
OPERATOR_TENANT = "brzeg"
# Forms whose refusal is itself recorded: a rejected upload is kept as a rejected import run
# with its audit row, so staff can see what was refused and why.
# A refused passkey answer still spends the challenge it answered (each works once).
RECORDS_REFUSAL = {"imports_staff.index": {"import_run", "audit_event"},
                   **{f"{bp}.add": {"passkey_challenge"}
                      for bp in ("passkeys", "passkeys_staff", "passkeys_operator")}}
# The API has its own fuzzers (test_fuzz_imports.py, test_schemathesis.py); static files
# read no parameter.
NOT_PAGES = {"api_v1", "static", "bootstrap"}

HOSTILE = [
    "\x00", "Jan\x00Kowalski", "\ud800", "a\udfffb", "\x07\x1b[31m", "\ufffe",
    b"\xff\xfe\xfd", b"caf\xc3", b"\xed\xa0\x80",          # invalid UTF-8 (the last: a surrogate)
    "A" * 100_000, "\u202eevil\u202c", "\u200f\u200e", "😀" * 50, "Zażółć\r\ngęślą",
    "NaN", "sNaN", "-Infinity", "inf", "1e999999", "-1e999999", "1e-999999", "0E-999999",
    "9" * 5000, "-" + "9" * 40, str(2 ** 63), str(2 ** 31), "-0", "1,2,3", "١٢٣",
    "0000-00-00", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "1900-01-01",
    "0001-01-01T00:00", "9999-12-31T23:59", "2026-01-01T25:61", "",
    " ", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "${7*7}",
]
# The sweep: one hostile value in every field at once (the generated bodies mix them).
SWEEP = ["\x00", "\ud800", b"\xff\xfe", "A" * 100_000, "\u202e", "sNaN", "9" * 5000,
         "0001-01-01T00:00"]


# Query-string values: each goes alone into every parameter a page reads.
QUERY_HOSTILE = ["\x00", b"\xff\xfe", "A" * 5000, "\u202e", "", "-1", str(2 ** 31), "9" * 5000,
                 "sNaN", "1e999999", "0000-00", "2026-13", "0001-01-01", "9999-12-31"]


@dataclass
class Target:
    endpoint: str
    path: str
    host: str
    actor: str
    fields: dict = field(default_factory=dict)   # name -> plausible values
    files: set = field(default_factory=set)      # names of file fields


def _actor(rule) -> str:
    if rule.endpoint in SIGNED_OUT:
        return "anonymous"
    for prefix, actor in (("/operator/", "operator"), ("/staff/", "staff"),
                          ("/konto/", "resident")):
        if rule.rule.startswith(prefix):
            return actor
    return "anonymous"


def _slugs(rule) -> list[str]:
    """The tenant to try first (the one whose policy shows the feature), then the others."""
    first = _slug(rule)
    return [first, *(slug for slug in TENANT_SLUGS if slug != first)]


def _slug(rule) -> str:
    if rule.endpoint.startswith("operator."):
        return OPERATOR_TENANT
    if rule.endpoint in ROUTES:
        return ROUTES[rule.endpoint].owner
    return TENANT_OF_BLUEPRINT.get(rule.endpoint.split(".")[0], ZW)


def _plausible(form_field) -> list:
    """Values a careful user would send in this field."""
    if isinstance(form_field, FileField):
        return ["photo"]
    if isinstance(form_field, SelectFieldBase):
        return [str(choice[0]) for choice in form_field.iter_choices()][:5] or ["1"]
    kinds = ((BooleanField, ["y"]), (SubmitField, ["y"]), (DateTimeLocalField,
             ["2026-01-02T10:00"]), (DateField, ["2026-01-02"]), (IntegerField, ["3"]),
             (DecimalField, ["12,5", "12.345"]), (EmailField, ["anna@example.com"]),
             (PasswordField, ["Zle-Haslo-2026!"]),
             (HiddenField, [form_field._value() or "1"]))
    for kind, values in kinds:
        if isinstance(form_field, kind):
            return values
    return ["Tekst próbny", "ul. Lipowa 3"]


class FormRecorder:
    """Records the forms views build (it wraps BaseForm.__init__); ``start`` before a
    request forgets the previous request's forms."""

    def __init__(self, monkeypatch):
        self.forms: list = []
        original = BaseForm.__init__

        def recording(form, *args, **kwargs):
            original(form, *args, **kwargs)
            self.forms.append(form)

        monkeypatch.setattr(BaseForm, "__init__", recording)

    def start(self) -> None:
        self.forms.clear()

    def refused(self) -> bool:
        """Whether a form the view built was validated and refused."""
        return any(form.errors for form in self.forms)

    def fields_of(self) -> tuple[dict, set]:
        values, files = {}, set()
        for form in self.forms:
            for form_field in form:
                if form_field.short_name == "csrf_token":
                    continue
                if isinstance(form_field, FieldList | FormField):
                    continue  # its rows are forms of their own, recorded as they are built
                values[form_field.name] = _plausible(form_field)
                if isinstance(form_field, FileField):
                    files.add(form_field.name)
        return values, files


class RecordingArgs(ImmutableMultiDict):
    """Request parameters that remember which names a view asked for."""

    asked: set[str] = set()

    def __getitem__(self, key):
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.asked.add(key)
        return super().__contains__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's signature
        RecordingArgs.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.asked.add(key)
        return super().getlist(key, type)


def csrf_token(app, client) -> str:
    """The token a page of this session would carry (Flask-WTF's signed session token)."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())  # noqa: S324
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def row_counts() -> dict[str, int]:
    """Rows of every table (all tenants), in one statement."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in VOLATILE_TABLES]
    db.session.expire_all()
    with cross_tenant("form fuzzer: compare row counts before and after"):
        counts = db.session.execute(select(*(
            select(func.count()).select_from(t).scalar_subquery().label(t.name)
            for t in tables))).one()
    db.session.rollback()
    return dict(zip([t.name for t in tables], counts, strict=True))


def _encode(value) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogatepass")  # a lone surrogate as a client sends it


def _as_text(value) -> str:
    return _encode(value).decode("utf-8", "replace")


@pytest.fixture
def recorder(monkeypatch) -> FormRecorder:
    return FormRecorder(monkeypatch)


class Browsers:
    """One signed-in browser of the CSRF-protected app per (kind of user, host), and the path
    of a rule with the ids of objects built for it."""

    def __init__(self, world, csrf_app, host_client):  # noqa: F811
        operator = _operator(host_client)
        self.world, self.app, self._clients, self._bystanders = world, csrf_app, {}, {}
        self._signed_in = {"operator": lambda slug: operator, "anonymous": lambda slug: None,
                           "staff": world.staff,
                           "resident": lambda slug: world.resident_a(slug)[0]}

    def open(self, rule, slug: str | None = None) -> tuple[str, str, str, object]:
        """(actor, host, path, client) for a request to ``rule`` (on tenant ``slug``)."""
        admin = rule.rule.startswith("/operator/")
        slug, actor = OPERATOR_TENANT if admin else slug or _slug(rule), _actor(rule)
        host = "admin.localhost" if admin else f"{slug}.localhost"
        with self.app.test_request_context(base_url=f"http://{host}"):
            path = url_for(rule.endpoint, **self._url_values(rule, slug))
        if (actor, host) not in self._clients:
            self._clients[actor, host] = _protected_twin(
                self.app, self._signed_in[actor](slug), host)
        return actor, host, path, self._clients[actor, host]

    def _url_values(self, rule, slug) -> dict:
        if "person_id" in rule.arguments:
            # Staff actions on a person (re-issue, block, revoke) end that resident's
            # session: they act on a bystander, not on the resident the fuzzer posts as.
            if slug not in self._bystanders:
                self._bystanders[slug] = active_resident(slug, first="Cezary",
                                                         last="Postronny", flat="9")
            return {"person_id": self._bystanders[slug].person_id}
        if rule.endpoint in ROUTES:
            return ROUTES[rule.endpoint].ids(self.world, slug)
        # A signed token, a dataset, an operator's tenant and action, or a row id that no
        # row has (that page's 404 must survive hostile query parameters too).
        return {name: {"slug": OPERATOR_TENANT, "action": "suspend"}.get(
                    name, 1 if f"<int:{name}>" in rule.rule else "tok.en.x")
                for name in rule.arguments}


def _rules(app, method: str) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if method in rule.methods
                   and rule.endpoint.split(".")[0] not in NOT_PAGES
                   and rule.endpoint not in NOT_FORMS), key=lambda rule: rule.endpoint)


@pytest.fixture
def browsers(world, csrf_app, host_client) -> Browsers:  # noqa: F811
    world.meter(ZW)  # the resident's reading form lists a meter
    return Browsers(world, csrf_app, host_client)


@pytest.fixture
def targets(app, csrf_app, browsers, recorder):  # noqa: F811
    """Every POST form of both hosts, with its client, path and discovered fields."""
    found = []
    for rule in _rules(app, "POST"):
        # Rules without ids go to the first tenant whose policy shows their form.
        slugs = [None] if rule.endpoint in ROUTES or rule.rule.startswith("/operator/") \
            else _slugs(rule)
        for slug in slugs:
            actor, host, path, client = browsers.open(rule, slug)
            recorder.start()
            if "GET" in rule.methods:
                client.get(path)
            else:
                client.post(path, data={"csrf_token": csrf_token(csrf_app, client)})
            fields, files = recorder.fields_of()
            if fields:
                break
        found.append((Target(rule.endpoint, path, host, actor, fields, files), client))
    assert len(found) >= 45, [t.endpoint for t, _ in found]
    return found


def _post(app, client, target: Target, body: dict):
    token = csrf_token(app, client)
    if target.files:  # multipart: text as the browser would have sent it
        data = {name: _as_text(value) for name, value in body.items()
                if name not in target.files}
        data.update({name: (io.BytesIO(png_bytes() if value == "photo" else _encode(value)),
                            _as_text(value)[:200] or "x.png")
                     for name, value in body.items() if name in target.files})
        return client.post(target.path, data={**data, "csrf_token": token},
                           content_type="multipart/form-data")
    pairs = [(name, _encode(value)) for name, value in body.items()]
    return client.post(target.path, data=urlencode([*pairs, ("csrf_token", token)]),
                       content_type="application/x-www-form-urlencoded")


def _check(app, client, target: Target, body: dict, seen: dict, recorder) -> None:
    before = row_counts()
    recorder.start()
    response = _post(app, client, target, body)
    status = response.status_code
    seen[status] = seen.get(status, 0) + 1
    shown = {name: _as_text(value)[:80] for name, value in body.items()}
    # The operator's status form, fuzzed earlier, may have suspended this tenant: its branded
    # "suspended" page (503 with Retry-After: 3600) is the answer by design, not a failure.
    suspended = status == 503 and response.headers.get("Retry-After") == "3600"
    assert status < 500 or suspended, (target.endpoint, target.path, status, shown)
    if status >= 400 or recorder.refused():
        after = row_counts()
        changed = {name: (before[name], after[name]) for name in before
                   if before[name] != after[name]
                   and name not in RECORDS_REFUSAL.get(target.endpoint, ())}
        assert not changed, (target.endpoint, target.path, status, changed, shown)


def _bodies(target: Target):
    hostile = st.sampled_from(HOSTILE) | st.text(max_size=30) | st.binary(max_size=12)
    return st.fixed_dictionaries({
        name: st.sampled_from(plausible) | hostile for name, plausible in target.fields.items()})


def _fuzzer(app, client, target: Target, seen: dict, recorder):
    @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=_bodies(target))
    def fuzz(body):
        note(f"{target.endpoint} as {target.actor}: POST {target.host}{target.path}")
        _check(app, client, target, body, seen, recorder)
    return fuzz


def test_no_form_answers_a_server_error_or_writes_when_it_refuses(
        targets, csrf_app, recorder):  # noqa: F811
    seen: dict[int, int] = {}
    for target, client in targets:
        for value in SWEEP:
            _check(csrf_app, client, target, dict.fromkeys(target.fields, value), seen,
                   recorder)
        _fuzzer(csrf_app, client, target, seen, recorder)()
    blank = sorted(target.endpoint for target, _ in targets if not target.fields)
    print(f"form fuzz: {len(targets)} forms, answers {dict(sorted(seen.items()))}; "
          f"no field found (a button, or a page the user may not open): {blank}")


@pytest.fixture
def asked_parameters(csrf_app, monkeypatch) -> set[str]:  # noqa: F811
    """The names of the parameters the views of ``csrf_app`` read (cleared by the test)."""

    class Recording(csrf_app.request_class):
        parameter_storage_class = RecordingArgs

    monkeypatch.setattr(csrf_app, "request_class", Recording)
    return RecordingArgs.asked


def test_no_query_parameter_answers_a_server_error(app, browsers, asked_parameters):
    """Every page of both hosts, with each hostile value in each query parameter its view
    reads (found by watching the view: a new parameter is covered with no edit here)."""
    tried = {}
    for rule in _rules(app, "GET"):
        actor, host, path, client = browsers.open(rule)
        asked_parameters.clear()
        client.get(path)
        names, done = set(asked_parameters) - {"csrf_token"}, set()
        while names - done:  # a value may lead the view to read further parameters
            name = min(names - done)
            for value in QUERY_HOSTILE:
                asked_parameters.clear()
                response = client.get(f"{path}?{urlencode({name: _encode(value)})}")
                assert response.status_code < 500, (rule.endpoint, actor, path, name,
                                                    _as_text(value)[:80])
                names |= set(asked_parameters) - {"csrf_token"}
            done.add(name)
        tried[rule.endpoint] = sorted(done)
    print(f"query fuzz: {len(tried)} pages, parameters read: "
          f"{ {endpoint: names for endpoint, names in tried.items() if names} }")
    assert sum(map(len, tried.values())) >= 8, tried
