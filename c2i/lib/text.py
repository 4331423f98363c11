"""Limits and character rules for every text a person types or imports.

Two kinds of text, two rules:

- **names** (people, sessions, titles: one line, printed on certificates and
  exports) refuse every invisible character: controls (U+0000–U+001F,
  U+007F–U+009F), format characters (Unicode category Cf: the bidirectional
  overrides and isolates U+202A–U+202E, U+2066–U+2069, the marks U+200E,
  U+200F, U+061C, zero-width characters, soft hyphens), surrogates, private
  use and unassigned code points, line and paragraph separators. A name is
  short and typed by hand: the person is told which character, where, and
  can retype it. A silent removal would instead change a name printed on a
  certificate without anyone seeing it.
- **free texts** (reflections, comments, reasons: several lines, pasted from
  word processors that leave invisible marks) keep tabs and line breaks; the
  other controls, the bidirectional embeddings, overrides and isolates, the
  byte-order mark and lone surrogates are *removed* (`clean_free_text`).
  Refusing them would stop a candidate with a message about a character they
  cannot see in a text they pasted; removing them leaves every visible
  character in place, while the reading order can no longer be reversed on
  a staff page or in an export ("Trojan Source", CVE-2021-42574). Joiners
  (U+200C, U+200D) stay: emoji sequences and several scripts need them.

Limits: `NAME_MAX_LENGTH` for names, `LINE_MAX_LENGTH` for the other
single-line inputs, `TEXT_MAX_LENGTH` for multi-line texts. Forms get them by
default from `c2i.lib.forms`; imports and the API apply them with the same
functions and constants.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

NAME_MAX_LENGTH = 150  # as Django's user first and last names
LINE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit, as Django's model EmailField
URL_MAX_LENGTH = 2_000
PASSWORD_MAX_LENGTH = 4_096  # long passphrases welcome; megabytes are not

# Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069), marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_KEPT_IN_FREE_TEXT = frozenset("\t\n\r")
_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _is_removed_from_free_text(ch: str) -> bool:
    if ch in _KEPT_IN_FREE_TEXT:
        return False
    if ch in BIDI_CONTROLS or ch == "\ufeff":
        return True
    return unicodedata.category(ch) in {"Cc", "Cs"}


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".strip()


def find_invisible_character(value: str) -> tuple[int, str] | None:
    """The first character a name may not hold, with its position (from 1)."""
    for position, ch in enumerate(value, start=1):
        if unicodedata.category(ch) in _REFUSED_IN_NAMES:
            return position, ch
    return None


def reject_control_characters(value: str, field: str | None = None) -> None:
    """Refuse a name or a single-line text holding an invisible character.

    Usable as a Django validator (one argument); `field` names the field in
    the message when the caller knows it (imports, the API, `c2i.lib.forms`).
    """
    found = find_invisible_character(value or "")
    if found is None:
        return
    position, ch = found
    params = {"field": field or "", "character": _describe(ch), "position": position}
    if field:
        message = _(
            "The field “%(field)s” holds an invisible control character (%(character)s) "
            "at position %(position)s: please retype it without this character."
        )
    else:
        message = _(
            "This text holds an invisible control character (%(character)s) "
            "at position %(position)s: please retype it without this character."
        )
    raise ValidationError(message, code="control_character", params=params)


def reject_too_long(value: str, max_length: int, field: str | None = None) -> None:
    if len(value or "") <= max_length:
        return
    params = {"field": field or "", "limit": max_length, "length": len(value)}
    if field:
        message = _("The field “%(field)s” holds %(length)s characters; at most %(limit)s are accepted.")
    else:
        message = _("This text holds %(length)s characters; at most %(limit)s are accepted.")
    raise ValidationError(message, code="too_long", params=params)


_SPACES = re.compile(r"\s+")


def clean_name(value: str, field: str | None = None, max_length: int = NAME_MAX_LENGTH) -> str:
    """A name as it is stored: refused if it holds an invisible character or
    is too long; otherwise in Unicode composed form (NFC), spaces collapsed."""
    reject_control_characters(value or "", field)
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", value or "")).strip()
    reject_too_long(name, max_length, field)
    return name


def strip_invisible_controls(value: str) -> str:
    """Remove the controls a free text may not keep (see the module docstring)."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(ch for ch in value if not _is_removed_from_free_text(ch))


def clean_free_text(value: str, field: str | None = None, max_length: int = TEXT_MAX_LENGTH) -> str:
    """A multi-line text as it is stored: controls removed, length checked."""
    text = strip_invisible_controls(value or "")
    reject_too_long(text, max_length, field)
    return text
