"""Dates written in French words, as documents and e-mails print them. Pure:
no Django import (the PDF and badge builders use it too).

« 1er juin 2026 » (the first of a month is an ordinal in French),
« 14 juillet 2011 »; times « 9 h 05 » (the French typographic rule, not « 09:05 »).
"""

from __future__ import annotations

import datetime as dt

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(d: dt.date) -> str:
    """« 1er juin 2026 », « 14 juillet 2011 »."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


def french_time(t: dt.datetime | dt.time) -> str:
    """« 9 h 05 », « 14 h 00 »."""
    return f"{t.hour} h {t.minute:02d}"
