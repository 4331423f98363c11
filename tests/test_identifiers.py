import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2i.lib.identifiers import (
    UAI_ALPHABET,
    IdentifierError,
    identity_key,
    uai_check_letter,
    validate_ine,
    validate_uai,
)


class TestUai:
    @pytest.mark.parametrize("uai", ["0692437Z", "0755890V", "0673021V", " 0333298f "])
    def test_it_accepts_real_uai(self, uai: str) -> None:
        assert validate_uai(uai) == uai.strip().upper()

    @pytest.mark.parametrize(
        ("uai", "code"),
        [
            ("0692437A", "uai_check"),
            ("069243Z", "uai_format"),
            ("06924370", "uai_format"),
            ("", "uai_format"),
            ("0692437I", "uai_check"),
        ],
    )
    def test_it_refuses_wrong_uai(self, uai: str, code: str) -> None:
        with pytest.raises(IdentifierError) as error:
            validate_uai(uai)
        assert error.value.code == code
        assert "UAI" in error.value.message

    def test_it_names_the_expected_letter(self) -> None:
        with pytest.raises(IdentifierError, match="attendue « Z »"):
            validate_uai("0692437Y")

    @given(st.integers(min_value=0, max_value=9_999_999))
    def test_it_accepts_every_number_with_its_letter(self, n: int) -> None:
        digits = f"{n:07d}"
        assert validate_uai(digits + uai_check_letter(digits)) == digits + uai_check_letter(digits)

    @given(st.integers(min_value=0, max_value=9_999_999), st.sampled_from(UAI_ALPHABET))
    def test_it_refuses_every_other_letter(self, n: int, letter: str) -> None:
        digits = f"{n:07d}"
        if letter != uai_check_letter(digits):
            with pytest.raises(IdentifierError):
                validate_uai(digits + letter)


class TestIne:
    @pytest.mark.parametrize(
        ("ine", "kind"),
        [
            ("1234567890V", "bea"),
            ("0DDG5R00015", "base36"),
            ("123456789AB", "rnie"),
            ("2019A12345B", "sifa"),
            ("2019D12345B", "provisional"),
            ("1234 5678 90v", "bea"),
        ],
    )
    def test_it_accepts_each_kind(self, ine: str, kind: str) -> None:
        assert validate_ine(ine).kind == kind

    @pytest.mark.parametrize(
        ("ine", "code"),
        [
            ("1234567890A", "ine_check"),
            ("0DDG5R00016", "ine_check"),
            ("1111111111A", "ine_repeated"),
            ("ABCDEFGHIJ1", "ine_format"),
            ("12345", "ine_format"),
            ("123456789IO", "ine_format"),
        ],
    )
    def test_it_refuses_wrong_ine(self, ine: str, code: str) -> None:
        with pytest.raises(IdentifierError) as error:
            validate_ine(ine)
        assert error.value.code == code

    @given(st.integers(min_value=0, max_value=9_999_999_999), st.integers(min_value=0, max_value=9))
    def test_it_catches_any_changed_digit_of_a_bea_ine(self, n: int, position: int) -> None:
        digits = f"{n:010d}"
        if len(set(digits)) == 1:
            return
        ine = digits + UAI_ALPHABET[int(digits) % 23]
        assert validate_ine(ine).check_verified
        changed = digits[:position] + str((int(digits[position]) + 1) % 10) + digits[position + 1 :] + ine[10]
        if len(set(changed[:10])) > 1:
            with pytest.raises(IdentifierError):
                validate_ine(changed)


class TestIdentity:
    def test_it_folds_case_accents_and_hyphens(self) -> None:
        born = dt.date(2001, 5, 4)
        assert identity_key(None, "LE-GALL", "Zoé  Anne", born) == identity_key(None, "le gall", "zoe anne", born)
        assert identity_key(None, "D'Almeida", "Ines", born) == identity_key(None, "D Almeida", "Inès", born)

    def test_it_prefers_the_ine(self) -> None:
        assert identity_key("1234567890v", "X", "Y", dt.date(2000, 1, 1)) == "ine:1234567890V"

    def test_it_separates_birth_dates(self) -> None:
        assert identity_key(None, "Martin", "Léa", dt.date(2000, 1, 1)) != identity_key(
            None, "Martin", "Léa", dt.date(2000, 1, 2)
        )
