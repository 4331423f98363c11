"""Common model of the question-bank interchange formats (GIFT, Moodle XML). Pure: no Django import.

Only two kinds of question are imported: ``multichoice`` (one or several correct
options) and ``truefalse``. Every other kind is rejected with a French reason
naming its type; the parsers never raise on bad input.

Texts:

- ``stem`` is sanitised HTML (nh3, see ``sanitize_html``) when ``stem_format`` is
  ``"html"`` or ``"moodle"`` (Moodle's auto-format, HTML with line breaks), and
  the text as given (trimmed) when it is ``"plain"`` or ``"markdown"``: whoever
  renders it must escape it (plain) or render then sanitise it (markdown).
- option texts, option feedback and general feedback are always sanitised HTML
  fragments: a ``[plain]``/``[markdown]`` option is HTML-escaped.
- names are plain text (escape them on display); when a file gives none, the
  importer derives one from the stem, as Moodle does.
- lengths are limited (``check_lengths``: name 255 characters, stem 20,000,
  option 5,000, feedback 10,000, as stored); both parsers reject a longer
  question with its position.

Fractions are Moodle grades in percent (-100 … 100), restricted to Moodle's
allowed values (``ALLOWED_FRACTIONS`` and their negatives); a value within
0.006 of one of them (e.g. 33.33 for 33.33333) is accepted and replaced by it.
An option is correct when its fraction is positive. ``single`` mirrors
Moodle's flag (radio buttons, at least one option at 100 %); when it is false
the positive fractions must add up to 100 % (Moodle's rule, to ±0.5 %).
True/false questions have two options, « Vrai » then « Faux », one at 100, the
other at 0; the feedback of each option is the one shown to a candidate who
chose it.

Competency of a question (``competency_code``):

1. the first tag of the form ``competence:<code>`` (also ``compétence:`` or
   ``competency:``; prefix case-insensitive), giving ``<code>`` trimmed and
   upper-cased, e.g. tag ``competence:d1.2`` → ``"D1.2"``;
2. otherwise the last segment of the category path when it looks like a
   competency code: one letter, an optional dot, digits, then ``.`` or ``-``
   and digits (``D1.2``, ``A2.3``, ``B1.1``, ``A1-4``, ``A.1-1``),
   case-insensitive and returned upper-cased, e.g. category ``C2i1/D1/D1.2`` → ``"D1.2"``;
3. otherwise ``None``.

Categories: Moodle's context prefix (``$course$/``, ``$system$/``,
``$module$/``, ``$cat$/``, ``$coursecategory$/``) and the root segment ``top``
are stripped, so ``$course$/top/C2i1/D1`` gives ``C2i1/D1``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

KINDS = ("multichoice", "truefalse")
STEM_FORMATS = ("html", "moodle", "plain", "markdown")
TRUE_LABEL = "Vrai"
FALSE_LABEL = "Faux"

# What PHP's trim() removes: Moodle trims texts with it. Python's str.strip()
# would also remove non-breaking and other Unicode spaces.
WS = " \t\n\r\x00\x0b"

# Moodle's question_bank::fraction_options_full(), in percent.
ALLOWED_FRACTIONS = (
    100.0,
    90.0,
    83.33333,
    80.0,
    75.0,
    70.0,
    66.66667,
    60.0,
    50.0,
    40.0,
    33.33333,
    30.0,
    25.0,
    20.0,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10.0,
    5.0,
    0.0,
)
FRACTION_TOLERANCE = 0.006  # two-decimal rounding (33.33, 14.29) is accepted
SUM_TOLERANCE = 0.5  # Moodle: round(sum of positive fractions, 2) == 1

# French names of the question types that are not imported, by Moodle type name.
UNSUPPORTED_TYPE_LABELS = {
    "essay": "rédaction (essay)",
    "shortanswer": "réponse courte (short answer)",
    "numerical": "numérique (numerical)",
    "match": "appariement (matching)",
    "matching": "appariement (matching)",
    "description": "description (texte sans réponse)",
    "missingword": "mot manquant (missing word)",
    "multianswer": "réponses intégrées (cloze / multianswer)",
    "cloze": "réponses intégrées (cloze / multianswer)",
    "calculated": "calculée (calculated)",
    "calculatedsimple": "calculée simple (calculatedsimple)",
    "calculatedmulti": "calculée à choix multiple (calculatedmulti)",
    "randomsamatch": "appariement aléatoire (randomsamatch)",
    "random": "question aléatoire (random)",
    "ddwtos": "glisser-déposer sur texte (ddwtos)",
    "ddimageortext": "glisser-déposer sur image (ddimageortext)",
    "ddmarker": "glisser-déposer de marqueurs (ddmarker)",
    "gapselect": "sélection de mots manquants (gapselect)",
    "ordering": "mise en ordre (ordering)",
}


def unsupported_type_reason(qtype: str) -> str:
    label = UNSUPPORTED_TYPE_LABELS.get(qtype, f"« {qtype} »")
    return f"type de question non pris en charge : {label}"


@dataclass
class OptionData:
    text: str  # sanitised HTML fragment
    fraction: float  # Moodle percent, -100 … 100; correct when > 0
    feedback: str = ""  # sanitised HTML fragment


@dataclass
class QuestionData:
    kind: str  # "multichoice" | "truefalse"
    name: str
    stem: str
    stem_format: str  # "html" | "moodle" | "plain" | "markdown"
    options: list[OptionData]
    single: bool
    general_feedback: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    where: str = ""
    # The question's one image (Moodle XML only: ``<file>`` in the question
    # text, or the legacy ``<image_base64>``): its bytes as found, not yet
    # checked (type and size are the bank's checks), and its name in the file.
    image: bytes | None = None
    image_name: str = field(default="", compare=False)
    # What the file says about the question that the bank does not keep
    # (French, one item each: « indices non repris (2) »): reported, never dropped silently.
    not_kept: list[str] = field(default_factory=list, compare=False)

    @property
    def correct(self) -> frozenset[int]:
        return frozenset(i for i, option in enumerate(self.options) if option.fraction > 0)


@dataclass
class Rejected:
    where: str
    reason: str  # French


@dataclass
class ParseResult:
    questions: list[QuestionData]
    rejected: list[Rejected]


# --- competency -----------------------------------------------------------------

_COMPETENCY_PREFIXES = ("competence", "compétence", "competency")
_COMPETENCY_CODE = re.compile(r"^[A-Za-z]\.?\d+[.-]\d+$")


def is_competency_tag(tag: str) -> bool:
    """Whether a tag names the question's competency (``competence:D1.2``)."""
    prefix, colon, value = tag.partition(":")
    return bool(colon and prefix.strip().casefold() in _COMPETENCY_PREFIXES and value.strip())


def competency_code(q: QuestionData) -> str | None:
    """The competency a question assesses (rule in the module docstring)."""
    for tag in q.tags:
        prefix, colon, value = tag.partition(":")
        if colon and prefix.strip().casefold() in _COMPETENCY_PREFIXES and value.strip():
            return value.strip().upper()
    segments = [s.strip() for s in q.category.split("/") if s.strip()]
    if segments and _COMPETENCY_CODE.match(segments[-1]):
        return segments[-1].upper()
    return None


# --- categories -----------------------------------------------------------------

_CONTEXT_PREFIX = re.compile(r"^\$(?:course|system|module|cat|coursecategory)\$(?:/|$)")


def normalise_category(raw: str) -> str:
    """A Moodle category path without its context prefix and ``top`` root."""
    path = raw.strip(WS)
    path = _CONTEXT_PREFIX.sub("", path)
    if path == "top" or path.startswith("top/"):
        path = path[3:]
    return path.strip("/").strip(WS)


def moodle_category(path: str) -> str:
    """The Moodle form of a category path, for export."""
    return "$course$/top/" + path if path else "$course$/top"


# --- fractions ------------------------------------------------------------------


def normalise_fraction(value: float) -> float | None:
    """The allowed Moodle fraction nearest to ``value``, or None when none is close enough."""
    sign = -1.0 if value < 0 else 1.0
    for allowed in ALLOWED_FRACTIONS:
        if abs(abs(value) - allowed) <= FRACTION_TOLERANCE:
            return sign * allowed if allowed else 0.0
    return None


def format_fraction(value: float) -> str:
    """Moodle's way of writing a fraction: ``100``, ``-50``, ``33.33333``."""
    if value == int(value):
        return str(int(value))
    return f"{value:.5f}".rstrip("0").rstrip(".")


def format_percent_fr(value: float) -> str:
    return format_fraction(value).replace(".", ",") + " %"


ALLOWED_FRACTIONS_TEXT = ", ".join(format_fraction(f).replace(".", ",") for f in ALLOWED_FRACTIONS)


def invalid_fraction_reason(position: int, raw: str) -> str:
    return (
        f"réponse n° {position} : note « {raw} % » invalide ; Moodle n'accepte que "
        f"{ALLOWED_FRACTIONS_TEXT} (et leurs opposés)"
    )


# --- validation -----------------------------------------------------------------


def check_choices(kind: str, options: list[OptionData], single: bool) -> str | None:
    """Why a set of options is not a valid question of this kind, or None."""
    if kind == "truefalse":
        fractions = sorted(o.fraction for o in options)
        if len(options) != 2 or fractions != [0.0, 100.0]:
            return "vrai/faux : il faut deux réponses, l'une à 100 %, l'autre à 0 %"
        return None
    if kind != "multichoice":
        return unsupported_type_reason(kind)
    if len(options) < 2:
        return f"choix multiple : au moins 2 réponses sont nécessaires ({len(options)} trouvée(s))"
    for position, option in enumerate(options, start=1):
        if not option.text:
            return f"réponse n° {position} vide"
        if normalise_fraction(option.fraction) != option.fraction:
            return invalid_fraction_reason(position, format_fraction(option.fraction))
    positive = [o.fraction for o in options if o.fraction > 0]
    if not positive:
        return "aucune réponse correcte (il faut au moins une réponse « = » ou de poids positif)"
    if single:
        if max(positive) != 100.0:
            return "choix unique : aucune réponse ne vaut 100 %"
    else:
        total = sum(positive)
        if abs(total - 100.0) >= SUM_TOLERANCE:
            return (
                f"réponses multiples : les poids positifs totalisent {format_percent_fr(round(total, 5))} "
                "au lieu de 100 %"
            )
    return None


# Limits of an imported question's texts, counted as stored (sanitised HTML or
# plain text): a file may not bring megabytes into the bank, whose pages and
# exports show them. The bank's own form takes 5,000 characters for a stem
# typed in; a Moodle stem carries its HTML formatting, hence more.
MAX_NAME_CHARS = 255  # Moodle's own limit
MAX_STEM_CHARS = 20_000
MAX_OPTION_CHARS = 5_000
MAX_FEEDBACK_CHARS = 10_000


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _too_long(what: str, text: str, limit: int) -> str | None:
    if len(text) <= limit:
        return None
    return f"{what} : {_count(len(text))} caractères, {_count(limit)} au plus"


def check_lengths(q: QuestionData) -> str | None:
    """Why a parsed question's texts are too long to be imported, or None."""
    checks = [
        ("nom trop long", q.name, MAX_NAME_CHARS),
        ("énoncé trop long", q.stem, MAX_STEM_CHARS),
        ("feedback général trop long", q.general_feedback, MAX_FEEDBACK_CHARS),
    ]
    for position, option in enumerate(q.options, start=1):
        checks += [
            (f"réponse n° {position} trop longue", option.text, MAX_OPTION_CHARS),
            (f"feedback de la réponse n° {position} trop long", option.feedback, MAX_FEEDBACK_CHARS),
        ]
    return next((problem for what, text, limit in checks if (problem := _too_long(what, text, limit))), None)


def check_question(q: QuestionData) -> str | None:
    """Why a question cannot be exported faithfully, or None."""
    if q.kind not in KINDS:
        return unsupported_type_reason(q.kind)
    if q.stem_format not in STEM_FORMATS:
        return f"format d'énoncé inconnu « {q.stem_format} »"
    if not q.stem.strip(WS):
        return "énoncé vide"
    if q.kind == "truefalse" and not q.single:
        return "vrai/faux : une seule réponse correcte"
    return check_choices(q.kind, q.options, q.single)


# --- HTML -----------------------------------------------------------------------

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir", "title", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "vertical-align",
}
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=ALLOWED_STYLE_PROPERTIES,
    strip_comments=True,
)


# Characters neither XML 1.0 nor HTML can carry (controls, non-characters,
# lone surrogates): removed from every stored text, so that a question reads
# the same on the page and after an export.
INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def sanitize_html(fragment: str) -> str:
    """Basic formatting, links and images kept; scripts, styles sheets, event
    handlers and ``javascript:``/``data:`` URLs removed; characters a page
    cannot carry removed, also those a numeric reference (``&#1;``) spells
    (before cleaning too: the cleaner cannot read a lone surrogate)."""
    return INVALID_CHARS.sub("", _CLEANER.clean(INVALID_CHARS.sub("", fragment))).strip(WS)


class _ImageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.extend(value.strip() for name, value in attrs if name == "src" and value)


def external_images(fragment: str) -> list[str]:
    """The addresses of the images of a sanitised HTML fragment that another
    site would serve: absolute (``https://…``) or scheme-relative (``//host/…``).
    A page showing them has each reader's browser call that site (tracking);
    relative addresses (``@@PLUGINFILE@@/a.png``, ``/…``) and ``data:`` URIs
    are the platform's own."""
    parser = _ImageSources()
    parser.feed(fragment)
    parser.close()
    found = []
    for source in parser.sources:
        # as a browser reads it: tabs and newlines dropped, backslashes as slashes
        parts = urlsplit(re.sub(r"[\t\n\r]", "", source).replace("\\", "/"))
        if parts.netloc or (parts.scheme and parts.scheme.lower() != "data"):
            found.append(source)
    return found


def to_html(text: str, text_format: str) -> str:
    """An option or feedback text as a sanitised HTML fragment."""
    if text_format in ("html", "moodle"):
        return sanitize_html(text)
    return sanitize_html(html.escape(text.strip(WS), quote=False))


def stem_text(text: str, text_format: str) -> str:
    """A stem as stored: sanitised HTML, or plain/markdown text as given."""
    if text_format in ("html", "moodle"):
        return sanitize_html(text)
    return INVALID_CHARS.sub("", text).strip(WS)


_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)


def plain_text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def default_name(stem: str, stem_format: str, limit: int = 80) -> str:
    """A question name derived from its stem, as Moodle does when a file gives none."""
    text = plain_text(stem) if stem_format in ("html", "moodle") else " ".join(stem.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "Question sans nom"
