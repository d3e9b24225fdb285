"""A new password against the tenant's rules, the platform floor and the password history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask_babel import Babel

from iok_saas.modules.auth.password_check import (
    PlatformFloor,
    check_new_password,
    load_common_passwords,
    polish_plural_form,
)
from iok_saas.modules.auth.passwords import hash_password
from iok_saas.policy import load_policy_file
from iok_saas.policy.model import PasswordRules

REPO = Path(__file__).resolve().parents[2]
LOGIN = "402817"
NAMES = ("Anna", "Wiśniewska")
FLOOR = PlatformFloor()

TOO_SHORT_4 = "Hasło musi mieć co najmniej 4 znaki."
TOO_SHORT_6 = "Hasło musi mieć co najmniej 6 znaków."
TOO_SHORT_8 = "Hasło musi mieć co najmniej 8 znaków."
ONE_DIGIT = "Hasło musi zawierać co najmniej 1 cyfrę."
ONE_UPPER = "Hasło musi zawierać co najmniej 1 wielką literę."
ONE_LOWER = "Hasło musi zawierać co najmniej 1 małą literę."
FOUR_DIGITS = "Hasło musi zawierać co najmniej 4 cyfry."
LOGIN_MSG = "Hasło nie może zawierać identyfikatora (loginu)."
NAME_MSG = "Hasło nie może zawierać imienia ani nazwiska."
COMMON = "zbyt popularne"
COOPERATIVE = "Hasło nie może zawierać nazwy spółdzielni."


def rules_of(slug: str) -> PasswordRules:
    return load_policy_file(REPO / "policies" / f"{slug}.yaml").password


def cooperative_names(slug: str) -> tuple[str, str]:
    manifest = yaml.safe_load((REPO / "tenants" / f"{slug}.yaml").read_text(encoding="utf-8"))
    return manifest["short_name"], manifest["legal_name"]


def check(slug: str | None, password: str, **kwargs) -> list[str]:
    """Check as a resident of ``slug``, or as staff of Kuźniki when ``slug`` is None."""
    return check_new_password(
        password,
        rules=rules_of(slug) if slug else None,
        floor=kwargs.pop("floor", FLOOR),
        login=LOGIN,
        names=NAMES,
        cooperative_names=cooperative_names(slug or "kuzniki"),
        **kwargs,
    )


ACCEPT = None

# (tenant or None for staff, password, None = accepted / expected message or substring)
CASES = [
    # MZMK Brzeg §2c: 4 characters, a digit, an upper- and a lower-case letter; floor waived.
    ("brzeg", "Ab1c", ACCEPT),
    ("brzeg", "abc1", ONE_UPPER),
    ("brzeg", "AB1C", ONE_LOWER),
    ("brzeg", "Abcd", ONE_DIGIT),
    ("brzeg", "Ab1", TOO_SHORT_4),
    ("brzeg", "Qwerty1", ACCEPT),             # waived: the common list does not apply
    ("brzeg", "Mzmk1abc", ACCEPT),            # waived: nor does the cooperative's name
    ("brzeg", "Anna1Xyz", NAME_MSG),          # the tenant's own forbid_name still does
    ("brzeg", "X402817a", LOGIN_MSG),         # and its forbid_login
    # MSM Gdynia I.4: 6 characters incl. 4 digits; floor waived.
    ("gdynia", "abc123", FOUR_DIGITS),
    ("gdynia", "ab1234", ACCEPT),
    ("gdynia", "1234", TOO_SHORT_6),
    ("gdynia", "gdynia2024", ACCEPT),
    # SM Zielone Wzgórza step 6: 6 characters and a digit; floor waived.
    ("zielone-wzgorza", "abcde1", ACCEPT),
    ("zielone-wzgorza", "abcdef", ONE_DIGIT),
    ("zielone-wzgorza", "abc1", TOO_SHORT_6),
    ("zielone-wzgorza", "zielone1", ACCEPT),
    # SM Siarkowiec: no published rules, the platform floor applies.
    ("siarkowiec", "qwerty123", COMMON),
    ("siarkowiec", "Qwerty123!", COMMON),
    ("siarkowiec", "zaq1@WSX", COMMON),
    ("siarkowiec", "Siarkowiec2024", COOPERATIVE),
    ("siarkowiec", "Tarnobrzegu1!", COOPERATIVE),
    ("siarkowiec", "Ab1c", TOO_SHORT_8),
    ("siarkowiec", "x402817yz", LOGIN_MSG),
    ("siarkowiec", "Wisniewska#77", NAME_MSG),
    ("siarkowiec", "wiśniewska#77", NAME_MSG),
    ("siarkowiec", "Tromb-Kawa!Lipa7", ACCEPT),
    ("siarkowiec", "korytarz-mleko-7", ACCEPT),
    # SM Kuźniki: the platform floor (min_length 8 chosen by the operator).
    ("kuzniki", "qwerty123", COMMON),
    ("kuzniki", "Hasło123", COMMON),
    ("kuzniki", "1qaz2wsx", COMMON),
    ("kuzniki", "Kuzniki2024", COOPERATIVE),
    ("kuzniki", "Kuźniki2024", COOPERATIVE),
    ("kuzniki", "mojeKUZNIKI!", COOPERATIVE),
    ("kuzniki", "Ab1c", TOO_SHORT_8),
    ("kuzniki", "haslo402817", LOGIN_MSG),
    ("kuzniki", "WISNIEWSKA-dom", NAME_MSG),
    ("kuzniki", "Tromb-Kawa!Lipa7", ACCEPT),
    ("kuzniki", "sowa pije kompot", ACCEPT),
    # Staff (rules=None): the floor only, always.
    (None, "Ab1c", TOO_SHORT_8),
    (None, "Qwerty123!", COMMON),
    (None, "Kuzniki2024", COOPERATIVE),
    (None, "zx402817cv", LOGIN_MSG),
    (None, "Tromb-Kawa!Lipa7", ACCEPT),
]


@pytest.mark.parametrize(("slug", "password", "expected"), CASES,
                         ids=[f"{slug or 'staff'}-{pw}" for slug, pw, _ in CASES])
def test_tenant_rules_and_platform_floor(slug, password, expected):
    messages = check(slug, password)
    if expected is ACCEPT:
        assert messages == []
    else:
        assert any(expected in message for message in messages), messages


@pytest.mark.parametrize(("slug", "password", "expected"), [
    ("brzeg", "Ab1", [TOO_SHORT_4]),
    ("brzeg", "ab", [TOO_SHORT_4, ONE_DIGIT, ONE_UPPER]),
    ("gdynia", "abc", [TOO_SHORT_6, FOUR_DIGITS]),
    ("kuzniki", "x402817yz", [LOGIN_MSG]),     # tenant rule and floor: one message
    ("kuzniki", "x-anna", [TOO_SHORT_8, NAME_MSG]),
])
def test_exact_messages_one_per_broken_rule(slug, password, expected):
    assert check(slug, password) == expected


@pytest.mark.parametrize("slug", ["brzeg", "siarkowiec", "gdynia", "zielone-wzgorza",
                                  "kuzniki"])
def test_every_shipped_policy_loads_and_accepts_a_strong_password(slug):
    assert check(slug, "Tromb-Kawa!Lipa7 2719") == []


# --- Polish plural forms ---------------------------------------------------------------------

@pytest.mark.parametrize(("n", "form"), [
    (0, "many"), (1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"),
    (12, "many"), (14, "many"), (21, "many"), (22, "few"), (24, "few"), (25, "many"),
    (104, "few"), (112, "many"),
])
def test_polish_plural_categories(n, form):
    assert polish_plural_form(n) == form


PLURALS = {
    "digits": ("1 cyfrę.", "2 cyfry.", "5 cyfr."),
    "uppercase": ("1 wielką literę.", "2 wielkie litery.", "5 wielkich liter."),
    "lowercase": ("1 małą literę.", "2 małe litery.", "5 małych liter."),
    "special": ("1 znak specjalny.", "2 znaki specjalne.", "5 znaków specjalnych."),
}


@pytest.mark.parametrize("cls", sorted(PLURALS))
@pytest.mark.parametrize(("n", "index"), [(1, 0), (2, 1), (5, 2)])
def test_class_requirements_use_the_right_plural(cls, n, index):
    base = rules_of("siarkowiec")
    rules = replace(base, require=replace(base.require, **{cls: n}))
    messages = check_new_password("", rules=rules, floor=FLOOR, login="", names=(),
                                  cooperative_names=())
    assert f"Hasło musi zawierać co najmniej {PLURALS[cls][index]}" in messages


@pytest.mark.parametrize(("n", "sentence"), [
    (1, "Hasło musi mieć co najmniej 1 znak."),
    (2, "Hasło musi mieć co najmniej 2 znaki."),
    (5, "Hasło musi mieć co najmniej 5 znaków."),
    (22, "Hasło musi mieć co najmniej 22 znaki."),
    (12, "Hasło musi mieć co najmniej 12 znaków."),
])
def test_min_length_uses_the_right_plural(n, sentence):
    rules = replace(rules_of("brzeg"), min_length=n, require=replace(
        rules_of("brzeg").require, digits=0, uppercase=0, lowercase=0))
    assert check_new_password("", rules=rules, floor=FLOOR, login="", names=(),
                              cooperative_names=()) == [sentence]


def test_other_rules_name_the_number():
    brzeg = rules_of("brzeg")
    rules = replace(brzeg, require=replace(brzeg.require, digits=0, uppercase=0, lowercase=0),
                    max_length=5, max_repeated_run=2,
                    forbidden_characters="<> ", classes_at_least=3,
                    classes_of=("digits", "uppercase", "special"))
    messages = check_new_password("Aaaa<bcd", rules=rules, floor=FLOOR, login="",
                                  names=(), cooperative_names=())
    assert messages == [
        "Hasło może mieć najwyżej 5 znaków.",
        "Hasło musi zawierać co najmniej 3 z tych rodzajów znaków: "
        "cyfry, wielkie litery, znaki specjalne.",
        "Ten sam znak nie może wystąpić więcej niż 2 razy z rzędu.",
        "Hasło nie może zawierać znaków: < > spacja.",
    ]


# --- the floor -------------------------------------------------------------------------------

def test_floor_from_config():
    assert PlatformFloor.from_config({}).min_length == 8
    floor = PlatformFloor.from_config({"IOK_PASSWORD_FLOOR_MIN_LENGTH": 12})
    assert floor.min_length == 12
    assert floor.common_passwords is load_common_passwords()
    # A stricter floor than the tenant's minimum gives one message with the floor's number.
    assert check("kuzniki", "Ab1c", floor=floor) == ["Hasło musi mieć co najmniej 12 znaków."]
    # A waived policy keeps its own minimum whatever the floor says.
    assert check("brzeg", "Ab1c", floor=floor) == []


def test_common_list_is_folded_and_of_a_useful_size():
    common = load_common_passwords()
    assert 300 <= len(common) <= 600
    assert all(entry == entry.casefold() and entry.isascii() for entry in common)
    assert {"123456", "qwerty", "haslo", "polska", "kochanie", "zaq1@wsx", "1qaz2wsx"} <= common


@pytest.mark.parametrize("password", ["Qwerty123!", "HASŁO", "Haslo1", "kochanie!!", "zaq12wsx",
                                      "Polska 2024", "123456789"])
def test_common_passwords_are_caught_with_trailing_digits_and_punctuation(password):
    assert FLOOR.is_common(password)


@pytest.mark.parametrize("password", ["Tromb-Kawa!Lipa7", "qwertyX9", "1haslo", "Ab1c"])
def test_uncommon_passwords_pass(password):
    assert not FLOOR.is_common(password)


# --- history ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hashes():
    """Hashes of two earlier passwords (oldest first) and of the current one."""
    return {pw: hash_password(pw) for pw in ("Stary-Pies!42", "Nowy-Kot!77x", "Obecne-Haslo9!")}


def _with_history(hashes, password, history):
    rules = replace(rules_of("kuzniki"), history=history)
    return check_new_password(
        password, rules=rules, floor=FLOOR, login=LOGIN, names=NAMES,
        cooperative_names=cooperative_names("kuzniki"),
        previous_hashes=[hashes["Stary-Pies!42"], hashes["Nowy-Kot!77x"]],
        current_hash=hashes["Obecne-Haslo9!"])


@pytest.mark.parametrize("reused", ["Stary-Pies!42", "Nowy-Kot!77x"])
@pytest.mark.parametrize("history", [2, 3])
def test_reusing_a_previous_password_is_rejected(hashes, reused, history):
    assert _with_history(hashes, reused, history) == [
        f"Nowe hasło musi różnić się od {history} ostatnich haseł."]


def test_only_the_last_n_previous_passwords_count(hashes):
    assert _with_history(hashes, "Stary-Pies!42", 1) == []
    assert _with_history(hashes, "Nowy-Kot!77x", 1) == [
        "Nowe hasło musi różnić się od poprzedniego hasła."]
    assert _with_history(hashes, "Nowy-Kot!77x", 0) == []


@pytest.mark.parametrize("history", [0, 3])
def test_the_current_password_is_always_rejected(hashes, history):
    assert _with_history(hashes, "Obecne-Haslo9!", history) == [
        "Nowe hasło musi różnić się od obecnego hasła."]


def test_a_fresh_password_passes_the_history(hashes):
    assert _with_history(hashes, "Tromb-Kawa!Lipa7", 3) == []


def test_staff_history_is_three(hashes):
    previous = [hash_password("Pierwsze-Haslo!1"), hashes["Stary-Pies!42"],
                hashes["Nowy-Kot!77x"], hashes["Obecne-Haslo9!"]]
    staff = {"rules": None, "floor": FLOOR, "login": "jan.nowak", "names": ("Jan Nowak",),
             "cooperative_names": cooperative_names("kuzniki"), "previous_hashes": previous}
    assert check_new_password("Stary-Pies!42", **staff) == [
        "Nowe hasło musi różnić się od 3 ostatnich haseł."]
    assert check_new_password("Pierwsze-Haslo!1", **staff) == []


# --- Flask-Babel -----------------------------------------------------------------------------

def test_messages_are_polish_inside_a_request_with_babel():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "pl"
    Babel(app)
    with app.test_request_context("/"):
        assert check("gdynia", "abc") == [TOO_SHORT_6, FOUR_DIGITS]
    with app.app_context():
        assert check("brzeg", "abc1") == [ONE_UPPER]
