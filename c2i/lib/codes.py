"""Verification codes printed on certificates and attestations (RULES.md R15).
Pure: no Django import.

A code is 14 random symbols and 1 check symbol, read in three groups of five:
``7KQ2H-XD94M-RC0W7``.

- Alphabet: the 29 symbols ``0123456789ACDEFGHJKMNPQRTVWXY``: the digits and
  the letters without I, L, O, U, B, S and Z, each of which looks like a digit
  or another letter. On input those letters are read as what they look like
  (O → 0, I and L → 1, Z → 2, S → 5, B → 8, U → V), so a misread printed code
  is still found. 29 is prime: see the check symbol.
- Entropy: 14 symbols drawn by `secrets` from 29: 14 × log2(29) ≈ 68.0 bits.
- Check symbol: the 15 symbol values v₁ … v₁₅ satisfy Σ i·vᵢ ≡ 0 (mod 29).
  Because 29 is prime and the weights 1 … 15 are distinct and non-zero
  modulo 29, every single-symbol substitution changes the sum by
  i·(a − b) ≢ 0, and every transposition of two symbols (adjacent or not)
  changes it by (i − j)·(a − b) ≢ 0: all are detected.

`check()` only says whether a text has the shape of a code: whether the code
was issued is the credentials app's question.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from dataclasses import dataclass

ALPHABET = "0123456789ACDEFGHJKMNPQRTVWXY"
BASE = len(ALPHABET)  # 29, prime
RANDOM_LENGTH = 14
LENGTH = RANDOM_LENGTH + 1
GROUP = 5
ENTROPY_BITS = RANDOM_LENGTH * math.log2(BASE)

LOOK_ALIKES = {"O": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "U": "V"}
SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.·/]+")

VALID_FORMAT = "valid_format"
MISTYPED = "mistyped"
MALFORMED = "malformed"

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}


@dataclass(frozen=True, slots=True)
class CodeCheck:
    status: str
    code: str  # the normalised text: grouped when it has the right length
    message: str

    @property
    def ok(self) -> bool:
        return self.status == VALID_FORMAT


def _weighted_sum(symbols: str) -> int:
    return sum((i + 1) * _VALUES[s] for i, s in enumerate(symbols))


def check_symbol(body: str) -> str:
    """The symbol that makes Σ i·vᵢ ≡ 0 (mod 29) once appended to `body`."""
    if len(body) != RANDOM_LENGTH or any(s not in _VALUES for s in body):
        raise ValueError(f"Corps de code invalide : {body!r}.")
    # Weight of the check symbol: LENGTH; its inverse modulo the prime BASE.
    inverse = pow(LENGTH, -1, BASE)
    return ALPHABET[(-_weighted_sum(body) * inverse) % BASE]


def format_code(compact: str) -> str:
    """Groups of five for reading: ``XXXXX-XXXXX-XXXXX``."""
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def new_code() -> str:
    """A fresh code from the operating system's cryptographic source."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_code(body + check_symbol(body))


def normalize(text: str) -> str:
    """The compact form of a typed code: compatibility characters folded,
    uppercase, separators removed, look-alike letters read as their symbol."""
    folded = SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "").upper())
    # Again: uppercasing and removing separators can leave a letter and a
    # combining mark side by side, which must compose as they will next time.
    folded = unicodedata.normalize("NFKC", folded)
    return "".join(LOOK_ALIKES.get(c, c) for c in folded)


def check(text: str) -> CodeCheck:
    """Whether `text` has the shape of a verification code."""
    compact = normalize(text)
    wrong = sorted({c for c in compact if c not in _VALUES})
    if wrong:
        shown = " ".join(f"« {c} »" for c in wrong)
        return CodeCheck(
            MALFORMED,
            compact,
            f"Caractère non autorisé dans un code de vérification : {shown}. "
            "Un code ne contient que des chiffres et des lettres.",
        )
    if len(compact) != LENGTH:
        return CodeCheck(
            MALFORMED,
            compact,
            f"Un code de vérification comporte {LENGTH} caractères ({len(compact)} saisis), "
            "par exemple 7KQ2H-XD94M-RC0W7.",
        )
    code = format_code(compact)
    if _weighted_sum(compact) % BASE:
        return CodeCheck(
            MISTYPED,
            code,
            "Ce code comporte une erreur de saisie : vérifiez chaque caractère.",
        )
    return CodeCheck(VALID_FORMAT, code, "Le code est bien formé.")
