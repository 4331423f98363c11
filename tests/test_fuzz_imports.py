"""Hostile input at scale through the imports that store (issue 10): the
candidate import, the question-bank import, the jury grid import and the
portfolio upload, each fed hundreds of generated files by its service.

Each file is accepted (what it stores is what the report counts) or refused
with the service's own error (`DomainError` and its kinds) or report, every
refusal saying where — line, column, question or file — in French; never an
unhandled exception. Each example runs in a savepoint rolled back at its end,
so that examples do not see each other's rows. Derandomised, no deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from c2i.assessment import interchange
from c2i.assessment.models import Question
from c2i.deliberation import services as deliberation
from c2i.enrolment import importing
from c2i.enrolment.models import EnrolmentStatus
from c2i.frameworks.models import Framework
from c2i.lib.errors import DomainError
from c2i.portfolio import services as portfolio
from tests.deliberation_support import codes, submit_all
from tests.portfolio_support import LINK, new_item, odt_bytes, pdf_bytes, png_bytes, portfolio_of
from tests.portfolio_support import codes as competencies
from tests.test_fuzz_parsers import (
    ANSWER_TOKENS,
    FILE_BYTES,
    FILE_NAMES,
    GIFT_FILES,
    GIFT_WHERE,
    LINE_ERROR,
    TEXT_CHARACTERS,
    XML_WHERE,
    assert_french,
    csv_files,
    moodle_files,
    token_text,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

STORED = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # every example is rolled back (see `rolled_back`)
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- candidates -------------------------------------------------------------------------


CANDIDATE_HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
GOOD_NAMES = st.sampled_from(["Lambert", "N'Diaye", "Le  Gall", "Zoe\u0301", "Marie-Hélène", "Nguyễn"])
NAME = st.one_of(
    GOOD_NAMES,
    GOOD_NAMES,
    GOOD_NAMES,
    st.sampled_from(["Ali\u202eecnarF", "A" * 151, "", " ", "a\u2066b\u2069", "\u200b", "x\ny"]),
    token_text([], max_size=8, characters=[*TEXT_CHARACTERS, "\x00", "\u200b", "-", "'"]),
)
CANDIDATE_LINE = st.builds(
    lambda last, first, n, status: f"{last};{first};12/03/2003;Annecy;c{n}@etu.example.fr;;{status};non",
    NAME,
    NAME,
    st.integers(0, 5),
    st.sampled_from(["etudiant", "formation_continue", "stagiaire"]),
)
CANDIDATE_FILES = st.lists(CANDIDATE_LINE, min_size=1, max_size=4).map(
    lambda lines: "\n".join([CANDIDATE_HEADER, *lines]).encode()
)


@STORED
@given(
    st.one_of(CANDIDATE_FILES, CANDIDATE_FILES, csv_files(), st.binary(max_size=200)),
    st.sampled_from(["liste.csv", "liste.csv", "liste.csv", "liste.xlsx"]),
)
def test_the_candidate_import_stores_what_it_reports_or_says_where_it_refuses(demo, data: bytes, filename: str) -> None:
    institution_session = demo.institution_session("a")
    actor = demo.user("correspondant-a")
    with translation.override("fr"), rolled_back():
        try:
            report = importing.import_candidates(institution_session, data, filename, actor)
        except DomainError as error:
            event(f"file refused: {error.code}")
            assert_french(error.message)
            return
        event(f"imported: {report.imported}, invited: {min(report.invited, 2)}")
        for problem in report.errors:
            assert LINE_ERROR.match(str(problem)), str(problem)
            assert_french(problem.message)
        assert report.imported == (not report.errors)
        if report.imported:
            assert report.invited + report.already == len(report.valid_rows)


# --- questions ----------------------------------------------------------------------------

# Files aimed at the bank's own checks (R18: 4 or 5 options, a competency of the
# framework), so that many questions are stored and others refused late.
BANK_QUESTION = st.tuples(
    st.sampled_from(["C2i1/D1/D1.2", "C2i1/D1/D1.2", "C2i1/D1/D1.2", "C2i1/D9/D9.9", "C2i2ms/D1/D1.1", "Autre", ""]),
    st.one_of(st.just(""), token_text(ANSWER_TOKENS, max_size=4, characters=TEXT_CHARACTERS)),
).map(lambda q: f"$CATEGORY: $course$/top/{q[0]}\n\n::Q::Quelle réponse ?{{=Oui ~Non ~Autre ~Encore{q[1]}}}")
BANK_FILES = st.one_of(
    st.lists(BANK_QUESTION, min_size=1, max_size=3).map("\n\n".join).map(lambda t: (t.encode(), "gift")),
    GIFT_FILES.map(lambda t: (t.encode("utf-8", "surrogatepass"), "gift")),
    moodle_files().map(lambda data: (data, "moodlexml")),
)
QUESTION_WHERE = re.compile(f"{GIFT_WHERE.pattern}|{XML_WHERE.pattern}")


@STORED
@given(BANK_FILES, st.booleans())
def test_the_question_import_stores_what_it_reports_or_says_where_it_refuses(
    demo, file: tuple[bytes, str], partial: bool
) -> None:
    data, fmt = file
    framework = Framework.objects.get(code="C2i1")
    with translation.override("fr"), rolled_back():
        before = Question.objects.count()
        try:
            report = interchange.import_questions(framework, data, fmt, demo.user("admin"), partial=partial)
        except DomainError as error:
            event(f"refused: {error.code}")
            assert_french(error.message)
            return
        event(f"stored: {min(report.imported, 2)}, refused: {min(len(report.rejected), 2)}")
        for rejected in report.rejected:
            assert QUESTION_WHERE.fullmatch(rejected.where), rejected.where
            assert_french(rejected.reason)
        assert Question.objects.count() - before == report.imported
        if report.rejected and not partial:
            assert report.imported == 0


# --- the jury grid ----------------------------------------------------------------------------


@st.composite
def jury_grids(draw: Any, identifiers: list[str], competency_codes: list[str]) -> bytes:
    """A grid of this session: its candidates and competencies, and values,
    identifiers and columns that are not."""
    odd = draw(st.integers(0, 2)) == 0  # one grid in three has odd columns and identifiers
    columns = draw(
        st.lists(st.sampled_from([*competency_codes[:6], "D9.9", "nom", "QCM:D1", "acquis:D2", ""]), max_size=5)
        if odd
        else st.lists(st.sampled_from(competency_codes[:6]), max_size=4, unique=True)
    )
    header = ["candidate", *columns]
    lines = [";".join(header)]
    for _ in range(draw(st.integers(0, 3))):
        who = draw(st.sampled_from([*identifiers, "inconnu@example.fr", "", "12345678901"] if odd else identifiers))
        values = ["V", "NV", "", "v", "x", "50", "1", "\u202e"] if odd else ["V", "NV", ""]
        cells = [draw(st.sampled_from(values)) for _ in columns]
        lines.append(";".join([who, *cells]))
    tail = draw(token_text(["\n", ";", "V", "NV"], max_size=6)) if odd else "\n"
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])) if odd else "utf-8"
    return ("\n".join(lines) + tail).encode(encoding, "replace")


GRID_WHERE = re.compile(r"Ligne \d+")


@pytest.fixture
def jury_session(demo):
    from tests.deliberation_support import publish_session_tests

    institution_session = demo.institution_session("a")
    publish_session_tests(institution_session, 75.0)
    enrolments = list(institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related("candidate"))
    submit_all(enrolments[0])  # one candidate's cells can be recorded (R10 holds)
    identifiers = [e.candidate.ine or e.candidate.email for e in enrolments]
    return institution_session, identifiers


@STORED
@given(st.data())
def test_the_grid_import_records_or_says_where_it_refuses(demo, jury_session, data: st.DataObject) -> None:
    institution_session, identifiers = jury_session
    grid_bytes = data.draw(st.one_of(jury_grids(identifiers, codes("C2i1")), st.binary(max_size=200)))
    with translation.override("fr"), rolled_back():
        try:
            recorded = deliberation.import_grid(institution_session, grid_bytes, "grille.csv", demo.user("jury-a"))
        except DomainError as error:
            event(f"refused: {error.code}")
            for message in error.message.split("\n"):
                assert GRID_WHERE.match(message) or message.startswith(("Le fichier", "La grille est vide")), message
                assert_french(message)
            return
        event(f"recorded: {min(recorded, 2)}")
        assert recorded >= 0


# --- portfolio uploads ------------------------------------------------------------------------


@pytest.fixture
def evidence(demo):
    return new_item(portfolio_of(demo), title="Veille", competencies=competencies("D4.1"), link=LINK)


GOOD_FILES = st.sampled_from(
    [
        ("rapport.pdf", pdf_bytes()),
        ("graphique.png", png_bytes()),
        ("notes.txt", b"Notes de lecture.\n"),
        ("texte.odt", odt_bytes()),
        ("sans extension", pdf_bytes()),
    ]
)


@STORED
@given(st.lists(st.one_of(GOOD_FILES, st.tuples(FILE_NAMES, FILE_BYTES)), min_size=1, max_size=3))
def test_an_upload_is_stored_or_refused_naming_the_file(demo, evidence, files: list[tuple[str, bytes]]) -> None:
    uploads = [portfolio.Upload.from_bytes(name, data) for name, data in files]
    with translation.override("fr"), rolled_back():
        try:
            stored = portfolio.add_files(evidence, uploads, evidence.portfolio.candidate.user)
        except portfolio.FileRefused as refusal:
            event(f"refused: {refusal.code}")
            assert re.match(r"« .* » est refusé : ", refusal.message, re.DOTALL), refusal.message
            assert_french(refusal.message)
            return
        except DomainError as error:
            event(f"refused: {error.code}")
            assert_french(error.message)
            return
        event(f"stored: {len(stored)}")
        assert [f.original_name for f in stored] == [f.original_name for f in evidence.files.order_by("pk")][
            -len(stored) :
        ]
