"""Hostile input at scale (issue 10): thousands of generated files through each
parser the platform exposes to uploads — GIFT, Moodle XML, the candidate
CSV/XLSX reader and parser, the jury grid, the portfolio's file detection.

Each parser must answer every input: accepted data, or its own refusal
(`Rejected`, `DomainError`, `Refused`) carrying a French message that says
where (line, column, question, file) — never an unhandled exception.
The runs are derandomised (same inputs on every run, CI included) and have
no deadline; the figures go to docs/reliability.md.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from c2i.assessment import interchange
from c2i.assessment.formats import model
from c2i.assessment.formats.gift import dump_gift, parse_gift
from c2i.assessment.formats.moodle_xml import dump_moodle_xml, parse_moodle_xml
from c2i.deliberation import grid
from c2i.deliberation.rules import DomainSpec, Policy
from c2i.enrolment import importing
from c2i.lib import tabular
from c2i.lib.errors import DomainError
from c2i.portfolio import filetypes, services

# openpyxl leaves a half-open archive behind when it refuses a damaged
# workbook; its collection is noise here.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

PURE = settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
HEAVY = settings(PURE, max_examples=300)  # XLSX workbooks: openpyxl writes then reads each one

# Words that only an English sentence holds: a French message, once the values
# it quotes (« … », <…>, "…") are set aside, holds none of them.
ENGLISH = re.compile(
    r"\b(the|is|are|not|this|with|without|please|holds|line|column|file|characters|must|should|missing|unknown"
    r"|value|found|expected|invalid|error)\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"«[^»]*»|<[^>]*>|\"[^\"]*\"|\([^)]*\)")


def assert_french(message: str) -> None:
    assert message.strip(), "empty message"
    assert not ENGLISH.search(QUOTED.sub(" ", message)), message


HOSTILE_CHARS = ["\u202e", "\u2066", "\x00", "\x1b", "\ufeff", "\ud800", "\ufffe", "\u200d", "\r", "\x0c", "é", "😀"]
# Characters of every kind a hostile file may hold: printable ASCII (the
# formats' syntax), controls, invisible and bidirectional marks, combining
# marks, right-to-left and CJK letters, astral emoji, surrogates, noncharacters.
CHARACTERS = [chr(c) for c in range(0x20, 0x7F)] + [
    *HOSTILE_CHARS,
    *"\n\t\x7f\x85\xa0\xad\u0301\u05d0\u0627\u4e2d\u2028\u200b\u200e\ufdd0\uffff\udfff\U0010fffd",
]
# Characters any format carries as text: letters, spaces, invisible and
# right-to-left marks, combining accents, emoji.
TEXT_CHARACTERS = [*"abcXYZ é", "\u202e", "\u2066", "\u200d", "\u0301", "\u05d0", "\U0001f600"]


def token_text(tokens: list[str], *, max_size: int = 24, characters: list[str] | None = None) -> st.SearchStrategy[str]:
    """Texts of up to `max_size` pieces, each a token of the format or any
    character of CHARACTERS. Drawn as one byte string mapped through a table:
    generating the data is most of the time these tests take, and one draw per
    text keeps it cheap (Hypothesis still shrinks the bytes)."""
    if characters is not None:  # a gentler text: the tokens and these characters only
        table = [*tokens, *characters]
    else:
        table = [*tokens, *CHARACTERS]
        table += [chr(0x100 + 7919 * i % 0xD000) for i in range(max(0, 256 - len(table)))]
    return st.binary(max_size=max_size).map(lambda data: "".join(table[b % len(table)] for b in data))


# --- GIFT -----------------------------------------------------------------------

GIFT_TOKENS = [
    "::",
    "::Q1::",
    "{",
    "}",
    "~",
    "=",
    "#",
    "####",
    "%50%",
    "%-50%",
    "%33.33333%",
    "%100%",
    "%abc%",
    "\\",
    "\\n",
    "\\{",
    "\\:",
    "\\d",
    "[html]",
    "[markdown]",
    "[plain]",
    "[moodle]",
    "$CATEGORY: $course$/top/C2i1/D1/D1.2",
    "// [id:x1]",
    "// [tag:competence:D1.1]",
    "TRUE",
    "F",
    "->",
    "\n",
    "\n\n",
    " ",
    "\t",
    "<b>gras</b>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&#1;",
    "Quelle réponse ?",
    "=Oui ~Non ~Peut-être ~Jamais",
    *HOSTILE_CHARS,
]
STEM_TOKENS = ["Quelle réponse ?", "::Q1::", "[html]<b>Q</b> ", "[markdown]**Q** ", "\\{", "\\:", "\\n", "\n"]
STEM_TOKENS += ["$CATEGORY: $course$/top/C2i1/D1/D1.2\n\n", "// [id:x1]\n", "// [tag:competence:D1.1]\n"]
ANSWER_TOKENS = [" =Oui", " ~Non", " ~Autre", " ~%50%A", " ~%50%B", " ~%-100%C", " ~%33.33333%D", " ~%33%E"]
ANSWER_TOKENS += ["#bien", "####général", " =", " ~", "\n", "TRUE", "F", "#", "\\#", "[html]<i>x</i>", "\\"]
GIFT_QUESTION = st.tuples(
    st.one_of(
        token_text(STEM_TOKENS, max_size=4, characters=TEXT_CHARACTERS).map(lambda t: t + " Quelle réponse ? "),
        token_text(GIFT_TOKENS, max_size=8),
    ),
    st.one_of(
        token_text(ANSWER_TOKENS, max_size=8, characters=TEXT_CHARACTERS).map(lambda a: " =Oui ~Non ~Autre" + a),
        token_text(ANSWER_TOKENS, max_size=12, characters=TEXT_CHARACTERS),
        token_text(ANSWER_TOKENS),
    ),
).map(lambda q: q[0] + "{" + q[1] + "}")
GIFT_FILES = st.lists(st.one_of(GIFT_QUESTION, GIFT_QUESTION, token_text(GIFT_TOKENS)), max_size=5).map("\n\n".join)


def check_parse_result(result: model.ParseResult, where: re.Pattern[str]) -> None:
    # What the inputs reached (shown by --hypothesis-show-statistics).
    event(f"questions accepted: {min(len(result.questions), 2)}")
    event(f"refusals: {min(len(result.rejected), 2)}")
    for rejected in result.rejected:
        assert where.fullmatch(rejected.where), rejected.where
        assert_french(rejected.reason)
    for q in result.questions:
        assert model.check_question(q) is None, q
        assert where.fullmatch(q.where), q.where


GIFT_WHERE = re.compile(r"fichier|ligne \d+")


@PURE
@given(GIFT_FILES)
def test_gift_answers_every_text_with_questions_or_located_french_reasons(text: str) -> None:
    result = parse_gift(text)
    check_parse_result(result, GIFT_WHERE)
    lines = text.count("\n") + text.count("\r") + 1
    assert all(int(r.where.split()[1]) <= lines for r in result.rejected if r.where != "fichier")
    # What was accepted can be written back and read again, unchanged.
    again = parse_gift(dump_gift(result.questions))
    assert not again.rejected
    assert [(q.name, q.stem, q.options, q.single) for q in again.questions] == [
        (q.name, q.stem, q.options, q.single) for q in result.questions
    ]


@settings(PURE, max_examples=300)  # the decoding step only: the parser is above
@given(st.one_of(GIFT_FILES.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200)))
def test_the_question_import_reads_any_bytes_as_gift(data: bytes) -> None:
    with translation.override("fr"):
        result = interchange.parse(data, "gift")
    check_parse_result(result, GIFT_WHERE)


# --- Moodle XML -------------------------------------------------------------------

QUESTION_TYPES = ["multichoice", "multichoice", "truefalse", "category", "essay", "matching", "", "x\u202e"]
# Pieces of a <question>: whole elements (so that many files are well formed
# and reach the checks), loose tags and texts (so that others are not).
XML_TOKENS = [
    '<answer fraction="100"><text>Oui</text></answer>',
    '<answer fraction="0"><text>Non</text></answer>',
    '<answer fraction="50" format="html"><text>&lt;b&gt;A&lt;/b&gt;</text><feedback><text>f</text></feedback></answer>',
    '<answer fraction="-50"><text>B</text></answer>',
    '<answer fraction="33"><text>C</text></answer>',
    '<answer fraction="abc"><text>D</text></answer>',
    '<answer fraction="1e400"><text>E</text></answer>',
    '<answer fraction="100"><text>true</text></answer>',
    '<answer fraction="0"><text>false</text></answer>',
    "<answer><text></text></answer>",
    '<questiontext format="html"><text>Quelle réponse ?</text></questiontext>',
    '<questiontext format="plain_text"><text>',
    '<questiontext format="markdown"><text>**A**</text></questiontext>',
    "<questiontext><text></text></questiontext>",
    "<name><text>Q</text></name>",
    "<name><text>",
    "</text>",
    "</name>",
    "</questiontext>",
    "<single>false</single>",
    "<single>peut-être</single>",
    "<generalfeedback><text>g</text></generalfeedback>",
    "<category><text>$course$/top/C2i1/D1/D1.2</text></category>",
    "<tags><tag><text>competence:D1.1</text></tag><tag>",
    "</tag></tags>",
    "<idnumber>x1</idnumber>",
    '<file name="a.png" encoding="base64">AA==</file>',
    "<![CDATA[<b>x</b>]]>",
    "<!-- c -->",
    "&amp;",
    "&#1;",
    "&#x202E;",
    "&#xD800;",
    "&nbsp;",
    "&unknown;",
    '<x a="1" a="2"/>',
    "<a:b/>",
    "<",
    ">",
]
XML_WELL_FORMED = [t for t in XML_TOKENS if t.startswith("<") and t.count("<") == 2 * t.count("</")]
XML_WELL_FORMED += ["&amp;", "&lt;b&gt;", "&#x202E;"]
XML_QUESTION = st.tuples(
    st.sampled_from(QUESTION_TYPES),
    st.one_of(
        token_text(XML_WELL_FORMED, max_size=8, characters=TEXT_CHARACTERS).map(
            lambda t: f"<questiontext><text>Q ?</text></questiontext>{XML_TOKENS[0]}{XML_TOKENS[1]}{t}"
        ),
        token_text(XML_WELL_FORMED, max_size=10, characters=TEXT_CHARACTERS),
    ),
).map(lambda q: f'<question type="{q[0]}">{q[1]}</question>')
XML_HOSTILE_QUESTION = st.tuples(st.sampled_from(QUESTION_TYPES), token_text(XML_TOKENS, max_size=16)).map(
    lambda q: f'<question type="{q[0]}">{q[1]}</question>'
)
XML_PROLOGUES = [
    "",
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n',
    '<?xml version="1.0" encoding="UTF-16"?>\n',
    '<?xml version="1.0" encoding="x-unknown"?>\n',
    '<!DOCTYPE quiz [<!ENTITY a "aaaa">]>\n',
    '<!DOCTYPE quiz SYSTEM "file:///etc/passwd">\n',
    "\ufeff",
]


@st.composite
def moodle_files(draw: Any) -> bytes:
    odd = draw(st.integers(0, 3)) == 0  # one file in four is hostile: any piece, prologue, root, encoding
    body = "".join(draw(st.lists(st.one_of(XML_QUESTION, XML_HOSTILE_QUESTION) if odd else XML_QUESTION, max_size=4)))
    root = draw(st.sampled_from(["quiz", "QUIZ", "x"])) if odd else "quiz"
    prologue = draw(st.sampled_from(XML_PROLOGUES)) if odd else XML_PROLOGUES[1]
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])) if odd else "utf-8"
    data = f"{prologue}<{root}>{body}</{root}>".encode(encoding, errors="replace")
    cut = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(0, len(data))))
    if cut is not None:  # a truncated or corrupted file
        data = data[:cut] + draw(st.binary(max_size=8))
    return data


XML_WHERE = re.compile(r'fichier|question n° \d+ \(<question type="[^"]*"> ligne \d+\)', re.DOTALL)


@PURE
@given(st.one_of(moodle_files(), st.binary(max_size=300)))
def test_moodle_xml_answers_every_file_with_questions_or_located_french_reasons(data: bytes) -> None:
    result = parse_moodle_xml(data)
    check_parse_result(result, XML_WHERE)
    for rejected in result.rejected:
        if rejected.reason.startswith("XML mal formé"):
            assert re.search(r"ligne \d+, colonne \d+", rejected.reason), rejected.reason
    again = parse_moodle_xml(dump_moodle_xml(result.questions))
    assert not again.rejected
    assert [(q.name, q.stem, q.options, q.single, q.tags) for q in again.questions] == [
        (q.name, q.stem, q.options, q.single, q.tags) for q in result.questions
    ]


# --- portfolio files ----------------------------------------------------------------

MAGIC = [
    b"",
    b"%PDF-1.7\n",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x7fELF",
    b"MZ",
    b"#!/bin/sh\n",
    b"<html>",
    b"<svg ",
    b"\xef\xbb\xbf<!doctype html>",
    b"\xef\xbb\xbf",
]
FILE_NAMES = st.one_of(
    st.sampled_from(
        [
            "rapport.pdf",
            "photo.png",
            "a.jpg",
            "notes.txt",
            "script.py",
            "archive.zip",
            "doc.docx",
            "doc.odt",
            "page.html",
            "x.exe",
            "../../etc/passwd",
            "a\\b.pdf",
            ".",
            "..",
            "",
            " ",
            "rapport v1.2",
            "\u202etxt.exe",
            "a\x00.pdf",
            "é" * 300 + ".pdf",
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def zip_files(draw: Any) -> bytes:
    out = io.BytesIO()
    members = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "mimetype",
                        "[Content_Types].xml",
                        "word/document.xml",
                        "xl/workbook.xml",
                        "ppt/presentation.xml",
                        "word/vbaProject.bin",
                        "content.xml",
                        "../evil.txt",
                        "a/",
                    ]
                ),
                st.one_of(
                    st.sampled_from(
                        [
                            b"application/vnd.oasis.opendocument.text",
                            b"application/vnd.oasis.opendocument.graphics",
                            b"<Types/>",
                        ]
                    ),
                    st.binary(max_size=200),
                ),
                st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]),
            ),
            max_size=4,
        )
    )
    with zipfile.ZipFile(out, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate member names are wanted here
        for name, content, method in members:
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=method)
    data = out.getvalue()
    if draw(st.booleans()):  # flip bytes in the archive
        for position, value in draw(st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(0, 255)))):
            if data:
                data = data[:position] + bytes([value]) + data[position + 1 :]
    return data


FILE_BYTES = st.one_of(
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=300)).map(lambda t: t[0] + t[1]),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    zip_files(),
)


@PURE
@given(FILE_BYTES, FILE_NAMES)
def test_an_upload_is_accepted_or_refused_in_french_naming_the_file(data: bytes, name: str) -> None:
    try:
        assert filetypes.detect(data, name) in filetypes.ALL
    except filetypes.Refused as refusal:
        assert refusal.code in services.FILE_REFUSALS
    with translation.override("fr"):
        try:
            checked = services.check_upload(services.Upload.from_bytes(name, data))
        except services.FileRefused as refusal:
            event(f"refused: {refusal.code}")
            shown = filetypes.sanitise_name(name) if name else "—"
            assert refusal.message.startswith(f"« {shown} » est refusé"), refusal.message
            return
    event(f"accepted: {checked.filetype.key}")
    assert checked.filetype in filetypes.ALL
    assert filetypes.check_name(checked.name) == checked.name  # the stored name is a harmless one


# --- candidate tables (CSV, XLSX) -----------------------------------------------------

CELL_TOKENS = [
    ";",
    ",",
    "\t",
    '"',
    '""',
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "=1+1",
    "Océane",
    "12/03/2003",
    "2003-03-12",
    "31/02/2001",
    "a@b.fr",
    "pas-un-email",
    "1234567890V",
    "etudiant",
    "formation_continue",
    "oui",
    "non",
    *HOSTILE_CHARS,
]
CELL = token_text(CELL_TOKENS, max_size=4)
CANDIDATE_HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
# A header: the expected one, or columns in any order, unknown or missing.
HEADER_TOKENS = [*CANDIDATE_HEADER.split(";"), "Prénom", "x", ";", ";", ";"]
# The lines: whole good lines among any cells, separators and line breaks.
LINE_TOKENS = [
    "\nLambert;Océane;12/03/2003;Annecy;oceane.lambert@example.fr;;etudiant;non",
    "\nN'Diaye;Moussa;2002-11-30;Dakar;m.n@example.fr;1234567890V;étudiant;oui",
    "\n",
    ";",
    ";",
    *CELL_TOKENS,
]


@st.composite
def csv_files(draw: Any) -> bytes:
    odd = draw(st.integers(0, 3)) == 0  # one file in four has an odd header, separator or encoding
    header = draw(token_text(HEADER_TOKENS, max_size=12)) if odd else CANDIDATE_HEADER
    lines = st.one_of(token_text(LINE_TOKENS, max_size=12, characters=[]), token_text(LINE_TOKENS, max_size=80))
    text = header + "\n" + draw(lines)
    separator = draw(st.sampled_from([";", ",", "\t"])) if odd else ";"
    encoding = draw(st.sampled_from(["utf-8-sig", "cp1252", "utf-16"])) if odd else "utf-8"
    return text.replace(";", separator).encode(encoding, errors="replace")


XLSX_VALUES = st.one_of(
    CELL, st.integers(-(10**20), 10**20), st.floats(allow_nan=True), st.dates(), st.booleans(), st.none()
)


@st.composite
def xlsx_files(draw: Any) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in draw(st.lists(st.lists(XLSX_VALUES, max_size=9), max_size=6)):
        # What a spreadsheet can hold: no control character, no lone surrogate.
        sheet.append([model.INVALID_CHARS.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_table_refusal(error: DomainError) -> None:
    assert_french(error.message)
    if error.code == "bad_csv":
        assert re.match(r"Ligne \d+ :", error.message), error.message


LINE_ERROR = re.compile(r"Ligne \d+( \(en-tête\))?(, colonne « [^»]*»)? ?:")


def check_candidate_import(data: bytes, filename: str) -> None:
    with translation.override("fr"):
        try:
            rows = list(tabular.read_rows(data, filename))
            assert all(line >= 1 and all(isinstance(c, str) for c in cells) for line, cells in rows)
            report = importing.parse_file(data, filename)
        except DomainError as error:
            event(f"file refused: {error.code}")
            check_table_refusal(error)
            assert error.code in {
                "empty_file",
                "no_rows",
                "file_too_large",
                "bad_xlsx",
                "bad_csv",
                "bad_encoding",
                "bad_header",
            }
            if error.code == "bad_header":
                assert LINE_ERROR.match(error.message), error.message
            return
        event(f"valid lines: {min(len(report.valid_rows), 2)}, wrong lines: {min(report.wrong_lines, 2)}")
        for problem in report.errors:
            text = str(problem)
            assert LINE_ERROR.match(text), text
            assert_french(problem.message)
    for row in report.valid_rows:
        for name in ("last_name", "first_names", "birth_place"):
            assert model_free_of_controls(row[name]), row[name]


def model_free_of_controls(value: str) -> bool:
    from c2i.lib.text import find_invisible_character

    return find_invisible_character(value) is None


@PURE
@given(
    st.one_of(csv_files(), csv_files(), st.binary(max_size=300)),
    st.sampled_from(["liste.csv", "liste.csv", "liste.txt", "liste.xlsx"]),
)
def test_the_candidate_import_answers_every_csv_with_rows_or_located_french_reasons(data: bytes, filename: str) -> None:
    check_candidate_import(data, filename)


@HEAVY
@given(xlsx_files())
def test_the_candidate_import_answers_every_xlsx_with_rows_or_located_french_reasons(data: bytes) -> None:
    check_candidate_import(data, "liste.xlsx")


# --- the jury grid --------------------------------------------------------------------

POLICY = Policy(
    framework="C2i1",
    kind="all_competencies",
    domains=(
        DomainSpec("D1", ("D1.1", "D1.2"), test_required=True),
        DomainSpec("D2", ("D2.1",), test_required=False),
    ),
)
GRID_HEADER_TOKENS = ["candidate;", "Candidate;", "nom;", "D1.1;", "D1.2;", "D2.1;", "D9.9;", "QCM:D1;", "qcm:D9;"]
GRID_HEADER_TOKENS += ["acquis:D2;", ";"]
GRID_CELL_TOKENS = ["V;", "NV;", "v;", ";", "50;", "50,5;", "101;", "-1;", "1;", "0;", "x;", "12345678901;"]
GRID_CELL_TOKENS += ["a@b.fr;", "%;", "nan;", "\n", "\n", *CELL_TOKENS]


@st.composite
def grid_files(draw: Any) -> bytes:
    header = draw(st.one_of(st.just("candidate;nom;D1.1;D1.2;D2.1;QCM:D1"), token_text(GRID_HEADER_TOKENS, max_size=8)))
    cells = st.one_of(token_text(GRID_CELL_TOKENS[:18], max_size=30, characters=[]), token_text(GRID_CELL_TOKENS))
    text = header + "\n" + draw(cells)
    if draw(st.booleans()):
        text = text.replace(";", ",")
    return text.encode(draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])), errors="replace")


# Refusals of the whole file (its place is the file itself).
GRID_FILE_LEVEL = ("Le fichier", "La grille est vide.")
GRID_WHERE = re.compile(r"Ligne \d+")


@PURE
@given(st.one_of(grid_files(), st.binary(max_size=200)), st.sampled_from(["grille.csv", "grille.xlsx"]))
def test_the_jury_grid_answers_every_file_with_rows_or_located_french_reasons(data: bytes, filename: str) -> None:
    with translation.override("fr"):
        try:
            rows = grid.read_grid(data, filename, POLICY)
        except grid.GridError as error:
            event(f"grid refused: {min(len(error.errors), 2)} reasons")
            for message in error.errors:
                assert GRID_WHERE.match(message) or message.startswith(GRID_FILE_LEVEL), message
                assert_french(message)
            return
        except DomainError as error:  # pragma: no cover - read_grid wraps them
            pytest.fail(f"unwrapped refusal: {error.message}")
    event(f"grid read: {min(len(rows), 2)} lines")
    assert all(row.candidate for row in rows)


# --- what the fuzzing found, kept as examples -------------------------------------------


def test_a_lone_surrogate_does_not_stop_the_gift_parser() -> None:
    result = parse_gift("\ud800Quelle réponse ?{=Oui ~Non}")
    assert [q.stem for q in result.questions] == ["Quelle réponse ?"]


def test_an_expat_message_is_said_in_french() -> None:
    result = parse_moodle_xml(b"<quiz>&#1;</quiz>")
    assert result.rejected[0].reason == (
        "XML mal formé, ligne 1, colonne 7 : référence à un numéro de caractère interdit en XML (&#…;)"
    )


def test_an_unknown_encoding_is_said_in_french() -> None:
    result = parse_moodle_xml(b'<?xml version="1.0" encoding="x-unknown"?><quiz/>')
    assert "encodage déclaré ligne 1 est inconnu" in result.rejected[0].reason


def test_a_zip_asking_for_an_unknown_version_is_refused_as_damaged() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", b"x")
    data = bytearray(out.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    with pytest.raises(filetypes.Refused) as refusal:
        filetypes.detect(bytes(data), "a.zip")
    assert refusal.value.code == "corrupt_zip"


def test_the_header_gives_the_separator_of_a_candidate_file() -> None:
    data = ("nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier\nLambert;Océane\n").encode()
    with translation.override("fr"):
        report = importing.parse_file(data, "liste.csv")
    assert {(e.line, e.column) for e in report.errors} >= {(2, "date_naissance"), (2, "email")}


def test_a_candidate_file_in_utf16_is_read() -> None:
    text = "nom\tprenoms\tdate_naissance\tlieu_naissance\temail\tine\tstatut\tcursus_particulier\n"
    text += "Lambert\tOcéane\t12/03/2003\tAnnecy\toceane.lambert@example.fr\t\tetudiant\tnon\n"
    report = importing.parse_file(text.encode("utf-16"), "liste.txt")
    assert not report.errors and report.valid_rows[0]["first_names"] == "Océane"


def test_a_jury_grid_in_utf16_is_read() -> None:
    rows = grid.read_grid("candidate;D1.1;D1.2;D2.1\nx@example.fr;V;NV;\n".encode("utf-16"), "grille.csv", POLICY)
    assert [(r.candidate, r.cells["D1.2"][0]) for r in rows] == [("x@example.fr", "NV")]
