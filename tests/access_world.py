"""The world the access matrix runs in (tests/test_access_matrix.py): the demo
data, plus what a hostile probe did to it, built once per run of the matrix.

Objects come in pairs, "A" (institution A, candidat-a1) and "B" (institution
B, candidat-b1): for correspondant-a, A is its own and B foreign; for
candidat-a1, A is its own and for candidat-a2 it is foreign (same institution,
another person's); and so on. The hostile steps are those of issue 10:

- correspondant-b imports into B's C2i1 session a line with only candidat-a1's
  e-mail (made-up name, a formula as birth place), one with only candidat-a2's
  INE, and one with the national administrator's e-mail (findings 1, 2, 3);
- correspondant-a tries to seat candidat-a1 on A's C2i1 jury, and where the
  platform refuses, the seat is written as if it predated the enrolment
  (finding 4): candidat-a1 holds a void seat in the jury that judges them;
- "tuteur-candidat-a", an assessor of A who is also a candidate at A, with a
  portfolio of their own (finding 4, assessors);
- candidat-a2's first names and birth place look like formulas (finding 3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

ANON = "anonymous"
ADMIN = "admin"
CA = "correspondant-a"
CB = "correspondant-b"
TA = "tuteur-a"
JA = "jury-a"
REV = "relecteur"
A1 = "candidat-a1"
A2 = "candidat-a2"
B1 = "candidat-b1"
ROLES: tuple[str, ...] = (ANON, ADMIN, CA, CB, TA, JA, REV, A1, A2, B1)
# An assessor of A who is a candidate at A too (finding 4); used by the explicit cases only.
TUTOR_CANDIDATE = "tuteur-candidat-a"

IMPORTED_A1 = ("Inventé", "Zorglub")  # the name correspondant-b typed next to candidat-a1's e-mail
IMPORTED_A2 = ("Fictif", "Yolande")  # ... next to candidat-a2's INE
IMPORTED_ADMIN = ("Usurpé", "Ulysse")  # ... next to the national administrator's e-mail
FORMULA_FIRST_NAMES = '=HYPERLINK("https://exemple.invalid/x","Hugo")'
FORMULA_BIRTH_PLACE = "+33 Lyon"


@dataclass(frozen=True)
class Secret:
    """A string about a person that only `seen_by` may ever receive."""

    key: str
    text: str
    seen_by: frozenset[str]


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # username -> session key
    secrets: list[Secret] = field(default_factory=list)
    # what an answer must show (exports): the secrets' texts, and what an institution typed itself
    markers: dict[str, str] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # hostile step -> HTTP status it got
    client: Any = None  # the one test client of the matrix

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


def _user(username: str):
    from c2i.accounts.models import User

    return User.objects.get(username=username)


def _institution_session(key: str, framework: str = "C2i1"):
    from c2i.demo.enrolment import INSTITUTIONS
    from c2i.enrolment.models import InstitutionSession

    uai = next(i.uai for i in INSTITUTIONS if i.key == key)
    return InstitutionSession.objects.get(institution__uai=uai, session__framework__code=framework)


def _active(username: str, framework: str = "C2i1"):
    from c2i.enrolment.models import Enrolment, EnrolmentStatus

    return Enrolment.objects.get(
        candidate__user__username=username, session__framework__code=framework, status=EnrolmentStatus.ACTIVE
    )


def _post_as(world: World, username: str, path: str, data: dict[str, Any]) -> int:
    """A step of the probe, through the pages (the matrix's own client)."""
    client = world.client
    client.cookies = SimpleCookie()
    client.force_login(_user(username))
    status = int(client.post(path, data).status_code)
    client.cookies = SimpleCookie()
    return status


def _login(username: str) -> str:
    """A session of this person; those whose role requires the second factor
    (the national administrator, a jury chair) have a device, and their
    session was opened with it, as production requires (C2I_REQUIRE_2FA)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from c2i.accounts import two_factor

    user = _user(username)
    client = Client()
    client.force_login(user)
    if two_factor.required_by_role(user):
        device = TOTPDevice.objects.create(user=user, name="téléphone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _import_by_b(world: World) -> None:
    from c2i.enrolment.models import Candidate

    a2 = Candidate.objects.get(user__username=A2)
    lines = [
        "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut",
        f"{IMPORTED_A1[0]};{IMPORTED_A1[1]};01/01/2000;=Nulle-Part;{A1}@c2i-demo.fr;;etudiant",
        f"{IMPORTED_A2[0]};{IMPORTED_A2[1]};02/02/2000;Paris;yolande.fictif@exemple.fr;{a2.ine};etudiant",
        f"{IMPORTED_ADMIN[0]};{IMPORTED_ADMIN[1]};03/03/2000;Paris;{ADMIN}@c2i-demo.fr;;etudiant",
    ]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("candidats.csv", "\n".join(lines).encode(), content_type="text/csv")
    world.steps["import by correspondant-b"] = _post_as(
        world, CB, f"/gestion/sessions/{world.is_b}/import/", {"file": upload, "only_valid": "on"}
    )
    # and correspondant-a invites candidat-b1 to A's C2i2ms session (an ordinary invitation)
    b1 = Candidate.objects.get(user__username=B1)
    invite_b1 = [
        "nom;prenoms;date_naissance;lieu_naissance;email;statut",
        f"{b1.last_name};{b1.first_names};04/04/2001;Paris;{B1}@c2i-demo.fr;etudiant",
    ]
    upload = SimpleUploadedFile("b1.csv", "\n".join(invite_b1).encode(), content_type="text/csv")
    world.steps["import by correspondant-a"] = _post_as(
        world, CA, f"/gestion/sessions/{world.is_a_ms}/import/", {"file": upload}
    )
    from c2i.enrolment.models import Invitation

    world.ids["inv_a"] = Invitation.objects.get(institution_session_id=world.is_b, email=f"{A1}@c2i-demo.fr").pk
    world.ids["inv_b"] = Invitation.objects.get(institution_session_id=world.is_a_ms, email=f"{B1}@c2i-demo.fr").pk


def _seat_a1(world: World) -> None:
    from c2i.deliberation.models import JuryMember

    world.steps["correspondant-a seats candidat-a1"] = _post_as(
        world, CA, f"/gestion/sessions/{world.is_a}/jury/", {"email": f"{A1}@c2i-demo.fr"}
    )
    JuryMember.objects.get_or_create(institution_session_id=world.is_a, user=_user(A1))


def _tutor_candidate(world: World) -> None:
    from c2i.accounts.models import Membership, Role
    from c2i.frameworks.models import Competency, Framework
    from c2i.portfolio.models import Evidence, EvidenceKind, Portfolio
    from tests.persona_support import new_candidate

    ins = _institution_session("a")
    candidate = new_candidate(
        ins,
        first_names="Tristan",
        last_name="Double",
        email=f"{TUTOR_CANDIDATE}@c2i-demo.fr",
        username=TUTOR_CANDIDATE,
        birth_date=dt.date(1990, 5, 5),
    )
    Membership.objects.create(user=candidate.user, role=Role.ASSESSOR, institution=ins.institution)
    portfolio = Portfolio.objects.create(candidate=candidate, framework=Framework.objects.get(code="C2i1"))
    item = Evidence.objects.create(portfolio=portfolio, kind=EvidenceKind.CURRICULUM, title="Mon propre travail")
    competency = Competency.objects.filter(domain__framework=portfolio.framework, retired=False).order_by("pk")[0]
    item.competencies.set([competency])
    world.ids.update(tc_portfolio=portfolio.pk, tc_item=item.pk, tc_competency=competency.pk)


def _b_jury_exam_and_documents(world: World) -> None:
    """B gets a jury chair (an outside person), an exam with b1's sitting, and
    b1 a certificate (B's C2i1 deliberation published); a1 gets a certificate
    of A's C2i2ms session, so that each side has a document of its own."""
    from c2i.accounts.models import User
    from c2i.assessment import services as qcm
    from c2i.assessment.models import Exam
    from c2i.credentials.services import produce_document
    from c2i.deliberation.models import JuryMember
    from c2i.enrolment.models import Enrolment, EnrolmentStatus
    from tests.credentials_support import ALL, publish, set_outcome

    chair = User.objects.create_user("jury-b", "jury-b@c2i-demo.fr", "x", first_name="Jean", last_name="Jury")
    member = JuryMember.objects.create(institution_session_id=world.is_b, user=chair, is_chair=True)
    world.ids["seat_b"] = member.pk

    a_exam = Exam.objects.get(institution_session_id=world.is_a)
    b_ins = _institution_session("b")
    b_exam = qcm.create_exam(
        _user(CB),
        b_ins,
        list(a_exam.domains.all()),
        title="Contrôle de connaissances C2i1 (B)",
        per_domain=a_exam.per_domain,
        duration_minutes=60,
        opens_at=a_exam.opens_at,
        closes_at=a_exam.closes_at,
        access_code="",
        allowed_networks="",
    )
    world.ids["exam_a"] = a_exam.pk
    world.ids["exam_b"] = b_exam.pk
    world.ids["attempt_a"] = qcm.start_attempt(a_exam, _active(A1), _user(A1)).pk
    world.ids["attempt_b"] = qcm.start_attempt(b_exam, _active(B1), _user(B1)).pk
    qcm.start_attempt(a_exam, _active(A2), _user(A2))  # A's results list candidat-a2 (a formula as name)
    # the exam day (issue 13): A's demo room « Salle B204 » seats a1 and a2; B gets a room seating b1
    from c2i.assessment.models import ExamRoom, Seat
    from c2i.assessment.services import invigilation

    room_a = ExamRoom.objects.get(exam=a_exam)
    room_b = invigilation.create_room(b_exam, _user(CB), "Amphi B")
    invigilation.set_password(room_b, _user(CB))
    world.ids["room_a"] = room_a.pk
    world.ids["room_b"] = room_b.pk
    world.ids["place_a"] = Seat.objects.get(room=room_a, enrolment=_active(A1)).pk
    world.ids["place_b"] = Seat.objects.create(exam=b_exam, room=room_b, enrolment=_active(B1)).pk
    who = invigilation.Invigilator(room_a, "Surveillant A")
    seat_a1 = Seat.objects.get(pk=world.ids["place_a"])
    invigilation.report_incident(who, "technical", timezone.now(), "Écran figé, poste changé.", seat_a1)
    world.ids["exam_a_ms"] = None

    b1 = _active(B1)
    set_outcome(b1, "certified", ALL)
    publish(b1.institution_session)
    doc_b = produce_document(b1, None, notify=False)[1]
    a_ms = _institution_session("a", "C2i2ms")
    a1_ms = Enrolment.objects.create(
        candidate=b1.candidate.__class__.objects.get(user__username=A1),
        institution_session=a_ms,
        status=EnrolmentStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    set_outcome(a1_ms, "certified", [d.code for d in a_ms.session.framework.domains.all()])
    publish(a_ms)
    doc_a = produce_document(a1_ms, None, notify=False)[1]
    assert doc_a is not None and doc_b is not None
    world.ids.update(doc_a=doc_a.pk, doc_b=doc_b.pk, code_a=doc_a.code, code_b=doc_b.code)


def _questions(world: World) -> None:
    from c2i.assessment.models import Question, QuestionStatus

    def first(**filters: Any) -> int:
        return Question.objects.filter(**filters).order_by("id").values_list("pk", flat=True)[0]

    world.ids["q_validated"] = first(status=QuestionStatus.VALIDATED, author__username=ADMIN)
    world.ids["q_pending_a"] = first(status=QuestionStatus.IN_REVIEW, author__username=CA)
    world.ids["q_refused_a"] = first(status=QuestionStatus.REFUSED, author__username=CA)


def _portfolios(world: World) -> None:
    from c2i.portfolio.models import EvidenceFile, Portfolio, Submission, SubmittedFile

    for side, username in (("a", A1), ("b", B1)):
        portfolio = Portfolio.objects.get(candidate__user__username=username, framework__code="C2i1")
        file = EvidenceFile.objects.filter(evidence__portfolio=portfolio).order_by("pk").first()
        assert file is not None
        submission = Submission.objects.get(portfolio=portfolio, status="submitted")
        snap = SubmittedFile.objects.filter(item__submission=submission).order_by("pk").first()
        assert snap is not None
        world.ids.update(
            {
                f"portfolio_{side}": portfolio.pk,
                f"item_{side}": file.evidence_id,
                f"file_{side}": file.pk,
                f"submission_{side}": submission.pk,
                f"snapfile_{side}": snap.pk,
            }
        )
    withdrawn = Submission.objects.filter(status="withdrawn", institution_session_id=world.is_a).order_by("pk").first()
    assert withdrawn is not None
    world.ids["submission_withdrawn_a"] = withdrawn.pk


def _formulas() -> None:
    from c2i.enrolment.models import Candidate

    Candidate.objects.filter(user__username=A2).update(first_names=FORMULA_FIRST_NAMES, birth_place=FORMULA_BIRTH_PLACE)


def _secrets(world: World) -> None:
    """Each candidate's INE (and, for the three named candidates, their last
    name): who may receive them. An institution sees the candidates enrolled
    with it (and what it typed itself), a jury the candidates of its session,
    a candidate themself, the national administrator everyone."""
    from c2i.enrolment.models import Candidate, Enrolment

    a, b = _institution_session("a").institution_id, _institution_session("b").institution_id
    seen: dict[int, set[str]] = {}
    for candidate_id, institution_id, ins_id in Enrolment.objects.values_list(
        "candidate_id", "institution_session__institution_id", "institution_session_id"
    ):
        who = seen.setdefault(candidate_id, {ADMIN})
        if institution_id == a:
            who |= {CA, TA}
        if institution_id == b:
            who |= {CB}
        if ins_id == world.is_a:
            who |= {JA}
    for candidate in Candidate.objects.select_related("user"):
        who = set(seen.get(candidate.pk, {ADMIN}))
        own = candidate.user.username if candidate.user is not None else None
        if own in ROLES:
            who.add(own)
        if candidate.ine:
            typed_by_b = own == A2  # correspondant-b typed candidat-a2's INE itself
            world.secrets.append(
                Secret(f"{own or candidate.pk}.ine", candidate.ine, frozenset(who | ({CB} if typed_by_b else set())))
            )
        if own in (A1, A2, B1):
            world.secrets.append(Secret(f"{own}.name", candidate.last_name, frozenset(who)))
            # their address: B typed candidat-a1's in its import, A candidat-b1's in its invitation
            typed = {A1: {CB}, B1: {CA}}.get(own, set())
            world.secrets.append(Secret(f"{own}.email", candidate.email, frozenset(who | typed)))
    world.markers.update({s.key: s.text for s in world.secrets})
    world.markers["typed-by-b.a1"] = IMPORTED_A1[0]
    world.markers["typed-by-b.a2"] = IMPORTED_A2[0]


def build_world(client: Client) -> World:
    """Run inside the matrix's transaction (rolled back at its end)."""
    world = World(client=client)
    world.ids["is_a"] = _institution_session("a").pk
    world.ids["is_b"] = _institution_session("b").pk
    world.ids["is_a_ms"] = _institution_session("a", "C2i2ms").pk
    world.ids["is_b_e"] = _institution_session("b", "C2i2e").pk
    world.ids["inst_a"] = _institution_session("a").institution_id
    world.ids["inst_b"] = _institution_session("b").institution_id
    from c2i.enrolment.models import Session

    world.ids["session_c2i1"] = _institution_session("a").session_id
    world.ids["session_c2i2e"] = Session.objects.get(framework__code="C2i2e").pk
    world.ids["session_c2i2md"] = None
    for side, username in (("a1", A1), ("a2", A2), ("b1", B1)):
        world.ids[f"enr_{side}"] = _active(username).pk
    world.ids["seat_a"] = _seat_of(world.is_a, TA)
    _portfolios(world)
    _questions(world)
    # The imports come before the deliberations are published: a deliberated
    # session takes no more candidates (docs/lifecycle.md).
    _import_by_b(world)
    _b_jury_exam_and_documents(world)
    _tutor_candidate(world)
    _formulas()
    _secrets(world)
    _seat_a1(world)
    _admin_rows(world)
    from django.conf import settings as s

    from c2i.credentials import keys

    world.ids["key_id"] = keys.ensure_key(s.C2I_KEYS_DIR).key_id
    for username in (*ROLES[1:], TUTOR_CANDIDATE):
        world.sessions[username] = _login(username)
    return world


def _seat_of(ins_id: int, username: str) -> int:
    from c2i.deliberation.models import JuryMember

    return JuryMember.objects.get(institution_session_id=ins_id, user__username=username).pk


def _admin_rows(world: World) -> None:
    """A row of every model the admin shows, so that each of its object pages
    is tried on a real object; the first row of each, by model label."""
    from django.contrib import admin
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from c2i.credentials import services as documents
    from c2i.credentials.tasks import produce_documents_task
    from c2i.enrolment.models import InstitutionSession
    from c2i.notifications.models import NotificationKind, SentNotification
    from c2i.privacy import services as privacy

    Group.objects.create(name="Démonstration")
    outsider = _user("jury-b")  # devices of a person outside the roles: no role's login changes
    TOTPDevice.objects.create(user=outsider, name="téléphone", confirmed=True)
    StaticDevice.objects.create(user=outsider, name="secours", confirmed=True)
    batch = documents.enqueue_session_documents(_institution_session("b"), _user(CB))
    produce_documents_task.enqueue(batch.pk, 0)
    world.ids["erasure"] = privacy.request_erasure(_user(TUTOR_CANDIDATE)).pk
    # the invitation e-mail as the worker records it once sent (the matrix's
    # transaction never commits, so no task runs in it)
    SentNotification.objects.create(
        kind=NotificationKind.INVITATION, object_id=world.ids["inv_a"], recipient=f"{A1}@c2i-demo.fr"
    )
    try:
        from dsfr.models import DsfrConfig

        DsfrConfig.objects.get_or_create(language="fr")
    except ImportError:  # pragma: no cover
        pass
    rows = {
        model._meta.label: model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        for model in admin.site._registry
    }
    empty = sorted(label for label, pk in rows.items() if pk is None)
    assert not empty, f"give these admin models a row in tests/access_world.py (_admin_rows): {empty}"
    world.ids["admin_objects"] = rows
    world.ids["ct_institution_session"] = ContentType.objects.get_for_model(InstitutionSession).pk
