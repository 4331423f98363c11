"""Every URL of the site, with every demo role and anonymously: the expected
answer. A correspondent of one institution never reaches another's candidates.

Each row: a name (the URL's name; every named URL of the site must have at
least one row, see the last test), a method, a function building the path from
the demo data, and the expected status for each role of ROLES. Rows are
checked one role at a time, each in its own transaction, so that a POST by
one role does not change what the next one sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from c2i.enrolment.models import Enrolment, EnrolmentStatus, Session
from tests import assessment_support as qcm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _credentials_isolated(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Signing keys in a temporary folder; a fresh window of verification lookups."""
    from django.core.cache import cache

    settings.C2I_KEYS_DIR = tmp_path / "keys"
    cache.clear()


def a1_document(demo) -> int:  # type: ignore[no-untyped-def]
    """candidat-a1's certificate (published outcome, document issued)."""
    from c2i.credentials.services import produce_document
    from tests.credentials_support import certified_and_not

    a1, _a2 = certified_and_not(demo)
    return produce_document(a1, None, notify=False)[1].pk  # type: ignore[union-attr]


def a1_code(demo) -> str:  # type: ignore[no-untyped-def]
    from c2i.credentials.models import IssuedDocument

    return IssuedDocument.objects.get(pk=a1_document(demo)).code


def signing_key(demo) -> str:  # type: ignore[no-untyped-def]
    from django.conf import settings

    from c2i.credentials import keys

    return keys.ensure_key(settings.C2I_KEYS_DIR).key_id


ROLES = [
    None,
    "admin",
    "correspondant-a",
    "correspondant-b",
    "tuteur-a",
    "jury-a",
    "relecteur",
    "candidat-a1",
    "candidat-b1",
]
#        anon admin corA corB tutA jurA rev  cA1  cB1


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable  # (demo) -> str
    expected: tuple[int, ...]
    data: dict | None = None

    def __post_init__(self) -> None:
        assert len(self.expected) == len(ROLES), self.name


def a_c2i1(demo) -> int:  # type: ignore[no-untyped-def]
    return demo.institution_session("a").pk


def enrolment_of(username: str, status: str = EnrolmentStatus.ACTIVE) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        return Enrolment.objects.filter(candidate=demo.candidate(username), status=status).first().pk

    return build


PUBLIC = (200,) * 9
LOGGED_IN = (302, 200, 200, 200, 200, 200, 200, 200, 200)
JURY_READ = (302, 200, 403, 403, 200, 200, 403, 403, 403)
JURY_WRITE = (302, 403, 403, 403, 302, 302, 403, 403, 403)
JURY_CHAIR = (302, 403, 403, 403, 403, 302, 403, 403, 403)


def jury_seat(username: str) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        from c2i.deliberation.models import JuryMember

        return JuryMember.objects.get(institution_session_id=a_c2i1(demo), user__username=username).pk

    return build


# --- portfolio (R9): the candidate, the institution's staff, the jury of the session it was submitted to
CANDIDATE_ONLY = (302, 403, 403, 403, 403, 403, 403, 200, 200)
A1_ONLY = (302, 403, 403, 403, 403, 403, 403, 302, 404)

# --- knowledge test (assessment)
QCM_AUTHORS = (302, 200, 200, 200, 403, 403, 200, 403, 403)
QCM_REVIEWERS = (302, 200, 403, 403, 403, 403, 200, 403, 403)
QCM_A = (302, 200, 200, 404, 403, 403, 403, 403, 403)
QCM_A_POST = (302, 302, 302, 404, 403, 403, 403, 403, 403)
QCM_A1 = (302, 403, 403, 403, 403, 403, 403, 200, 404)


def portfolio_of(username: str) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        from c2i.portfolio.models import Portfolio

        return Portfolio.objects.get(candidate=demo.candidate(username), framework__code="C2i1").pk

    return build


def evidence_file_of(username: str) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        from c2i.portfolio.models import EvidenceFile

        return EvidenceFile.objects.filter(evidence__portfolio_id=portfolio_of(username)(demo)).first().pk

    return build


def item_of(username: str) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        from c2i.portfolio.models import EvidenceFile

        return EvidenceFile.objects.get(pk=evidence_file_of(username)(demo)).evidence_id

    return build


def submission_of(username: str | None, status: str = "submitted") -> Callable:
    """The current (or a withdrawn) submission of a candidate; None: any candidate of A."""

    def build(demo) -> int:  # type: ignore[no-untyped-def]
        from c2i.portfolio.models import Submission

        found = Submission.objects.filter(status=status, institution_session_id=a_c2i1(demo))
        if username:
            found = Submission.objects.filter(status=status, portfolio__candidate=demo.candidate(username))
        return found.first().pk

    return build


def snapshot_file_of(username: str) -> Callable:
    def build(demo) -> str:  # type: ignore[no-untyped-def]
        from c2i.portfolio.models import SubmittedFile

        pk = submission_of(username)(demo)
        return f"{pk}/fichiers/{SubmittedFile.objects.filter(item__submission_id=pk).first().pk}"

    return build


ROWS = [
    Row("home", "GET", lambda d: "/", PUBLIC),
    Row("accessibility", "GET", lambda d: "/accessibilite/", PUBLIC),
    Row("ping", "GET", lambda d: "/ping/", PUBLIC),
    Row("accounts:login", "GET", lambda d: "/connexion/", (200, 302, 302, 302, 302, 302, 302, 302, 302)),
    Row("accounts:logout", "POST", lambda d: "/deconnexion/", (302,) * 9),
    Row("accounts:register", "GET", lambda d: "/inscription/", (200, 302, 302, 302, 302, 302, 302, 302, 302)),
    Row("accounts:dashboard", "GET", lambda d: "/mon-espace/", LOGGED_IN),
    Row("accounts:password_change", "GET", lambda d: "/mon-espace/mot-de-passe/", LOGGED_IN),
    Row("accounts:password_reset", "GET", lambda d: "/mot-de-passe/oublie/", (200,) * 9),
    Row("accounts:password_reset_done", "GET", lambda d: "/mot-de-passe/oublie/envoye/", (200,) * 9),
    Row("accounts:password_reset_confirm", "GET", lambda d: "/mot-de-passe/nouveau/MQ/lien-perime/", (200,) * 9),
    Row("accounts:password_reset_complete", "GET", lambda d: "/mot-de-passe/nouveau/fait/", (200,) * 9),
    Row("frameworks:list", "GET", lambda d: "/referentiels/", PUBLIC),
    Row("frameworks:detail", "GET", lambda d: "/referentiels/C2i1/", PUBLIC),
    Row("institutions:directory", "GET", lambda d: "/etablissements/?place=Lyon", PUBLIC),
    Row("institutions:detail", "GET", lambda d: "/etablissements/0692437Z/", PUBLIC),
    Row("enrolment:sessions", "GET", lambda d: "/sessions/", PUBLIC),
    Row(
        "enrolment:session",
        "GET",
        lambda d: f"/sessions/{Session.objects.filter(framework__code='C2i1').latest('start').pk}/",
        PUBLIC,
    ),
    # enrol at B: staff get a message (not a candidate), a1 is refused by R5, b1 is already there
    Row(
        "enrolment:enrol",
        "POST",
        lambda d: f"/sessions/etablissement/{d.institution_session('b').pk}/inscription/",
        (302,) * 9,
    ),
    Row(
        "enrolment:my_space",
        "GET",
        lambda d: "/mon-espace/certification/",
        (302, 403, 403, 403, 403, 403, 403, 200, 200),
    ),
    Row(
        "enrolment:withdraw",
        "POST",
        lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-a1')(d)}/retrait/",
        (302, 403, 403, 403, 403, 403, 403, 302, 404),
    ),
    Row(
        "enrolment:confirm",
        "POST",
        lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-a1')(d)}/confirmer/",
        (302, 403, 403, 403, 403, 403, 403, 302, 404),
    ),
    Row(
        "enrolment:decline",
        "POST",
        lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-b1')(d)}/refuser/",
        (302, 403, 403, 403, 403, 403, 403, 404, 302),
    ),
    Row("enrolment:correspondent", "GET", lambda d: "/correspondant/", (302, 200, 200, 200, 403, 403, 403, 403, 403)),
    Row(
        "enrolment:open_session",
        "GET",
        lambda d: (
            f"/correspondant/etablissements/{d.institution('a').pk}/sessions/"
            f"{Session.objects.get(framework__code='C2i2e').pk}/ouvrir/"
        ),
        (302, 200, 200, 404, 403, 403, 403, 403, 403),
    ),
    Row(
        "enrolment:staff_sessions", "GET", lambda d: "/gestion/sessions/", (302, 200, 200, 200, 200, 200, 403, 403, 403)
    ),
    Row(
        "enrolment:institution_session",
        "GET",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/",
        (302, 200, 200, 404, 200, 200, 404, 404, 404),
    ),
    Row(
        "enrolment:institution_session",
        "GET",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/?export=csv",
        (302, 200, 200, 404, 403, 403, 404, 404, 404),
    ),
    Row(
        "enrolment:institution_session",
        "GET",
        lambda d: f"/gestion/sessions/{d.institution_session('b').pk}/",
        (302, 200, 404, 200, 404, 404, 404, 404, 404),
    ),
    Row(
        "enrolment:import",
        "POST",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/import/",
        (302, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    # jury (tuteur-a sits in A's C2i1 jury as a member, jury-a chairs it; the admin reads)
    Row("deliberation:help", "GET", lambda d: "/jury/aide/", PUBLIC),
    Row("deliberation:home", "GET", lambda d: "/jury/", JURY_READ),
    Row("deliberation:session", "GET", lambda d: f"/jury/sessions/{a_c2i1(d)}/", JURY_READ),
    Row(
        "deliberation:session",
        "GET",
        lambda d: f"/jury/sessions/{d.institution_session('b').pk}/",
        (302, 200, 403, 403, 404, 404, 403, 403, 403),
    ),
    Row("deliberation:grid", "GET", lambda d: f"/jury/sessions/{a_c2i1(d)}/grille/", JURY_READ),
    Row("deliberation:grid", "POST", lambda d: f"/jury/sessions/{a_c2i1(d)}/grille/", JURY_WRITE),
    Row("deliberation:grid_export", "GET", lambda d: f"/jury/sessions/{a_c2i1(d)}/grille.csv", JURY_READ),
    Row("deliberation:grid_import", "POST", lambda d: f"/jury/sessions/{a_c2i1(d)}/grille/import/", JURY_WRITE),
    Row("deliberation:close", "POST", lambda d: f"/jury/sessions/{a_c2i1(d)}/cloture/", JURY_CHAIR),
    Row("deliberation:publish", "POST", lambda d: f"/jury/sessions/{a_c2i1(d)}/publication/", JURY_CHAIR),
    Row(
        "deliberation:minutes",
        "GET",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/proces-verbal.pdf",
        (302, 200, 200, 404, 200, 200, 403, 403, 403),
    ),
    Row(
        "deliberation:candidate",
        "GET",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/candidats/{enrolment_of('candidat-a1')(d)}/",
        JURY_READ,
    ),
    Row(
        "deliberation:candidate",
        "GET",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/candidats/{enrolment_of('candidat-b1')(d)}/",
        (302, 404, 403, 403, 404, 404, 403, 403, 403),
    ),
    Row(
        "deliberation:candidate",
        "POST",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/candidats/{enrolment_of('candidat-a1')(d)}/",
        (302, 403, 403, 403, 400, 400, 403, 403, 403),
    ),
    Row(
        "deliberation:defer",
        "POST",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/candidats/{enrolment_of('candidat-a1')(d)}/ajournement/",
        JURY_CHAIR,
    ),
    Row(
        "deliberation:rectify",
        "POST",
        lambda d: f"/jury/sessions/{a_c2i1(d)}/candidats/{enrolment_of('candidat-a1')(d)}/rectification/",
        JURY_CHAIR,
    ),
    Row(
        "deliberation:jury_setup",
        "GET",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/jury/",
        (302, 200, 200, 404, 403, 403, 403, 403, 403),
    ),
    Row(
        "deliberation:jury_remove",
        "POST",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/jury/{jury_seat('tuteur-a')(d)}/retrait/",
        (302, 302, 302, 404, 403, 403, 403, 403, 403),
    ),
    # portfolio: the candidate's own pages (b1 reaches none of a1's objects)
    Row("portfolio:mine", "GET", lambda d: "/mon-espace/dossier/C2i1/", CANDIDATE_ONLY),
    Row("portfolio:mine", "GET", lambda d: "/mon-espace/dossier/C2i2e/", (302, 403, 403, 403, 403, 403, 403, 404, 404)),
    Row("portfolio:evidence_add", "GET", lambda d: "/mon-espace/dossier/C2i1/elements/ajouter/", CANDIDATE_ONLY),
    Row(
        "portfolio:evidence_add",
        "POST",
        lambda d: "/mon-espace/dossier/C2i1/elements/ajouter/",
        (302, 403, 403, 403, 403, 403, 403, 400, 400),
    ),
    Row(
        "portfolio:evidence",
        "GET",
        lambda d: f"/mon-espace/dossier/C2i1/elements/{item_of('candidat-a1')(d)}/",
        (302, 403, 403, 403, 403, 403, 403, 200, 404),
    ),
    Row(
        "portfolio:evidence_edit",
        "GET",
        lambda d: f"/mon-espace/dossier/C2i1/elements/{item_of('candidat-a1')(d)}/modifier/",
        (302, 403, 403, 403, 403, 403, 403, 200, 404),
    ),
    Row(
        "portfolio:evidence_delete",
        "POST",
        lambda d: f"/mon-espace/dossier/C2i1/elements/{item_of('candidat-a1')(d)}/supprimer/",
        A1_ONLY,
    ),
    Row(
        "portfolio:file_add",
        "POST",
        lambda d: f"/mon-espace/dossier/C2i1/elements/{item_of('candidat-a1')(d)}/fichiers/",
        (302, 403, 403, 403, 403, 403, 403, 400, 404),
    ),
    Row(
        "portfolio:file_delete",
        "POST",
        lambda d: f"/mon-espace/dossier/C2i1/fichiers/{evidence_file_of('candidat-a1')(d)}/supprimer/",
        A1_ONLY,
    ),
    # submit names the enrolment in its data (none here: nobody's enrolment, 404); tests/test_portfolio_submission.py
    Row(
        "portfolio:submit",
        "POST",
        lambda d: "/mon-espace/dossier/C2i1/depot/",
        (302, 403, 403, 403, 403, 403, 403, 404, 404),
    ),
    Row(
        "portfolio:withdraw",
        "POST",
        lambda d: f"/mon-espace/dossier/C2i1/depots/{submission_of('candidat-a1')(d)}/retrait/",
        A1_ONLY,
    ),
    Row("portfolio:export", "GET", lambda d: "/mon-espace/dossier/C2i1/export/", CANDIDATE_ONLY),
    # portfolio: living files, for the candidate and the staff of the institution only
    Row(
        "portfolio:file",
        "GET",
        lambda d: f"/dossiers/fichiers/{evidence_file_of('candidat-a1')(d)}/",
        (302, 403, 200, 404, 200, 403, 403, 200, 404),
    ),
    Row(
        "portfolio:file",
        "GET",
        lambda d: f"/dossiers/fichiers/{evidence_file_of('candidat-b1')(d)}/",
        (302, 403, 404, 200, 404, 403, 403, 404, 200),
    ),
    # portfolio: assessors and correspondents of the institution
    Row("portfolio:staff_list", "GET", lambda d: "/gestion/dossiers/", (302, 403, 200, 200, 200, 403, 403, 403, 403)),
    Row(
        "portfolio:staff_detail",
        "GET",
        lambda d: f"/gestion/dossiers/{portfolio_of('candidat-a1')(d)}/",
        (302, 403, 200, 404, 200, 403, 403, 403, 403),
    ),
    Row(
        "portfolio:staff_detail",
        "GET",
        lambda d: f"/gestion/dossiers/{portfolio_of('candidat-b1')(d)}/",
        (302, 403, 404, 200, 404, 403, 403, 403, 403),
    ),
    Row(
        "portfolio:comment",
        "POST",
        lambda d: (
            f"/gestion/dossiers/{portfolio_of('candidat-a1')(d)}/elements/{item_of('candidat-a1')(d)}/commentaires/"
        ),
        (302, 403, 403, 403, 302, 403, 403, 403, 403),
        data={"body": "Bien documenté."},
    ),
    Row(
        "portfolio:position",
        "POST",
        lambda d: f"/gestion/dossiers/{portfolio_of('candidat-a1')(d)}/positionnements/",
        (302, 403, 403, 403, 400, 403, 403, 403, 403),
    ),
    # portfolio: submitted versions (the admin sits in an older jury elsewhere: it passes the role gate only)
    Row("portfolio:jury_list", "GET", lambda d: "/jury/dossiers/", (302, 200, 403, 403, 200, 200, 403, 403, 403)),
    Row(
        "portfolio:snapshot",
        "GET",
        lambda d: f"/jury/dossiers/{submission_of('candidat-a1')(d)}/",
        (302, 404, 200, 404, 200, 200, 403, 200, 404),
    ),
    Row(
        "portfolio:snapshot",
        "GET",
        lambda d: f"/jury/dossiers/{submission_of('candidat-b1')(d)}/",
        (302, 404, 404, 200, 404, 404, 403, 404, 200),
    ),
    Row(
        "portfolio:snapshot",
        "GET",
        lambda d: f"/jury/dossiers/{submission_of(None, 'withdrawn')(d)}/",
        (302, 404, 200, 404, 200, 404, 403, 404, 404),
    ),
    Row(
        "portfolio:snapshot_file",
        "GET",
        lambda d: f"/jury/dossiers/{snapshot_file_of('candidat-a1')(d)}/",
        (302, 404, 200, 404, 200, 200, 403, 200, 404),
    ),
    Row(
        "portfolio:snapshot_file",
        "GET",
        lambda d: f"/jury/dossiers/{snapshot_file_of('candidat-b1')(d)}/",
        (302, 404, 404, 200, 404, 404, 403, 404, 200),
    ),
    Row("api:openapi-json", "GET", lambda d: "/api/openapi.json", PUBLIC),
    Row("api:openapi-view", "GET", lambda d: "/api/docs", PUBLIC),
    Row("api:list_frameworks", "GET", lambda d: "/api/referentiels", PUBLIC),
    Row("api:get_framework", "GET", lambda d: "/api/referentiels/C2i2e", PUBLIC),
    Row("api:find_institutions", "GET", lambda d: "/api/etablissements?referentiel=C2i1&lieu=69007", PUBLIC),
    Row("credentials:mine", "GET", lambda d: "/mon-espace/documents/", (302, 403, 403, 403, 403, 403, 403, 200, 200)),
    Row(
        "credentials:pdf",
        "GET",
        lambda d: f"/documents/{a1_document(d)}/pdf/",
        (302, 200, 200, 404, 403, 403, 403, 200, 404),
    ),
    Row(
        "credentials:badge",
        "GET",
        lambda d: f"/documents/{a1_document(d)}/open-badge.json",
        (302, 403, 403, 403, 403, 403, 403, 200, 404),
    ),
    Row(
        "credentials:session_documents",
        "GET",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/documents/",
        (302, 200, 200, 404, 403, 403, 403, 403, 403),
    ),
    Row(
        "credentials:session_documents",
        "POST",
        lambda d: f"/gestion/sessions/{a_c2i1(d)}/documents/",
        (302, 302, 302, 404, 403, 403, 403, 403, 403),
    ),
    Row("credentials:verify", "GET", lambda d: "/verifier/", PUBLIC),
    Row("credentials:verify", "POST", lambda d: "/verifier/", PUBLIC),
    Row("credentials:verify_code", "GET", lambda d: f"/verifier/{a1_code(d)}", PUBLIC),
    Row("credentials:verify_code", "GET", lambda d: "/verifier/7KQ2H-XD94M-RC0W7", PUBLIC),
    Row("credentials:issuer", "GET", lambda d: "/emetteur", PUBLIC),
    Row("credentials:key", "GET", lambda d: f"/cles/{signing_key(d)}", PUBLIC),
    Row("api:verify_code", "GET", lambda d: f"/api/verifier/{a1_code(d)}", PUBLIC),
    Row("api:verify_credential", "POST", lambda d: "/api/verifier/credential", PUBLIC),
    # knowledge test: the bank is its authors' (their own questions) and reviewers' (all of it); exams and
    # results are the correspondents' of the institution; sittings are the candidate's own
    Row("assessment:bank", "GET", lambda d: "/banque/questions/", QCM_AUTHORS),
    Row("assessment:question_create", "GET", lambda d: "/banque/questions/nouvelle/", QCM_AUTHORS),
    Row("assessment:import", "GET", lambda d: "/banque/questions/import-export/", QCM_REVIEWERS),
    Row(
        "assessment:import",
        "POST",
        lambda d: "/banque/questions/import-export/",
        (302, 400, 403, 403, 403, 403, 400, 403, 403),
    ),
    Row(
        "assessment:export",
        "GET",
        lambda d: "/banque/questions/export/?framework=C2i1&format=gift&status=validated",
        QCM_REVIEWERS,
    ),
    Row(
        "assessment:question",
        "GET",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'validated')}/",
        (302, 200, 404, 404, 403, 403, 200, 403, 403),
    ),
    Row(
        "assessment:question",
        "GET",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'pending')}/",
        (302, 200, 200, 404, 403, 403, 200, 403, 403),
    ),
    Row(
        "assessment:question_edit",
        "GET",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'refused')}/modifier/",
        (302, 200, 200, 404, 403, 403, 302, 403, 403),
    ),
    Row(
        "assessment:question_submit",
        "POST",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'refused')}/soumettre/",
        (302, 302, 302, 404, 403, 403, 403, 403, 403),
    ),
    Row(
        "assessment:question_review",
        "POST",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'pending')}/avis/",
        (302, 302, 403, 403, 403, 403, 302, 403, 403),
        {"verdict": "approve"},
    ),
    Row(
        "assessment:question_retire",
        "POST",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'validated')}/retirer/",
        (302, 302, 403, 403, 403, 403, 302, 403, 403),
    ),
    Row(
        "assessment:question_image",
        "GET",
        lambda d: f"/banque/questions/{qcm.matrix_question(d, 'validated')}/image/",
        (302, 404, 404, 404, 403, 403, 404, 403, 403),
    ),
    Row("assessment:exams", "GET", lambda d: "/correspondant/epreuves/", (302, 200, 200, 200, 403, 403, 403, 403, 403)),
    Row(
        "assessment:exam_create",
        "GET",
        lambda d: f"/correspondant/epreuves/nouvelle/{d.institution_session('a', 'C2i2ms').pk}/",
        QCM_A,
    ),
    Row("assessment:exam", "GET", lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/", QCM_A),
    Row("assessment:exam_edit", "GET", lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/modifier/", QCM_A),
    Row(
        "assessment:exam_extra_time",
        "POST",
        lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/tiers-temps/",
        QCM_A_POST,
    ),
    Row(
        "assessment:exam_publish",
        "POST",
        lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/publier/",
        QCM_A_POST,
    ),
    Row(
        "assessment:exam_export",
        "GET",
        lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/resultats/?format=csv",
        QCM_A,
    ),
    Row(
        "assessment:exam_statistics",
        "GET",
        lambda d: f"/correspondant/epreuves/{qcm.matrix_exam(d)}/statistiques/",
        QCM_A,
    ),
    Row(
        "assessment:attempt_reopen",
        "GET",
        lambda d: f"/correspondant/epreuves/passages/{qcm.matrix_attempt(d)}/rouvrir/",
        QCM_A,
    ),
    Row("assessment:my_exams", "GET", lambda d: "/mon-espace/epreuves/", CANDIDATE_ONLY),
    Row("assessment:my_exam", "GET", lambda d: f"/mon-espace/epreuves/{qcm.matrix_exam(d)}/", QCM_A1),
    Row("assessment:exam_start", "POST", lambda d: f"/mon-espace/epreuves/{qcm.matrix_exam(d)}/commencer/", A1_ONLY),
    Row("assessment:attempt", "GET", lambda d: f"/mon-espace/epreuves/passages/{qcm.matrix_attempt(d)}/", QCM_A1),
    Row(
        "assessment:answer",
        "POST",
        lambda d: f"/mon-espace/epreuves/passages/{qcm.matrix_attempt(d)}/reponses/1/",
        A1_ONLY,
        {"option": "0"},
    ),
    Row(
        "assessment:attempt_finish",
        "POST",
        lambda d: f"/mon-espace/epreuves/passages/{qcm.matrix_attempt(d)}/terminer/",
        A1_ONLY,
    ),
    Row(
        "assessment:attempt_image",
        "GET",
        lambda d: f"/mon-espace/epreuves/passages/{qcm.matrix_attempt(d)}/images/1/",
        (302, 403, 403, 403, 403, 403, 403, 404, 404),
    ),
    # the API wants JSON: the matrix posts a form, so a signed-in user gets 400; tests/test_assessment_taking.py
    # checks the JSON answers of every role
    Row(
        "api:save_answer",
        "POST",
        lambda d: f"/api/epreuves/passages/{qcm.matrix_attempt(d)}/reponses/1",
        (401, 400, 400, 400, 400, 400, 400, 400, 400),
    ),
    Row(
        "api:attempt_state",
        "GET",
        lambda d: f"/api/epreuves/passages/{qcm.matrix_attempt(d)}",
        (401, 404, 404, 404, 404, 404, 404, 200, 404),
    ),
    Row("admin:index", "GET", lambda d: "/admin/", (302, 200, 302, 302, 302, 302, 302, 302, 302)),
]

CASES = [
    pytest.param(row, i, id=f"{row.method} {row.name} #{n} as {role or 'anonymous'}")
    for n, row in enumerate(ROWS)
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("row", "role_index"), CASES)
def test_access(demo, row: Row, role_index: int) -> None:  # type: ignore[no-untyped-def]
    client = demo.client(ROLES[role_index])
    path = row.path(demo)
    response = client.post(path, row.data or {}) if row.method == "POST" else client.get(path)
    assert response.status_code == row.expected[role_index], (path, ROLES[role_index])


def _names(patterns, namespace: str = ""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(
                pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_named_url_of_the_site_has_a_row() -> None:
    names = {n for n in _names(get_resolver().url_patterns) if not n.startswith("admin:") and n != "api:api-root"}
    assert names - {row.name for row in ROWS} == set()
