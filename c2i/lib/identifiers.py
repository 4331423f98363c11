"""National identifiers: UAI (institutions) and INE (students), and the
candidate identity key used by R5. Pure: no Django import.

Accepted INE formats (11 characters, spaces ignored, case-insensitive):

- INE-RNIE: 9 digits + 2 letters among A–H, J, K — format only (no public algorithm);
- INE-BEA: 10 digits + check letter = ABCDEFGHJKLMNPRSTUVWXYZ[number mod 23];
- INE-Base 36: 10 base-36 characters + check digit = last digit of
  (6 × sum of the base-36 values of characters 1–9 + value of character 10);
- INE-SIFA (apprentices): 4 digits, "A", 5 digits, letter — format only;
- provisional INE: 4 digits, "D", 5 digits, letter — format only.

Ten identical digits and bodies made only of letters are refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

UAI_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q: 23 letters


class IdentifierError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_uai(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def uai_check_letter(digits7: str) -> str:
    return UAI_ALPHABET[int(digits7) % 23]


def validate_uai(value: str) -> str:
    uai = normalize_uai(value)
    if not re.fullmatch(r"\d{7}[A-Z]", uai):
        raise IdentifierError(
            "uai_format",
            "L'UAI doit comporter 7 chiffres suivis d'une lettre de contrôle (ex. 0692437Z).",
        )
    expected = uai_check_letter(uai[:7])
    if uai[7] != expected:
        raise IdentifierError(
            "uai_check",
            f"Lettre de contrôle de l'UAI incorrecte : attendue « {expected} » pour {uai[:7]}.",
        )
    return uai


@dataclass(frozen=True, slots=True)
class IneResult:
    value: str
    kind: str
    check_verified: bool


RNIE = re.compile(r"[0-9]{9}[A-HJK]{2}")
BEA = re.compile(r"[0-9]{10}[A-HJ-NPR-Z]")
BASE36 = re.compile(r"[0-9A-Z]{10}[0-9]")
SIFA = re.compile(r"[0-9]{4}A[0-9]{5}[A-HJ-NPR-Z]")
PROVISIONAL = re.compile(r"[0-9]{4}D[0-9]{5}[A-HJ-NPR-Z]")


def base36_check_digit(body: str) -> str:
    values = [int(c, 36) for c in body]
    return str((6 * sum(values[:9]) + values[9]) % 10)


def validate_ine(value: str) -> IneResult:
    ine = re.sub(r"[\s-]+", "", value or "").upper()
    if len(ine) != 11:
        raise IdentifierError("ine_format", f"L'INE doit comporter 11 caractères ({len(ine)} saisis).")
    if re.fullmatch(r"(\d)\1{9}.", ine):
        raise IdentifierError("ine_repeated", "L'INE ne peut pas être fait de dix chiffres identiques.")
    if re.fullmatch(r"[A-Z]{10}.", ine):
        raise IdentifierError("ine_format", "L'INE ne peut pas être fait uniquement de lettres.")
    # Order matters: the most specific patterns first; BEA and Base 36 differ
    # by their last character (letter vs digit), so at most one check applies.
    if SIFA.fullmatch(ine):
        return IneResult(ine, "sifa", False)
    if PROVISIONAL.fullmatch(ine):
        return IneResult(ine, "provisional", False)
    if RNIE.fullmatch(ine):
        return IneResult(ine, "rnie", False)
    if BEA.fullmatch(ine):
        expected = UAI_ALPHABET[int(ine[:10]) % 23]
        if ine[10] != expected:
            raise IdentifierError("ine_check", f"Caractère de contrôle de l'INE incorrect : attendu « {expected} ».")
        return IneResult(ine, "bea", True)
    if BASE36.fullmatch(ine):
        expected = base36_check_digit(ine[:10])
        if ine[10] != expected:
            raise IdentifierError("ine_check", f"Caractère de contrôle de l'INE incorrect : attendu « {expected} ».")
        return IneResult(ine, "base36", True)
    raise IdentifierError(
        "ine_format",
        "Format d'INE non reconnu : 11 caractères, par exemple 1234567890V ou 0DDG5R00015.",
    )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[-'’`´.,]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize_identity(last_name: str, first_names: str, birth_date: dt.date) -> str:
    """R5 identity without an INE: names folded (case, accents, hyphens,
    apostrophes, spaces) and the ISO birth date."""
    return f"{_fold(last_name)}|{_fold(first_names)}|{birth_date.isoformat()}"


def identity_key(ine: str | None, last_name: str, first_names: str, birth_date: dt.date) -> str:
    """R5: the INE when there is one, else the normalised name and birth date."""
    if ine:
        return f"ine:{ine.strip().upper()}"
    return f"id:{normalize_identity(last_name, first_names, birth_date)}"
