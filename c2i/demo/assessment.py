"""Demonstration data of the knowledge test: the validated question banks of
C2i1 and C2i2ms (imported from `questions/*.gift` through the importer
itself), a few questions waiting for review, and an exam open now for the
C2i1 session of institution A, which candidat-a1 can sit, in the room
« Salle B204 » with candidat-a2 (its invigilator's code and password below)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from c2i.accounts.models import User
from c2i.assessment import services
from c2i.assessment.interchange import import_questions
from c2i.assessment.models import Exam, QuestionStatus, ReviewVerdict
from c2i.assessment.services.questions import QuestionDraft
from c2i.demo.enrolment import INSTITUTIONS
from c2i.enrolment.models import InstitutionSession
from c2i.frameworks.models import Competency, Framework
from c2i.lib.errors import DomainError

BANKS = Path(__file__).resolve().parent / "questions"

# Questions a correspondent wrote, waiting for the reviewers (relecteur).
PENDING = [
    (
        "D1.2",
        "Quelle est la principale utilité d'un gestionnaire de mots de passe ?",
        [
            ("Retenir des mots de passe différents et robustes pour chaque service", True),
            ("Partager ses mots de passe avec ses amis", False),
            ("Remplacer l'antivirus", False),
            ("Accélérer la connexion à internet", False),
        ],
    ),
    (
        "D4.2",
        "Quels indices doivent faire douter d'une information qui circule sur les réseaux sociaux ?",
        [
            ("Aucune source n'est citée", True),
            ("Le titre cherche surtout à provoquer l'indignation", True),
            ("Elle est reprise par plusieurs médias reconnus qui citent leurs sources", False),
            ("Son auteur est identifiable et spécialiste du sujet", False),
        ],
    ),
    (
        "D5.2",
        "Dans un espace de cours en ligne, où poser une question utile à tout le groupe ?",
        [
            ("Dans le forum du cours", True),
            ("Par courriel personnel à l'enseignant", False),
            ("Sur un réseau social public", False),
            ("Dans le nom d'un fichier déposé", False),
        ],
    ),
]

REFUSED = (
    "D3.4",
    "Dans un tableur, que fait la fonction SOMME ?",
    [
        ("Elle additionne", True),
        ("Elle multiplie", False),
        ("Elle trie", False),
        ("Elle filtre", False),
    ],
    "Trop facile et sans contexte : proposez une situation (une plage de cellules, un résultat attendu).",
)


def _options(pairs: list[tuple[str, bool]]) -> list[services.OptionInput]:
    from c2i.assessment.text import plain_to_fragment

    fractions = services.fractions_for([correct for _, correct in pairs])
    return [services.OptionInput(plain_to_fragment(text), f) for (text, _), f in zip(pairs, fractions, strict=True)]


def load_assessment_demo(today: dt.date | None = None) -> None:
    admin = User.objects.get(username="admin")
    for code in ("C2i1", "C2i2ms"):
        report = import_questions(
            Framework.objects.get(code=code),
            (BANKS / f"{code}.gift").read_bytes(),
            "gift",
            admin,
            status=QuestionStatus.VALIDATED,
        )
        if report.rejected or not report.imported:  # pragma: no cover - the files are part of the code
            raise DomainError("demo_bank", f"{code}: {report.as_dict()}")
    c2i1 = Framework.objects.get(code="C2i1")
    competencies = {c.code: c for c in Competency.objects.filter(domain__framework=c2i1)}
    author = User.objects.get(username="correspondant-a")
    for code, stem, pairs in PENDING:
        question = services.create_question(author, c2i1, QuestionDraft(competencies[code], stem, _options(pairs)))
        services.submit_for_review(question, author)
    code, stem, pairs, remark = REFUSED
    question = services.create_question(author, c2i1, QuestionDraft(competencies[code], stem, _options(pairs)))
    services.submit_for_review(question, author)
    services.review_question(question, User.objects.get(username="relecteur"), ReviewVerdict.REFUSE, remark)
    _demo_room(_demo_exam(author), author)


# The invigilator's demo room (issue 13): its code and password are printed by
# `print_demo_accounts` and listed in the README.
ROOM_NAME = "Salle B204"
ROOM_CODE = "B204SURV"
ROOM_PASSWORD = "surveillance-b204"  # noqa: S105 - the demo's published password


def _demo_room(exam: Exam, author: User) -> None:
    """Salle B204, with candidat-a1 and candidat-a2 seated. The demo lets
    its candidates start without being let in (`admission_required` off):
    the demo exam is sat by many tests and pages as it is; the rooms page
    switches it on."""
    from c2i.assessment.services import invigilation
    from c2i.enrolment.models import Enrolment, EnrolmentStatus

    room = invigilation.create_room(exam, author, ROOM_NAME, capacity=40, admission_required=False, code=ROOM_CODE)
    invigilation.set_password(room, author, ROOM_PASSWORD)
    for username in ("candidat-a1", "candidat-a2"):
        enrolment = Enrolment.objects.get(
            candidate__user__username=username,
            institution_session=exam.institution_session,
            status=EnrolmentStatus.ACTIVE,
        )
        invigilation.seat_candidate(room, enrolment, author)


def _demo_exam(author: User) -> Exam:
    """The C2i1 test of institution A, open now (within the session's test window)."""
    uai = next(i.uai for i in INSTITUTIONS if i.key == "a")
    institution_session = InstitutionSession.objects.select_related("session__framework").get(
        institution__uai=uai, session__framework__code="C2i1"
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return services.create_exam(
        author,
        institution_session,
        services.default_domains(institution_session.session.framework),
        title="Contrôle de connaissances C2i1",
        per_domain=12,
        duration_minutes=60,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        access_code="",
        allowed_networks="",
    )
