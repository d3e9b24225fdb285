"""Checking a newly chosen password: the tenant's rules, the platform floor and the history.

``check_new_password`` returns one message per broken rule (an empty list means the password
is acceptable). The messages are Polish msgids passed through ``flask_babel.gettext``, so an
English catalogue can translate them; outside an app or request context gettext returns the
msgid, so the Polish text comes back unchanged.

Polish has three plural forms (1 cyfrę, 2–4 cyfry, 5+ cyfr) while the msgids live in the
source without a Polish catalogue, so ``ngettext`` would fall back to the two English-style
forms ("5 cyfry"). Each count message therefore has one msgid per Polish form, chosen by
:func:`polish_plural_form`; an English catalogue translates each of them on its own.

Who is checked against what:

* staff (``rules=None``): the platform floor, the last 3 passwords and the current one;
* residents: the tenant's ``PasswordRules`` always, plus each rule of the platform floor the
  policy does not waive (``password.below_platform_floor.<rule>``, one reason per rule), plus
  ``rules.history`` previous passwords and the current one.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from iok_saas.policy.model import NAME_PART_MIN, PasswordRules

from .passwords import verify_password

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

STAFF_HISTORY = 3
"""Staff accounts may not reuse any of their last three passwords."""

COOPERATIVE_WORD_MIN = 4
"""Words of a cooperative's name shorter than this (SM, w, we) are not searched for."""

DEFAULT_FLOOR_MIN_LENGTH = 8

# Stripped from the end of a password before it is looked up in the common list.
_TRAILING = string.digits + string.punctuation + string.whitespace
_WORDS = re.compile(r"[^\W\d_]+")
# Letters NFKD does not decompose into a base letter and a combining mark.
_UNDECOMPOSABLE = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i"})


# --- normalisation ---------------------------------------------------------------------------

def fold(text: str) -> str:
    """Case-folded and without diacritics: 'Kuźniki' -> 'kuzniki', 'HASŁO' -> 'haslo'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSABLE))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_words(names: Iterable[str], min_letters: int) -> set[str]:
    """Folded words (runs of letters) of at least ``min_letters`` letters in ``names``."""
    return {word for name in names for word in _WORDS.findall(fold(name))
            if len(word) >= min_letters}


@lru_cache(maxsize=4)
def load_common_passwords(path: Path = COMMON_PASSWORDS_FILE) -> frozenset[str]:
    """The common-password list, folded; blank lines and lines starting with '#' are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines
                     if line.strip() and not line.startswith("#"))


# --- the platform floor ----------------------------------------------------------------------

@dataclass(frozen=True)
class PlatformFloor:
    """What the platform demands of every password unless a tenant's policy waives it.

    At least ``min_length`` characters; not a common password; not containing the login, a
    part of the person's name or a word of the cooperative's name.
    """

    min_length: int = DEFAULT_FLOOR_MIN_LENGTH
    common_passwords: frozenset[str] = field(default_factory=load_common_passwords, repr=False)

    @classmethod
    def from_config(cls, config: Mapping) -> PlatformFloor:
        """The floor configured by ``IOK_PASSWORD_FLOOR_MIN_LENGTH`` (default 8)."""
        min_length = int(config.get("IOK_PASSWORD_FLOOR_MIN_LENGTH", DEFAULT_FLOOR_MIN_LENGTH))
        return cls(min_length=min_length)

    def is_common(self, password: str) -> bool:
        """Whether ``password`` is on the common list.

        Decision: the password is folded (case, diacritics) and looked up both as it is and
        with trailing digits, punctuation and spaces stripped, so 'Qwerty123!' and 'Hasło1'
        count as 'qwerty' and 'haslo'. Appending a number or '!' to a common word is the
        most usual way to satisfy composition rules and adds next to nothing for a guesser.
        """
        folded = fold(password)
        stem = folded.rstrip(_TRAILING)
        return folded in self.common_passwords or (bool(stem) and stem in self.common_passwords)

    @staticmethod
    def contains_login(password: str, login: str) -> bool:
        return bool(login) and fold(login) in fold(password)

    @staticmethod
    def contains_name(password: str, names: Iterable[str]) -> bool:
        folded = fold(password)
        return any(word in folded for word in name_words(names, NAME_PART_MIN))

    @staticmethod
    def contains_cooperative_name(password: str, cooperative_names: Iterable[str]) -> bool:
        folded = fold(password)
        return any(word in folded for word in name_words(cooperative_names, COOPERATIVE_WORD_MIN))


# --- messages --------------------------------------------------------------------------------

ONE, FEW, MANY = "one", "few", "many"


def polish_plural_form(n: int) -> str:
    """Polish plural category of ``n``: one (1), few (2–4, 22–24, …), many (0, 5–21, 25, …)."""
    if n == 1:
        return ONE
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return FEW
    return MANY


Forms = tuple[Callable[[int], str], Callable[[int], str], Callable[[int], str]]

# One literal msgid per Polish form so that `pybabel extract` finds each of them.
_COUNT_MESSAGES: dict[str, Forms] = {
    "min_length": (
        lambda n: _("Hasło musi mieć co najmniej %(num)d znak.", num=n),
        lambda n: _("Hasło musi mieć co najmniej %(num)d znaki.", num=n),
        lambda n: _("Hasło musi mieć co najmniej %(num)d znaków.", num=n),
    ),
    "max_length": (
        lambda n: _("Hasło może mieć najwyżej %(num)d znak.", num=n),
        lambda n: _("Hasło może mieć najwyżej %(num)d znaki.", num=n),
        lambda n: _("Hasło może mieć najwyżej %(num)d znaków.", num=n),
    ),
    "digits": (
        lambda n: _("Hasło musi zawierać co najmniej %(num)d cyfrę.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d cyfry.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d cyfr.", num=n),
    ),
    "uppercase": (
        lambda n: _("Hasło musi zawierać co najmniej %(num)d wielką literę.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d wielkie litery.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d wielkich liter.", num=n),
    ),
    "lowercase": (
        lambda n: _("Hasło musi zawierać co najmniej %(num)d małą literę.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d małe litery.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d małych liter.", num=n),
    ),
    "special": (
        lambda n: _("Hasło musi zawierać co najmniej %(num)d znak specjalny.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d znaki specjalne.", num=n),
        lambda n: _("Hasło musi zawierać co najmniej %(num)d znaków specjalnych.", num=n),
    ),
    # "N razy" is the same for every N >= 2; only 1 differs ("raz").
    "max_repeated_run": (
        lambda n: _("Ten sam znak nie może wystąpić więcej niż %(num)d raz z rzędu.", num=n),
        lambda n: _("Ten sam znak nie może wystąpić więcej niż %(num)d razy z rzędu.", num=n),
        lambda n: _("Ten sam znak nie może wystąpić więcej niż %(num)d razy z rzędu.", num=n),
    ),
    # After "od" the noun is genitive plural for every N >= 2; one previous password reads
    # "od poprzedniego hasła".
    "history": (
        lambda n: _("Nowe hasło musi różnić się od poprzedniego hasła."),
        lambda n: _("Nowe hasło musi różnić się od %(num)d ostatnich haseł.", num=n),
        lambda n: _("Nowe hasło musi różnić się od %(num)d ostatnich haseł.", num=n),
    ),
}


def count_message(rule: str, n: int) -> str:
    """The message for a rule that requires a number, in the Polish form ``n`` takes."""
    one, few, many = _COUNT_MESSAGES[rule]
    return {ONE: one, FEW: few, MANY: many}[polish_plural_form(n)](n)


def _class_name(cls: str) -> str:
    return {
        "digits": _("cyfry"),
        "uppercase": _("wielkie litery"),
        "lowercase": _("małe litery"),
        "special": _("znaki specjalne"),
    }[cls]


def _shown_character(char: str) -> str:
    if char == " ":
        return _("spacja")
    if char.isspace() or not char.isprintable():
        return f"U+{ord(char):04X}"
    return char


def _floor_applies(rules: PasswordRules | None, floor_rule: str) -> bool:
    return rules is None or not rules.waives(floor_rule)


def _repeated_message(rules: PasswordRules) -> str:
    message = count_message("max_repeated_run", rules.max_repeated_run or 0)
    if rules.repeated_case_sensitive:
        return message
    return message + " " + _("Wielka i mała litera liczą się tu jako ten sam znak.")


def _sequence_message(rules: PasswordRules) -> str:
    return _("Hasło nie może zawierać %(num)d kolejnych znaków alfabetu, cyfr ani klawiatury, "
             "w przód ani wstecz (np. abcd, 4321, qwer).", num=rules.forbid_sequences or 0)


def _rule_message(rule: str, rules: PasswordRules) -> str:
    """The message for one rule name returned by ``PasswordRules.violations``."""
    if rule in ("digits", "uppercase", "lowercase", "special"):
        return count_message(rule, getattr(rules.require, rule))
    if rule == "min_length":
        return count_message(rule, rules.min_length)
    if rule == "max_length":
        return count_message(rule, rules.max_length)
    if rule == "max_repeated_run":
        return _repeated_message(rules)
    if rule == "sequence":
        return _sequence_message(rules)
    if rule == "classes":
        return _("Hasło musi zawierać co najmniej %(num)d z tych rodzajów znaków: %(classes)s.",
                 num=rules.classes_at_least,
                 classes=", ".join(_class_name(cls) for cls in rules.classes_of))
    if rule == "forbidden_characters":
        shown = " ".join(_shown_character(char) for char in dict.fromkeys(
            rules.forbidden_characters))
        return _("Hasło nie może zawierać znaków: %(chars)s.", chars=shown)
    if rule == "contains_login":
        return _login_message()
    if rule == "contains_name":
        return _name_message()
    raise ValueError(f"no message for password rule {rule!r}")


def _common_message() -> str:
    return _("Hasło jest zbyt popularne i łatwe do odgadnięcia — wybierz inne.")


def _cooperative_message() -> str:
    return _("Hasło nie może zawierać nazwy spółdzielni.")


def _login_message() -> str:
    return _("Hasło nie może zawierać identyfikatora (loginu).")


def _name_message() -> str:
    return _("Hasło nie może zawierać imienia ani nazwiska.")


# --- the check -------------------------------------------------------------------------------

def check_new_password(
    password: str,
    *,
    rules: PasswordRules | None,
    floor: PlatformFloor,
    login: str,
    names: Sequence[str],
    cooperative_names: Sequence[str],
    previous_hashes: Sequence[str] = (),
    current_hash: str | None = None,
) -> list[str]:
    """Messages for every rule ``password`` breaks; an empty list means it is acceptable.

    ``rules`` is the tenant's password section, or None for staff (the floor only).
    ``names`` are the person's names (each split into words), ``cooperative_names`` the
    tenant's short and legal names. ``previous_hashes`` are the Argon2 hashes of earlier
    passwords, oldest first; the last ``rules.history`` (staff: 3) are checked. The password
    must also differ from ``current_hash``.
    """
    broken = rules.violations(password, login=login, names=names) if rules else []
    messages: list[str] = []

    # Length: one message with the stricter of the tenant's minimum and the floor's.
    required = rules.min_length if rules else 0
    if _floor_applies(rules, "min_length"):
        required = max(required, floor.min_length)
    if len(password) < required:
        messages.append(count_message("min_length", required))
    messages += [_rule_message(rule, rules) for rule in broken if rule != "min_length"]

    if (_floor_applies(rules, "login") and "contains_login" not in broken
            and floor.contains_login(password, login)):
        messages.append(_login_message())
    if (_floor_applies(rules, "name") and "contains_name" not in broken
            and floor.contains_name(password, names)):
        messages.append(_name_message())
    if _floor_applies(rules, "common_passwords") and floor.is_common(password):
        messages.append(_common_message())
    if (_floor_applies(rules, "cooperative_name")
            and floor.contains_cooperative_name(password, cooperative_names)):
        messages.append(_cooperative_message())

    messages += _reuse_messages(password, rules, previous_hashes, current_hash)
    return messages


def _reuse_messages(password: str, rules: PasswordRules | None,
                    previous_hashes: Sequence[str], current_hash: str | None) -> list[str]:
    if current_hash is not None and verify_password(current_hash, password):
        return [_("Nowe hasło musi różnić się od obecnego hasła.")]
    history = STAFF_HISTORY if rules is None else rules.history
    recent = list(previous_hashes)[-history:] if history else []
    if any(verify_password(stored, password) for stored in recent):
        return [count_message("history", history)]
    return []


def describe_rules(rules: PasswordRules | None, floor: PlatformFloor) -> list[str]:
    """Every requirement as a sentence, for forms and the credentials letter.

    The same sentences as the error messages, so what residents read before choosing a
    password is exactly what they are told when a rule fails.
    """
    floor_length = floor.min_length if _floor_applies(rules, "min_length") else 0
    length = max(rules.min_length if rules else 0, floor_length)
    sentences = [count_message("min_length", length)]
    if rules is not None:
        sentences.append(count_message("max_length", rules.max_length))
        sentences += [_rule_message(rule, rules) for rule in _active_rules(rules)]
    if _floor_applies(rules, "login") and (rules is None or not rules.forbid_login):
        sentences.append(_login_message())
    if _floor_applies(rules, "name") and (rules is None or not rules.forbid_name):
        sentences.append(_name_message())
    if _floor_applies(rules, "common_passwords"):
        sentences.append(_common_message())
    if _floor_applies(rules, "cooperative_name"):
        sentences.append(_cooperative_message())
    history = STAFF_HISTORY if rules is None else rules.history
    if history:
        sentences.append(count_message("history", history))
    return sentences


def _active_rules(rules: PasswordRules) -> list[str]:
    active = [cls for cls in ("digits", "uppercase", "lowercase", "special")
              if getattr(rules.require, cls)]
    if rules.classes_at_least:
        active.append("classes")
    if rules.max_repeated_run:
        active.append("max_repeated_run")
    if rules.forbid_sequences:
        active.append("sequence")
    if rules.forbidden_characters:
        active.append("forbidden_characters")
    if rules.forbid_login:
        active.append("contains_login")
    if rules.forbid_name:
        active.append("contains_name")
    return active
