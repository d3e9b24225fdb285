"""What a policy promises, computed independently of the app: which password rules a
candidate breaks and the Polish message each rule shows, who may have an account, and
passwords built to satisfy or to break a rule.

The rules and messages follow policies/README.md and the wording residents read; nothing
here calls the app's own checker, so a divergence between the two is a finding.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from iok_saas.policy.model import Policy

FLOOR_MIN_LENGTH = 8
COMMON_FILE = Path(__file__).resolve().parents[2] / "iok_saas/modules/auth/common_passwords.txt"
CLASS_POOLS = {"digits": "0123456789", "uppercase": "ABCDEFGHJKLMNPRSTUVWXYZ",
               "lowercase": "abcdefghjkmnpqrstuvwxyz", "special": "!#$%&*+-=?@_"}
SEQUENCE_ROWS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "1234567890", "qwertyuiop",
                 "asdfghjkl", "zxcvbnm")
TRAILING = string.digits + string.punctuation + string.whitespace


def polish_form(n: int, one: str, few: str, many: str) -> str:
    if n == 1:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def count_message(rule: str, n: int) -> str:
    nouns = {
        "min_length": ("Hasło musi mieć co najmniej {n} ", ("znak", "znaki", "znaków")),
        "max_length": ("Hasło może mieć najwyżej {n} ", ("znak", "znaki", "znaków")),
        "digits": ("Hasło musi zawierać co najmniej {n} ", ("cyfrę", "cyfry", "cyfr")),
        "uppercase": ("Hasło musi zawierać co najmniej {n} ",
                      ("wielką literę", "wielkie litery", "wielkich liter")),
        "lowercase": ("Hasło musi zawierać co najmniej {n} ",
                      ("małą literę", "małe litery", "małych liter")),
        "special": ("Hasło musi zawierać co najmniej {n} ",
                    ("znak specjalny", "znaki specjalne", "znaków specjalnych")),
    }
    start, forms = nouns[rule]
    return start.format(n=n) + polish_form(n, *forms) + "."


CLASS_NAMES = {"digits": "cyfry", "uppercase": "wielkie litery", "lowercase": "małe litery",
               "special": "znaki specjalne"}


def fold(text: str) -> str:
    text = text.casefold().translate(str.maketrans({"ł": "l"}))
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def words(names, min_letters: int) -> set[str]:
    found = set()
    for name in names:
        word = ""
        for char in fold(name) + " ":
            if char.isalpha():
                word += char
                continue
            if len(word) >= min_letters:
                found.add(word)
            word = ""
    return found


def common_words() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines
                     if line.strip() and not line.startswith("#"))


COMMON = common_words()


def char_class(char: str) -> str:
    if char.isdigit():
        return "digits"
    if char.isupper():
        return "uppercase"
    if char.islower():
        return "lowercase"
    return "special"


def longest_run(text: str, case_sensitive: bool) -> int:
    text = text if case_sensitive else text.casefold()
    best = run = 0
    for index, char in enumerate(text):
        run = run + 1 if index and text[index - 1] == char else 1
        best = max(best, run)
    return best


def has_sequence(text: str, length: int) -> bool:
    folded = text.casefold()
    chunks = {folded[i:i + length] for i in range(len(folded) - length + 1)}
    return any(chunk in row or chunk in row[::-1] for row in SEQUENCE_ROWS for chunk in chunks)


@dataclass(frozen=True)
class Person:
    login: str
    names: tuple[str, ...]
    cooperative: tuple[str, ...]


def effective_min_length(policy: Policy) -> int:
    rules = policy.password
    floor = 0 if rules.waives("min_length") else FLOOR_MIN_LENGTH
    return max(rules.min_length, floor)


def expected_messages(policy: Policy, password: str, who: Person) -> set[str]:
    """The messages the policy and the platform floor promise for ``password`` (history and
    reuse aside)."""
    rules = policy.password
    counts = {cls: 0 for cls in CLASS_POOLS}
    for char in password:
        counts[char_class(char)] += 1
    found = set()
    minimum = effective_min_length(policy)
    if len(password) < minimum:
        found.add(count_message("min_length", minimum))
    if len(password) > rules.max_length:
        found.add(count_message("max_length", rules.max_length))
    for cls in CLASS_POOLS:
        needed = getattr(rules.require, cls)
        if counts[cls] < needed:
            found.add(count_message(cls, needed))
    if sum(1 for cls in rules.classes_of if counts[cls]) < rules.classes_at_least:
        found.add(f"Hasło musi zawierać co najmniej {rules.classes_at_least} z tych rodzajów "
                  f"znaków: {', '.join(CLASS_NAMES[c] for c in rules.classes_of)}.")
    found |= _shape_messages(rules, password)
    found |= _context_messages(policy, password, who)
    return found


def _shape_messages(rules, password: str) -> set[str]:
    found = set()
    limit = rules.max_repeated_run
    if limit and longest_run(password, rules.repeated_case_sensitive) > limit:
        times = "raz" if limit == 1 else "razy"
        message = f"Ten sam znak nie może wystąpić więcej niż {limit} {times} z rzędu."
        if not rules.repeated_case_sensitive:
            message += " Wielka i mała litera liczą się tu jako ten sam znak."
        found.add(message)
    if rules.forbid_sequences and has_sequence(password, rules.forbid_sequences):
        found.add(f"Hasło nie może zawierać {rules.forbid_sequences} kolejnych znaków alfabetu, "
                  "cyfr ani klawiatury, w przód ani wstecz (np. abcd, 4321, qwer).")
    if any(char in rules.forbidden_characters for char in password):
        shown = " ".join(dict.fromkeys(rules.forbidden_characters))
        found.add(f"Hasło nie może zawierać znaków: {shown}.")
    return found


def _context_messages(policy: Policy, password: str, who: Person) -> set[str]:
    rules, folded = policy.password, fold(password)
    found = set()
    if (rules.forbid_login or not rules.waives("login")) and fold(who.login) in folded:
        found.add("Hasło nie może zawierać identyfikatora (loginu).")
    if (rules.forbid_name or not rules.waives("name")) and any(
            word in folded for word in words(who.names, 3)):
        found.add("Hasło nie może zawierać imienia ani nazwiska.")
    stem = folded.rstrip(TRAILING)
    if not rules.waives("common_passwords") and (folded in COMMON or (stem and stem in COMMON)):
        found.add("Hasło jest zbyt popularne i łatwe do odgadnięcia — wybierz inne.")
    if not rules.waives("cooperative_name") and any(
            word in folded for word in words(who.cooperative, 4)):
        found.add("Hasło nie może zawierać nazwy spółdzielni.")
    return found


def history_message(history: int) -> str:
    if history == 1:
        return "Nowe hasło musi różnić się od poprzedniego hasła."
    return f"Nowe hasło musi różnić się od {history} ostatnich haseł."


SAME_AS_CURRENT = "Nowe hasło musi różnić się od obecnego hasła."


# --- building candidates ---------------------------------------------------------------------

class PasswordMaker:
    """Random passwords for one policy and person, built to the rules then checked by the
    oracle (a draw that breaks a rule by accident is drawn again)."""

    def __init__(self, policy: Policy, who: Person, rng: random.Random):
        self.policy, self.who, self.rng = policy, who, rng
        forbidden = set(policy.password.forbidden_characters)
        self.pools = {cls: "".join(c for c in pool if c not in forbidden)
                      for cls, pool in CLASS_POOLS.items()}

    def good(self, length: int | None = None) -> str | None:
        return self._draw(lambda: self._compose(length), lambda found: not found)

    def breaking(self, mutate, message: str) -> str | None:
        """A password made by ``mutate(good_password)`` whose problems include ``message``."""
        def make():
            base = self._compose(None)
            return mutate(base) if base is not None else None
        return self._draw(make, lambda found: message in found)

    def _draw(self, make, accept, attempts: int = 60) -> str | None:
        for _ in range(attempts):
            candidate = make()
            if candidate is not None and accept(expected_messages(self.policy, candidate,
                                                                  self.who)):
                return candidate
        return None

    def _compose(self, length: int | None) -> str | None:
        rules = self.policy.password
        needed = {cls: getattr(rules.require, cls) for cls in CLASS_POOLS}
        missing = [c for c in rules.classes_of if not needed[c]]
        self.rng.shuffle(missing)
        short = rules.classes_at_least - sum(1 for c in rules.classes_of if needed[c])
        for cls in missing[:max(short, 0)]:
            needed[cls] = 1
        low = max(effective_min_length(self.policy), sum(needed.values()))
        high = min(rules.max_length, low + 6)
        if length is None:
            if low > high:
                return None
            length = self.rng.randint(low, high)
        chars = [self.rng.choice(self.pools[cls]) for cls, n in needed.items() for _ in range(n)]
        filler = "".join(self.pools[c] for c in ("lowercase", "uppercase", "digits"))
        chars += [self.rng.choice(filler) for _ in range(max(length - len(chars), 0))]
        self.rng.shuffle(chars)
        return "".join(chars[:length]) if len(chars) >= length else None

    def insert(self, password: str, piece: str) -> str:
        at = self.rng.randint(0, len(password))
        return password[:at] + piece + password[at:]


# --- who may have an account -----------------------------------------------------------------

def eligible(policy: Policy, title_kind: str, commercial: bool) -> bool:
    """policies/README.md: owner, tenant, member by title; commercial: the holder of a
    commercial unit; association_owner: an owner in an association the manager runs."""
    admitted = policy.enrolment.eligible
    return (title_kind in admitted or (commercial and "commercial" in admitted)
            or (title_kind == "owner" and "association_owner" in admitted))
