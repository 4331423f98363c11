"""Demonstration data: real French universities, the demo accounts of the
README and about forty candidates. Dates are relative to the day it runs so
that the sessions are always open for a demonstration."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from c2i.accounts.models import Membership, Role, User
from c2i.deliberation.models import JuryMember
from c2i.enrolment.models import (
    Candidate,
    CandidateStatus,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Invitation,
    Session,
)
from c2i.frameworks.models import Framework
from c2i.institutions.models import Accreditation, Institution

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo accounts


@dataclass(frozen=True)
class DemoInstitution:
    key: str
    name: str
    uai: str
    address: str
    postcode: str
    town: str
    latitude: float
    longitude: float
    website: str
    frameworks: tuple[str, ...]


INSTITUTIONS = [
    DemoInstitution(
        "a",
        "Université Claude Bernard Lyon 1",
        "0692437Z",
        "43 boulevard du 11 Novembre 1918",
        "69100",
        "Villeurbanne",
        45.7797,
        4.8654,
        "https://www.univ-lyon1.fr",
        ("C2i1", "C2i2ms", "C2i2e", "C2i2mi"),
    ),
    DemoInstitution(
        "b",
        "Sorbonne Université",
        "0755890V",
        "21 rue de l'École de Médecine",
        "75006",
        "Paris",
        48.8507,
        2.3413,
        "https://www.sorbonne-universite.fr",
        ("C2i1", "C2i2ms", "C2i2e", "C2i2md"),
    ),
    DemoInstitution(
        "lyon2",
        "Université Lumière Lyon 2",
        "0691774D",
        "86 rue Pasteur",
        "69007",
        "Lyon",
        45.7490,
        4.8370,
        "https://www.univ-lyon2.fr",
        ("C2i1", "C2i2e"),
    ),
    DemoInstitution(
        "strasbourg",
        "Université de Strasbourg",
        "0673021V",
        "4 rue Blaise Pascal",
        "67000",
        "Strasbourg",
        48.5811,
        7.7648,
        "https://www.unistra.fr",
        ("C2i1", "C2i2md", "C2i2mead"),
    ),
    DemoInstitution(
        "bordeaux",
        "Université de Bordeaux",
        "0333298F",
        "35 place Pey Berland",
        "33000",
        "Bordeaux",
        44.8378,
        -0.5766,
        "https://www.u-bordeaux.fr",
        ("C2i1", "C2i2ms", "C2i2mead"),
    ),
    DemoInstitution(
        "amu",
        "Aix-Marseille Université",
        "0134009M",
        "58 boulevard Charles Livon",
        "13007",
        "Marseille",
        43.2926,
        5.3589,
        "https://www.univ-amu.fr",
        ("C2i1", "C2i2e", "C2i2mi"),
    ),
    DemoInstitution(
        "lille",
        "Université de Lille",
        "0597239Y",
        "42 rue Paul Duez",
        "59000",
        "Lille",
        50.6311,
        3.0772,
        "https://www.univ-lille.fr",
        ("C2i1", "C2i2md"),
    ),
    DemoInstitution(
        "uga",
        "Université Grenoble Alpes",
        "0383546Y",
        "621 avenue Centrale",
        "38400",
        "Saint-Martin-d'Hères",
        45.1910,
        5.7680,
        "https://www.univ-grenoble-alpes.fr",
        ("C2i1", "C2i2mi"),
    ),
    DemoInstitution(
        "montpellier",
        "Université de Montpellier",
        "0342321N",
        "163 rue Auguste Broussonnet",
        "34090",
        "Montpellier",
        43.6158,
        3.8715,
        "https://www.umontpellier.fr",
        ("C2i1", "C2i2ms"),
    ),
    DemoInstitution(
        "nantes",
        "Nantes Université",
        "0442953W",
        "1 quai de Tourville",
        "44000",
        "Nantes",
        47.2100,
        -1.5560,
        "https://www.univ-nantes.fr",
        ("C2i1", "C2i2e"),
    ),
    DemoInstitution(
        "toulouse",
        "Université Toulouse III – Paul Sabatier",
        "0311384L",
        "118 route de Narbonne",
        "31400",
        "Toulouse",
        43.5615,
        1.4689,
        "https://www.univ-tlse3.fr",
        ("C2i1", "C2i2mi"),
    ),
    DemoInstitution(
        "uca",
        "Université Clermont Auvergne",
        "0631262E",
        "49 boulevard François-Mitterrand",
        "63000",
        "Clermont-Ferrand",
        45.7710,
        3.0870,
        "https://www.uca.fr",
        ("C2i1",),
    ),
]

# (username, first name, last name) of the correspondents, one per institution.
CORRESPONDENTS = {
    "a": ("correspondant-a", "Claire", "Moreau"),
    "b": ("correspondant-b", "Julien", "Lefèvre"),
}

FIRST_NAMES = [
    "Camille",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Chloé",
    "Louis",
    "Emma",
    "Nathan",
    "Inès",
    "Jules",
    "Sarah",
    "Gabriel",
    "Zoé",
    "Arthur",
    "Lina",
    "Raphaël",
    "Jade",
    "Tom",
    "Anaïs",
    "Théo",
    "Clara",
    "Maël",
    "Eva",
    "Noah",
    "Louise",
    "Sacha",
    "Alice",
    "Adam",
    "Romane",
    "Ethan",
    "Lou",
    "Paul",
    "Mathilde",
    "Yanis",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
]
TOWNS = [
    "Lyon",
    "Villeurbanne",
    "Paris",
    "Saint-Étienne",
    "Grenoble",
    "Marseille",
    "Lille",
    "Nantes",
    "Bordeaux",
    "Clermont-Ferrand",
    "Annecy",
    "Dijon",
    "Fort-de-France",
    "Rabat (Maroc)",
]

BEA_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"


def bea_ine(n: int) -> str:
    """A valid INE-BEA: ten digits and their check letter (modulo 23)."""
    digits = f"{n:010d}"
    return digits + BEA_ALPHABET[int(digits) % 23]


ACCOUNTS = [
    ("admin", "national administrator"),
    ("correspondant-a", "C2i correspondent, Université Claude Bernard Lyon 1 (A)"),
    ("correspondant-b", "C2i correspondent, Sorbonne Université (B)"),
    ("tuteur-a", "assessor / tutor at A"),
    ("jury-a", "jury chair, C2i1 session of A"),
    ("relecteur", "question reviewer"),
    ("candidat-a1", "candidate enrolled at A (C2i1), with the tiers-temps (33 % extra time)"),
    ("candidat-a2", "candidate enrolled at A (C2i1)"),
    ("candidat-b1", "candidate enrolled at B (C2i1)"),
]


def demo_address(first: str, last: str, n: int) -> str:
    """An ASCII address, as real mailboxes have (« Léa Faure » → lea.faure.12@…)."""
    folded = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    return f"{re.sub(r'[^a-z0-9.-]', '', folded)}.{n}@etu.c2i-demo.fr"


class Builder:
    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.password = make_password(DEMO_PASSWORD)  # hashed once, shared by every demo account
        self.rng = random.Random(2027)
        self.institutions: dict[str, Institution] = {}

    def user(self, username: str, first: str, last: str, **extra: object) -> User:
        domain = "c2i-demo.fr"
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{domain}",
            password=self.password,
            **extra,
        )
        user.save()
        return user

    def institutions_and_staff(self) -> None:
        frameworks = {f.code: f for f in Framework.objects.all()}
        for demo in INSTITUTIONS:
            inst = Institution.objects.create(
                name=demo.name,
                uai=demo.uai,
                address=demo.address,
                postcode=demo.postcode,
                town=demo.town,
                latitude=demo.latitude,
                longitude=demo.longitude,
                website=demo.website,
            )
            self.institutions[demo.key] = inst
            for code in demo.frameworks:
                Accreditation.objects.create(
                    institution=inst,
                    framework=frameworks[code],
                    start=dt.date(2012, 9, 1),
                    reference="Arrêté d'habilitation (démonstration)",
                )
            username, first, last = CORRESPONDENTS.get(demo.key, (f"correspondant-{demo.key}", *self.person()))
            user = self.user(
                username,
                first,
                last,
                phone=f"04 72 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}",
            )
            Membership.objects.create(user=user, role=Role.CORRESPONDENT, institution=inst)
        # An expired accreditation: Lorraine-like case kept on Clermont for the demo of R4.
        Accreditation.objects.create(
            institution=self.institutions["uca"],
            framework=frameworks["C2i2mi"],
            start=dt.date(2012, 9, 1),
            end=dt.date(2020, 8, 31),
            reference="Habilitation échue (démonstration)",
        )

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def sessions(self) -> dict[str, Session]:
        start = self.today - dt.timedelta(days=60)
        season = "printemps" if start.month < 7 else "automne"
        sessions = {}
        for code in ("C2i1", "C2i2ms", "C2i2e"):
            sessions[code] = Session.objects.create(
                framework=Framework.objects.get(code=code),
                name=f"{code} — {season} {start.year}",
                start=start,
                end=self.today + dt.timedelta(days=150),
                enrolment_opens=start,
                enrolment_closes=self.today + dt.timedelta(days=30),
            )
        return sessions

    def institution_session(self, key: str, session: Session, capacity: int | None = None) -> InstitutionSession:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        return InstitutionSession.objects.create(
            session=session,
            institution=self.institutions[key],
            portfolio_deadline=now + dt.timedelta(days=45),
            test_opens=now - dt.timedelta(days=5),
            test_closes=now + dt.timedelta(days=40),
            jury_date=self.today + dt.timedelta(days=60),
            capacity=capacity,
            place="Campus principal",
        )

    def identity(self, first: str, last: str, status: str, n: int) -> dict[str, object]:
        born = dt.date(1998, 1, 1) + dt.timedelta(days=self.rng.randint(0, 2500))
        if status == CandidateStatus.CONTINUING:
            born -= dt.timedelta(days=365 * 15)
        return {
            "last_name": last,
            "first_names": first,
            "birth_date": born,
            "birth_place": self.rng.choice(TOWNS),
            "ine": bea_ine(2_100_000_000 + n * 7919) if status == CandidateStatus.STUDENT else "",
            "status": status,
        }

    def candidate(self, username: str | None, first: str, last: str, status: str, n: int) -> Candidate:
        user = self.user(username, first, last) if username else None
        identity = self.identity(first, last, status, n)
        email = user.email if user else demo_address(first, last, n)
        return Candidate.objects.create(user=user, email=email, **identity)  # type: ignore[arg-type]

    def invite(self, first: str, last: str, status: str, n: int, ins: InstitutionSession) -> Invitation:
        """An import's line: what the institution typed, to confirm by the person."""
        identity = self.identity(first, last, status, n)
        email = demo_address(first, last, n)
        correspondent = Membership.objects.filter(role=Role.CORRESPONDENT, institution=ins.institution).first()
        return Invitation.objects.create(
            institution_session=ins,
            email=email,
            created_by=correspondent.user if correspondent else None,
            **identity,  # type: ignore[arg-type]
        )

    def enrol(self, candidate: Candidate, ins: InstitutionSession, status: str = EnrolmentStatus.ACTIVE) -> Enrolment:
        return Enrolment.objects.create(
            candidate=candidate,
            institution_session=ins,
            status=status,
            confirmed_at=timezone.now(),
            withdrawn_at=timezone.now() if status == EnrolmentStatus.WITHDRAWN else None,
        )


def load_enrolment_demo(today: dt.date) -> None:
    """The institutions, their staff, the sessions, the candidates and the jury of A's C2i1 session."""
    b = Builder(today)
    b.user("admin", "Nadia", "Benali", is_staff=True, is_superuser=True)
    Membership.objects.create(user=User.objects.get(username="admin"), role=Role.NATIONAL_ADMIN)
    b.institutions_and_staff()
    tutor = b.user("tuteur-a", "Marc", "Besson")
    Membership.objects.create(user=tutor, role=Role.ASSESSOR, institution=b.institutions["a"])
    reviewer = b.user("relecteur", "Hélène", "Carpentier")
    Membership.objects.create(user=reviewer, role=Role.REVIEWER)
    sessions = b.sessions()
    a_c2i1 = b.institution_session("a", sessions["C2i1"], capacity=120)
    b_c2i1 = b.institution_session("b", sessions["C2i1"], capacity=200)
    others = [b.institution_session(k, sessions["C2i1"]) for k in ("strasbourg", "lyon2", "bordeaux")]
    b.institution_session("a", sessions["C2i2ms"], capacity=40)
    b.institution_session("b", sessions["C2i2e"], capacity=60)
    jury = b.user("jury-a", "Sophie", "Marchand")
    JuryMember.objects.create(institution_session=a_c2i1, user=jury, is_chair=True)
    member = b.user("jury-a-membre", "Karim", "Haddad")
    JuryMember.objects.create(institution_session=a_c2i1, user=member)
    JuryMember.objects.create(institution_session=a_c2i1, user=tutor)

    named = [
        ("candidat-a1", "Léa", "Fontaine", a_c2i1),
        ("candidat-a2", "Hugo", "Perrin", a_c2i1),
        ("candidat-b1", "Inès", "Chevalier", b_c2i1),
    ]
    for n, (username, first, last, ins) in enumerate(named, start=1):
        enrolment = b.enrol(b.candidate(username, first, last, CandidateStatus.STUDENT, n), ins)
        if username == "candidat-a1":  # exam adjustments: the tiers-temps (issue 13)
            enrolment.extra_time_percent = 33
            enrolment.adjustments_note = "Avis du service handicap du 12/09"
            enrolment.save(update_fields=["extra_time_percent", "adjustments_note"])
    plan = [(a_c2i1, 15), (b_c2i1, 10), *[(ins, 4) for ins in others]]
    n = len(named)
    for ins, count in plan:
        for i in range(count):
            n += 1
            first, last = b.person()
            status = CandidateStatus.CONTINUING if i % 5 == 4 else CandidateStatus.STUDENT
            login = f"candidat-{ins.institution.uai.lower()}-{i + 1}" if i % 3 == 0 else None
            if login is None and i % 2:
                b.invite(first, last, status, n, ins)  # imported, not yet confirmed: no candidate record
                continue
            candidate = b.candidate(login, first, last, status, n)
            enrolment_status = EnrolmentStatus.WITHDRAWN if i == count - 1 and ins is a_c2i1 else EnrolmentStatus.ACTIVE
            enrolment = b.enrol(candidate, ins, enrolment_status)
            if i == 2 and ins is a_c2i1:
                enrolment.special_curriculum = True
                enrolment.save(update_fields=["special_curriculum"])
