"""Argon2id hashing (argon2-cffi) and one-time password generation."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id above OWASP's baseline (19 MiB, t=2): 32 MiB, t=2, p=1 — about 45 ms per
# verification on one core here (bench/login.py), so a 2-core node checks ~40 logins/s.
# Changing these makes every stored hash be rehashed at its owner's next login.
HASHER = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)

# A valid hash of a random secret: verifying against it costs the same as a real account,
# so an unknown login cannot be told apart by timing.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

# Readable in print: no 0/O, 1/l/I.
_ALPHABET_LOWER = "abcdefghijkmnpqrstuvwxyz"
_ALPHABET_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def one_time_password(length: int = 10) -> str:
    """Random initial password with every character class, printed on the credentials letter."""
    pools = (_ALPHABET_LOWER, _ALPHABET_UPPER, _DIGITS)
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
