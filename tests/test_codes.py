"""Verification codes of certificates and attestations (RULES.md R15)."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2i.lib import codes
from c2i.lib.codes import (
    ALPHABET,
    BASE,
    ENTROPY_BITS,
    LENGTH,
    LOOK_ALIKES,
    RANDOM_LENGTH,
    CodeCheck,
    check,
    check_symbol,
    format_code,
    new_code,
    normalize,
)

SETTINGS = settings(max_examples=200, deadline=None)
SHAPE = re.compile(rf"[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}")
# Fixed bodies (a seeded generator, not new_code()): parametrised ids must be
# the same in every pytest-xdist worker.
_SEEDED = random.Random(29)
SAMPLE = [
    body + check_symbol(body)
    for body in ("".join(_SEEDED.choice(ALPHABET) for _ in range(RANDOM_LENGTH)) for _ in range(40))
] + [
    "0" * LENGTH,
    "00000000000000" + check_symbol("0" * RANDOM_LENGTH),
    "YYYYYYYYYYYYYY" + check_symbol("Y" * RANDOM_LENGTH),
    "7KQ2HXD94MRC0W7",
]
compact_codes = st.text(alphabet=ALPHABET, min_size=RANDOM_LENGTH, max_size=RANDOM_LENGTH).map(
    lambda body: body + check_symbol(body)
)


def is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


class TestAlphabet:
    def test_it_has_a_prime_size(self) -> None:
        assert BASE == len(ALPHABET) == len(set(ALPHABET)) == 29
        assert is_prime(BASE)

    def test_it_holds_no_look_alike_pair(self) -> None:
        for pair in ["0O", "1I", "1L", "IL", "2Z", "5S", "8B", "UV"]:
            assert not set(pair) <= set(ALPHABET), pair
        assert set(LOOK_ALIKES).isdisjoint(ALPHABET)
        assert set(LOOK_ALIKES.values()) <= set(ALPHABET)

    def test_it_has_at_least_60_bits_of_entropy(self) -> None:
        bits = RANDOM_LENGTH * math.log2(len(ALPHABET))
        assert bits >= 60
        assert bits == ENTROPY_BITS
        assert round(bits, 1) == 68.0


class TestNewCode:
    def test_it_is_grouped_for_reading(self) -> None:
        code = new_code()
        assert SHAPE.fullmatch(code), code
        assert len(normalize(code)) == LENGTH == 15

    def test_it_passes_its_own_check(self) -> None:
        for _ in range(200):
            code = new_code()
            assert check(code) == CodeCheck("valid_format", code, "Le code est bien formé.")

    def test_it_does_not_repeat(self) -> None:
        assert len({new_code() for _ in range(2000)}) == 2000

    def test_it_draws_from_the_secrets_module(self, monkeypatch: pytest.MonkeyPatch) -> None:
        picks = iter(ALPHABET)
        monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: next(picks))
        body = ALPHABET[:RANDOM_LENGTH]
        assert new_code() == format_code(body + check_symbol(body))

    def test_it_uses_every_symbol(self) -> None:
        seen = set("".join(normalize(new_code())[:RANDOM_LENGTH] for _ in range(300)))
        assert seen == set(ALPHABET)


class TestCheckSymbol:
    def test_the_weights_detect_every_error_by_construction(self) -> None:
        """i·(a − b) and (i − j)·(a − b) are never 0 modulo the prime 29 for
        weights 1 … 15 and distinct symbol values."""
        weights = range(1, LENGTH + 1)
        diffs = range(1, BASE)
        assert all((w * d) % BASE for w in weights for d in diffs)
        assert all(((wi - wj) * d) % BASE for wi in weights for wj in weights if wi != wj for d in diffs)

    @pytest.mark.parametrize("code", SAMPLE)
    def test_every_single_substitution_is_detected(self, code: str) -> None:
        assert check(code).status == "valid_format"
        for i in range(LENGTH):
            for symbol in ALPHABET:
                if symbol != code[i]:
                    typo = code[:i] + symbol + code[i + 1 :]
                    assert check(typo).status == "mistyped", typo

    @pytest.mark.parametrize("code", SAMPLE)
    def test_every_adjacent_transposition_is_detected(self, code: str) -> None:
        for i in range(LENGTH - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert check(swapped).status == "mistyped", swapped

    @pytest.mark.parametrize("code", SAMPLE[:10])
    def test_every_transposition_is_detected(self, code: str) -> None:
        for i in range(LENGTH):
            for j in range(i + 1, LENGTH):
                if code[i] != code[j]:
                    chars = list(code)
                    chars[i], chars[j] = chars[j], chars[i]
                    assert check("".join(chars)).status == "mistyped"

    @SETTINGS
    @given(compact_codes, st.integers(0, LENGTH - 1), st.sampled_from(ALPHABET))
    def test_random_substitutions_are_detected(self, code: str, i: int, symbol: str) -> None:
        typo = code[:i] + symbol + code[i + 1 :]
        assert check(typo).status == ("valid_format" if symbol == code[i] else "mistyped")

    def test_it_refuses_a_bad_body(self) -> None:
        with pytest.raises(ValueError):
            check_symbol("ABC")
        with pytest.raises(ValueError):
            check_symbol("O" * RANDOM_LENGTH)


class TestNormalize:
    @SETTINGS
    @given(compact_codes)
    def test_it_round_trips_the_printed_form(self, compact: str) -> None:
        printed = format_code(compact)
        assert normalize(printed) == compact
        assert format_code(normalize(printed)) == printed
        assert normalize(normalize(printed)) == compact
        assert check(printed).code == printed

    @SETTINGS
    @given(compact_codes, st.data())
    def test_it_reads_what_a_person_types(self, compact: str, data) -> None:
        typed = ""
        for i, symbol in enumerate(compact):
            if i and i % data.draw(st.sampled_from([3, 4, 5, 7])) == 0:
                typed += data.draw(st.sampled_from([" ", "-", "  ", " - ", "–", "\u00a0", "."]))
            look_alikes = [k for k, v in LOOK_ALIKES.items() if v == symbol]
            typed += data.draw(
                st.sampled_from([symbol, symbol.lower(), *look_alikes, *(k.lower() for k in look_alikes)])
            )
        assert normalize(typed) == compact
        assert check(typed).status == "valid_format"

    @SETTINGS
    @given(st.text(max_size=40))
    def test_it_is_idempotent(self, text: str) -> None:
        assert normalize(normalize(text)) == normalize(text)

    @pytest.mark.parametrize(
        ("typed", "compact"),
        [
            ("7kq2h-xd94m-rc0w7", "7KQ2HXD94MRC0W7"),
            (" 7KQ2H XD94M RC0W7 ", "7KQ2HXD94MRC0W7"),
            ("7KQzH-XD94M-RCOW7", "7KQ2HXD94MRC0W7"),
            ("ILZSBOU", "112580V"),
            ("７ＫＱ２Ｈ", "7KQ2H"),  # full-width characters
            ("", ""),
        ],
    )
    def test_it_normalizes(self, typed: str, compact: str) -> None:
        assert normalize(typed) == compact


class TestCheck:
    def test_it_accepts_a_code_typed_with_look_alikes(self) -> None:
        result = check("7kq2h xd94m rcow7")
        assert result == CodeCheck("valid_format", "7KQ2H-XD94M-RC0W7", "Le code est bien formé.")
        assert result.ok

    def test_it_says_a_code_is_mistyped(self) -> None:
        result = check("7KQ2H-XD94M-RC0W8")
        assert result.status == "mistyped"
        assert not result.ok
        assert result.code == "7KQ2H-XD94M-RC0W8"
        assert result.message == "Ce code comporte une erreur de saisie : vérifiez chaque caractère."

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("7KQ2H-XD94M-RC0W", "Un code de vérification comporte 15 caractères (14 saisis)"),
            ("7KQ2H-XD94M-RC0W77", "Un code de vérification comporte 15 caractères (16 saisis)"),
            ("", "Un code de vérification comporte 15 caractères (0 saisis)"),
            ("7KQ2H-XD94M-RC0W#", "Caractère non autorisé dans un code de vérification : « # »"),
            ("7KQ2H-XD94M-RÉ0W7", "Caractère non autorisé dans un code de vérification : « É »"),
            ("7KQ2H+XD94M*RC0W7", "« * » « + »"),
        ],
    )
    def test_it_says_a_text_is_malformed(self, typed: str, message: str) -> None:
        result = check(typed)
        assert result.status == "malformed"
        assert message in result.message

    @SETTINGS
    @given(st.text(max_size=30))
    def test_it_classifies_any_text(self, text: str) -> None:
        result = check(text)
        assert result.status in {"valid_format", "mistyped", "malformed"}
        assert result.message
        if result.status != "malformed":
            assert SHAPE.fullmatch(result.code)
