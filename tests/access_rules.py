"""The rules of the access matrix: for every URL pattern of the site, who may
use it, on which objects, with which methods, and what each role gets.

A rule names the objects a pattern is tried on ("A": institution A's or
candidat-a1's, "B": institution B's or candidat-b1's, sometimes more) and an
`Audience` per method. The expected answer of a role on an object follows from
the audience:

- a role outside the gate: 403 (anonymous: a redirection to the login page);
- a role past the gate that does not reach the object: 404 (nothing leaks
  about other institutions or other people);
- a role that reaches it: the rule's `ok` answer (200 for a page, 302 for an
  action done, 400 for a form sent empty...).

Exceptions the product makes on purpose are written as `special` entries,
each with its reason. A method a view refuses answers 405 (`NOT_ALLOWED`);
`post=None` means a view without a method decorator: a POST is answered as a
GET (and must be gated the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.access_world import A1, A2, ADMIN, ANON, B1, CA, CB, JA, REV, ROLES, TA, World

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
CANDIDATES = frozenset({A1, A2, B1})
CORRESPONDENTS = frozenset({ADMIN, CA, CB})  # the national administrator manages every institution
AUTHORS = frozenset({ADMIN, REV, CA, CB})  # the question bank
REVIEWERS = frozenset({ADMIN, REV})
STAFF = frozenset({CA, CB, TA})  # correspondents and assessors (portfolios)
# Who sits on a jury: tuteur-a and jury-a (A's C2i1), the admin (an older session at Lille).
# candidat-a1 holds a seat in A's C2i1 jury too, void since they are a candidate of that session
# (finding 4): the jury pages treat them as the candidate they are.
JURY_SEATED = frozenset({ADMIN, TA, JA})

# Who reaches the objects of each side.
OWNER = {"A": frozenset({A1}), "B": frozenset({B1})}
CORRESPONDENT_OF = {"A": frozenset({ADMIN, CA}), "B": frozenset({ADMIN, CB})}
STAFF_OF = {"A": frozenset({CA, TA}), "B": frozenset({CB})}  # portfolios: correspondents and assessors
SESSION_STAFF = {"A": frozenset({ADMIN, CA, TA, JA}), "B": frozenset({ADMIN, CB})}  # staff and jury of a session
JURY_OF = {"A": frozenset({ADMIN, TA, JA}), "B": frozenset({ADMIN})}  # the admin reads every jury

LOGIN = "login"  # 302 to /connexion/?next=...
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=...
NOT_ALLOWED = "405"


def union(*maps: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for m in maps:
        for k, v in m.items():
            out[k] = out.get(k, frozenset()) | v
    return out


@dataclass(frozen=True)
class Audience:
    gate: frozenset[str]
    reach: Mapping[str, frozenset[str]] | None = None  # object -> roles reaching it (None: all past the gate)
    ok: str = "200"
    anonymous: str = LOGIN
    special: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (role, object or "*") -> answer

    def expect(self, role: str, label: str) -> str:
        for key in ((role, label), (role, "*")):
            if key in self.special:
                return self.special[key]
        if role not in self.gate:
            return self.anonymous if role == ANON else "403"
        if self.reach is not None and role not in self.reach.get(label, frozenset()):
            return "404"
        return self.ok


def who(
    gate: frozenset[str] | set[str],
    reach: Mapping[str, frozenset[str]] | None = None,
    ok: str = "200",
    anonymous: str = LOGIN,
    special: Mapping[tuple[str, str], str] | None = None,
    **named: str,
) -> Audience:
    """Exceptions: `special` maps (role, object or "*") to an answer; `named`
    says the same as keywords "role" or "role__object" (dashes as underscores)."""
    parsed: dict[tuple[str, str], str] = dict(special or {})
    for key, answer in named.items():
        role, _, label = key.partition("__")
        parsed[(role.replace("_", "-"), label or "*")] = answer
    return Audience(frozenset(gate), reach, ok, anonymous, parsed)


PUBLIC = who(EVERYONE)
SIGNED = who(SIGNED_IN)
# closing, publishing, deferring, rectifying: the chair of the session's jury (jury-a for A);
# the other jurors and the admin: 403; a jury elsewhere: 404
CHAIR_ONLY = who(JURY_SEATED, JURY_OF, ok="302", admin__A="403", admin__B="403", tuteur_a__A="403")
CHAIR_PAGE = who(JURY_SEATED, JURY_OF, admin__A="403", admin__B="403", tuteur_a__A="403")  # a confirmation page


Path = str | Callable[[World], str]


@dataclass(frozen=True)
class Rule:
    paths: Mapping[str, Path]
    get: Audience | str
    post: Audience | str | None = None  # None: the view answers a POST as a GET
    data: Mapping[str, Any] | None = None
    # what a 200 answer on each object must hold: keys of World.markers ("candidat-a1.ine", that
    # secret's text; "typed-by-b.a1", what B typed; "{role}.ine", the requesting role's own)
    contains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    public_secrets: tuple[str, ...] = ()  # secrets this page shows everyone on purpose (a verification page)
    json: bool = False  # the data is sent as a JSON body

    def audience(self, method: str) -> Audience | str:
        if method == "GET":
            return self.get
        return self.get if self.post is None else self.post

    def expect(self, method: str, role: str, label: str) -> str:
        audience = self.audience(method)
        return audience if isinstance(audience, str) else audience.expect(role, label)


def one(path: Path) -> dict[str, Path]:
    return {"-": path}


def ab(build: Callable[[World, str], str]) -> dict[str, Path]:
    """The same pattern on side A's object and side B's object."""
    return {"A": lambda w: build(w, "a"), "B": lambda w: build(w, "b")}


def _ins(w: World, side: str) -> int:
    return int(getattr(w, f"is_{side}"))


def _neutralisation(w: World, side: str) -> int:
    """A question neutralised in side A's (B's) exam: one drawn in its sitting."""
    from c2i.assessment.models import Attempt, AttemptQuestion, Neutralisation

    attempt = Attempt.objects.get(pk=getattr(w, f"attempt_{side}"))
    item = AttemptQuestion.objects.filter(attempt=attempt).order_by("position").first()
    assert item is not None
    found, _ = Neutralisation.objects.get_or_create(
        exam_id=attempt.exam_id, question_id=item.question_id, lifted_at=None, defaults={"reason": "matrice"}
    )
    return found.pk


# ---------------------------------------------------------------------------
# The rules, by URL name (a pattern without a name: by its route).
# ---------------------------------------------------------------------------


def _room(w: World, side: str) -> int:
    return int(getattr(w, f"room_{side}"))


def _place(w: World, side: str) -> int:
    return int(getattr(w, f"place_{side}"))


def invigilation(ok: str = "200") -> Audience:
    """The invigilation pages: the room's staff reach it; no grant at all: off to the sign-in page."""
    no_grant = {(r, "*"): "302" for r in (ANON, TA, JA, REV, A1, A2, B1)}
    return who(EVERYONE, CORRESPONDENT_OF, ok=ok, special=no_grant)


INVIGILATION = invigilation()

# The API v1's operations need an institution's token (Authorization: Bearer): a page's session is none.
API_TOKEN_ONLY = who(EVERYONE, ok="401", anonymous="401")


def _api_token(w: World, side: str) -> str:
    """The revocation page of an API token of side A's (B's) institution, made if needed."""
    from c2i.api.models import ApiToken
    from c2i.enrolment.models import InstitutionSession

    institution_id = InstitutionSession.objects.get(pk=_ins(w, side)).institution_id
    token, _ = ApiToken.objects.get_or_create(
        institution_id=institution_id,
        name="matrice",
        defaults={"key_id": f"matrix{side}", "secret_hash": "0" * 64, "scopes": ["read"]},
    )
    return f"/gestion/api/jetons/{token.pk}/revocation/"


def _sso_provider(w: World, side: str) -> int:
    """Side A's (B's) institution's sign-on settings (CAS, off), made if needed."""
    from c2i.enrolment.models import InstitutionSession
    from c2i.sso.models import IdentityProvider

    institution_id = InstitutionSession.objects.get(pk=_ins(w, side)).institution_id
    provider, _ = IdentityProvider.objects.get_or_create(
        institution_id=institution_id, defaults={"protocol": "cas", "cas_server_url": "https://cas.example.fr/cas/"}
    )
    return provider.pk


def _sso_conflict(w: World, side: str) -> int:
    """A sign-in conflict of side A's (B's) institution, made if needed."""
    from c2i.sso.models import SignInConflict

    conflict, _ = SignInConflict.objects.get_or_create(
        provider_id=_sso_provider(w, side), subject=f"matrice-{side}", defaults={"reason": "matrice"}
    )
    return conflict.pk


ANONYMOUS_ONLY = who(EVERYONE, special={(r, "*"): "302" for r in SIGNED_IN})  # signed in: off to one's space

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    # --- the site ---------------------------------------------------------
    "home": Rule(one("/"), PUBLIC),
    "accessibility": Rule(one("/accessibilite/"), PUBLIC),
    "ping": Rule(one("/ping/"), PUBLIC),
    # the load balancer's probe: public, read-only, says nothing about anyone
    "health": Rule(one("/sante/"), PUBLIC, NOT_ALLOWED),
    # Prometheus sends C2I_METRICS_TOKEN (tests/test_operations.py); without it, no such page, for everyone
    "metrics": Rule(one("/metriques/"), "404", NOT_ALLOWED),
    # --- accounts ---------------------------------------------------------
    "accounts:login": Rule(one("/connexion/"), ANONYMOUS_ONLY),
    "accounts:logout": Rule(one("/deconnexion/"), NOT_ALLOWED, who(EVERYONE, ok="302")),
    "enrolment:register": Rule(one("/inscription/"), ANONYMOUS_ONLY),
    "accounts:dashboard": Rule(one("/mon-espace/"), SIGNED),
    "accounts:password_change": Rule(one("/mon-espace/mot-de-passe/"), SIGNED),
    # the second step of a login: with no login under way, back to the login page (everyone)
    "accounts:login_code": Rule(one("/connexion/code/"), who(EVERYONE, ok=LOGIN)),
    # the second step of a registration: with none under way, back to its first step; signed in: one's space
    "enrolment:register_code": Rule(one("/inscription/code/"), who(EVERYONE, ok="302")),
    "accounts:two_factor": Rule(one("/mon-espace/double-authentification/"), SIGNED),
    # the recovery codes are shown once, after they are made: otherwise back to the 2FA page
    "accounts:two_factor_codes": Rule(
        one("/mon-espace/double-authentification/codes-de-secours/"), who(SIGNED_IN, ok="302")
    ),
    "accounts:two_factor_disable": Rule(
        one("/mon-espace/double-authentification/desactiver/"), NOT_ALLOWED, who(SIGNED_IN, ok="302")
    ),
    "accounts:password_reset": Rule(one("/mot-de-passe/oublie/"), PUBLIC),
    "accounts:password_reset_done": Rule(one("/mot-de-passe/oublie/envoye/"), PUBLIC, NOT_ALLOWED),
    "accounts:password_reset_confirm": Rule(one("/mot-de-passe/nouveau/MQ/lien-perime/"), PUBLIC),
    "accounts:password_reset_complete": Rule(one("/mot-de-passe/nouveau/fait/"), PUBLIC, NOT_ALLOWED),
    # --- frameworks, institutions, sessions (public) -----------------------
    "frameworks:list": Rule(one("/referentiels/"), PUBLIC),
    "frameworks:detail": Rule(one("/referentiels/C2i1/"), PUBLIC),
    "institutions:directory": Rule(one("/etablissements/?place=Lyon"), PUBLIC),
    "institutions:detail": Rule(one("/etablissements/0692437Z/"), PUBLIC),
    "enrolment:sessions": Rule(one("/sessions/"), PUBLIC),
    "enrolment:session": Rule(one(lambda w: f"/sessions/{w.session_c2i1}/"), PUBLIC),
    # --- enrolment: candidates --------------------------------------------
    # enrol: anyone signed in may ask; staff are told they are not candidates, R5 refuses a
    # second C2i1 enrolment (a message and a redirection each time)
    "enrolment:enrol": Rule(
        ab(lambda w, s: f"/sessions/etablissement/{_ins(w, s)}/inscription/"), NOT_ALLOWED, who(SIGNED_IN, ok="302")
    ),
    "enrolment:my_space": Rule(one("/mon-espace/certification/"), who(CANDIDATES)),
    "enrolment:withdraw": Rule(
        ab(lambda w, s: f"/mon-espace/inscriptions/{getattr(w, f'enr_{s}1')}/retrait/"),
        who(CANDIDATES, OWNER),  # GET: the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    # invitations: "A" is B's invitation to candidat-a1's address (the hostile import), "B" is A's
    # invitation to candidat-b1's; only the candidate account with that address answers it
    "enrolment:confirm": Rule(
        ab(lambda w, s: f"/mon-espace/invitations/{getattr(w, f'inv_{s}')}/confirmer/"),
        NOT_ALLOWED,
        who(CANDIDATES, OWNER, ok="302"),
    ),
    "enrolment:decline": Rule(
        ab(lambda w, s: f"/mon-espace/invitations/{getattr(w, f'inv_{s}')}/refuser/"),
        who(CANDIDATES, OWNER),  # GET: the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    # --- enrolment: correspondents ----------------------------------------
    "enrolment:correspondent": Rule(one("/correspondant/"), who(CORRESPONDENTS)),
    "enrolment:open_session": Rule(
        {
            "A": lambda w: f"/correspondant/etablissements/{w.inst_a}/sessions/{w.session_c2i2e}/ouvrir/",
            "B": lambda w: f"/correspondant/etablissements/{w.inst_b}/sessions/{w.session_c2i2e}/ouvrir/",
        },
        who(CORRESPONDENTS, CORRESPONDENT_OF),  # a POST without data: the form again
    ),
    "enrolment:staff_sessions": Rule(one("/gestion/sessions/"), who(CORRESPONDENTS | {TA, JA} | JURY_SEATED)),
    "enrolment:institution_session": (
        Rule(ab(lambda w, s: f"/gestion/sessions/{_ins(w, s)}/"), who(SIGNED_IN, SESSION_STAFF)),
        Rule(
            {
                "A.csv": lambda w: f"/gestion/sessions/{w.is_a}/?export=csv",
                "B.csv": lambda w: f"/gestion/sessions/{w.is_b}/?export=csv",
                "A.xlsx": lambda w: f"/gestion/sessions/{w.is_a}/?export=xlsx",
                "B.xlsx": lambda w: f"/gestion/sessions/{w.is_b}/?export=xlsx",
            },
            # exports are the correspondents': the session's assessors and jury read the page only
            who(
                SIGNED_IN,
                {f"{side}.{kind}": SESSION_STAFF[side] for side in "AB" for kind in ("csv", "xlsx")},
                special={(role, f"A.{kind}"): "403" for role in (TA, JA) for kind in ("csv", "xlsx")},
            ),
            # and B's shows what B typed for its invitations (finding 1), never the stored person
            contains={
                "A.csv": ("candidat-a1.ine", "candidat-a2.name"),
                "A.xlsx": ("candidat-a1.ine", "candidat-a2.name"),
                "B.csv": ("candidat-b1.ine", "typed-by-b.a1", "typed-by-b.a2"),
                "B.xlsx": ("candidat-b1.ine", "typed-by-b.a1", "typed-by-b.a2"),
            },
        ),
    ),
    "enrolment:import": Rule(
        ab(lambda w, s: f"/gestion/sessions/{_ins(w, s)}/import/"),
        who(SIGNED_IN, CORRESPONDENT_OF),  # the import form (a reload of its report)
        who(SIGNED_IN, CORRESPONDENT_OF, ok="400"),
    ),
    # an enrolment's exam adjustments: its institution's correspondents and the admin; a POST
    # without data is the form again with its errors
    "enrolment:adjustments": Rule(
        ab(lambda w, s: f"/gestion/inscriptions/{getattr(w, f'enr_{s}1')}/amenagements/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="400"),
    ),
    # --- deliberation -----------------------------------------------------
    "deliberation:help": Rule(one("/jury/aide/"), PUBLIC),
    # candidat-a1's void seat: the jury page tells them why they do not sit (and shows nothing else)
    "deliberation:home": Rule(one("/jury/"), who(JURY_SEATED, candidat_a1="200")),
    "deliberation:session": Rule(ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/"), who(JURY_SEATED, JURY_OF)),
    "deliberation:grid": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/grille/"),
        who(JURY_SEATED, JURY_OF),
        # the jurors record; the admin reads only (403)
        who(JURY_SEATED, JURY_OF, ok="302", admin__A="403", admin__B="403"),
    ),
    "deliberation:grid_export": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/grille.csv"),
        who(JURY_SEATED, JURY_OF),
        contains={"A": ("candidat-a1.name", "candidat-a2.name"), "B": ("candidat-b1.name",)},
    ),
    "deliberation:grid_import": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/grille/import/"),
        NOT_ALLOWED,
        who(JURY_SEATED, JURY_OF, ok="302", admin__A="403", admin__B="403"),
    ),
    "deliberation:close": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/cloture/"),
        CHAIR_PAGE,  # GET: the confirmation page, with its counts
        # the chair reaches the service, which refuses (A: candidates still undecided; B: already
        # published): the confirmation page again, 400, the reason as typed
        who(JURY_SEATED, JURY_OF, ok="400", admin__A="403", admin__B="403", tuteur_a__A="403"),
        data={"reason": "Jury avancé (matrice d'accès)."},
    ),
    "deliberation:publish": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/publication/"),
        CHAIR_PAGE,  # GET: the confirmation page, with its counts
        CHAIR_ONLY,
    ),
    "deliberation:minutes": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/proces-verbal.pdf"),
        # the jury, the correspondents of the institution, the admin; elsewhere: 404 for
        # jurors and correspondents, 403 for the other roles
        who({ADMIN, CA, CB, TA, JA}, {"A": frozenset({ADMIN, CA, TA, JA}), "B": frozenset({ADMIN, CB})}),
    ),
    "deliberation:candidate": Rule(
        {
            "A": lambda w: f"/jury/sessions/{w.is_a}/candidats/{w.enr_a1}/",
            "A2": lambda w: f"/jury/sessions/{w.is_a}/candidats/{w.enr_a2}/",
            "B": lambda w: f"/jury/sessions/{w.is_b}/candidats/{w.enr_b1}/",
            "A-B": lambda w: f"/jury/sessions/{w.is_a}/candidats/{w.enr_b1}/",
        },
        who(JURY_SEATED, {"A": JURY_OF["A"], "A2": JURY_OF["A"], "B": JURY_OF["B"]}),
        # a juror's decision sent empty: 400; the admin reads only
        who(
            JURY_SEATED,
            {"A": JURY_OF["A"], "A2": JURY_OF["A"], "B": JURY_OF["B"]},
            ok="400",
            admin__A="403",
            admin__A2="403",
            admin__B="403",
        ),
    ),
    # the candidate's result page: their own enrolment only (a1's and b1's C2i1 enrolments)
    "deliberation:my_result": Rule(
        ab(lambda w, s: f"/mon-espace/resultats/{getattr(w, f'enr_{s}1')}/"), who(CANDIDATES, OWNER)
    ),
    "deliberation:defer": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/candidats/{getattr(w, f'enr_{s}1')}/ajournement/"),
        NOT_ALLOWED,
        CHAIR_ONLY,
    ),
    "deliberation:rectify": Rule(
        ab(lambda w, s: f"/jury/sessions/{_ins(w, s)}/candidats/{getattr(w, f'enr_{s}1')}/rectification/"),
        NOT_ALLOWED,
        CHAIR_ONLY,
    ),
    "deliberation:jury_setup": Rule(
        ab(lambda w, s: f"/gestion/sessions/{_ins(w, s)}/jury/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),  # a POST without data: the form again
    ),
    "deliberation:jury_remove": Rule(
        ab(lambda w, s: f"/gestion/sessions/{_ins(w, s)}/jury/{getattr(w, f'seat_{s}')}/retrait/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),  # GET: the confirmation page
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    # --- portfolio: the candidate's own pages ------------------------------
    "portfolio:mine": Rule(
        {"A": "/mon-espace/dossier/C2i1/", "C2i2e": "/mon-espace/dossier/C2i2e/"},
        who(CANDIDATES, {"A": CANDIDATES}),
    ),
    "portfolio:evidence_add": Rule(
        one("/mon-espace/dossier/C2i1/elements/ajouter/"), who(CANDIDATES), who(CANDIDATES, ok="400")
    ),
    "portfolio:evidence": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/elements/{getattr(w, f'item_{s}')}/"), who(CANDIDATES, OWNER)
    ),
    "portfolio:evidence_edit": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/elements/{getattr(w, f'item_{s}')}/modifier/"),
        who(CANDIDATES, OWNER),
        who(CANDIDATES, OWNER, ok="400"),
    ),
    "portfolio:evidence_delete": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/elements/{getattr(w, f'item_{s}')}/supprimer/"),
        who(CANDIDATES, OWNER),  # GET: the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    "portfolio:file_add": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/elements/{getattr(w, f'item_{s}')}/fichiers/"),
        NOT_ALLOWED,
        who(CANDIDATES, OWNER, ok="400"),
    ),
    "portfolio:file_delete": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/fichiers/{getattr(w, f'file_{s}')}/supprimer/"),
        who(CANDIDATES, OWNER),  # GET: the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    # submit names the enrolment in its data (none here: nobody's enrolment, 404)
    "portfolio:submit": Rule(one("/mon-espace/dossier/C2i1/depot/"), NOT_ALLOWED, who(CANDIDATES, {}, ok="302")),
    "portfolio:withdraw": Rule(
        ab(lambda w, s: f"/mon-espace/dossier/C2i1/depots/{getattr(w, f'submission_{s}')}/retrait/"),
        who(CANDIDATES, OWNER),  # GET: the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    "portfolio:export": Rule(one("/mon-espace/dossier/C2i1/export/"), who(CANDIDATES)),
    # --- portfolio: living files, staff pages ------------------------------
    "portfolio:file": Rule(
        ab(lambda w, s: f"/dossiers/fichiers/{getattr(w, f'file_{s}')}/"),
        who(CANDIDATES | STAFF, union(OWNER, STAFF_OF)),
    ),
    "portfolio:staff_list": Rule(one("/gestion/dossiers/"), who(STAFF)),
    "portfolio:staff_detail": Rule(
        ab(lambda w, s: f"/gestion/dossiers/{getattr(w, f'portfolio_{s}')}/"), who(STAFF, STAFF_OF)
    ),
    "portfolio:comment": Rule(
        ab(
            lambda w, s: (
                f"/gestion/dossiers/{getattr(w, f'portfolio_{s}')}/elements/{getattr(w, f'item_{s}')}/commentaires/"
            )
        ),
        NOT_ALLOWED,
        # the assessors comment; a correspondent reads only (403 on its own institution's)
        who({TA}, {"A": frozenset({TA}), "B": frozenset()}, ok="302"),
        data={"body": "Bien documenté."},
    ),
    "portfolio:position": Rule(
        ab(lambda w, s: f"/gestion/dossiers/{getattr(w, f'portfolio_{s}')}/positionnements/"),
        NOT_ALLOWED,
        who({TA}, {"A": frozenset({TA}), "B": frozenset()}, ok="400"),
    ),
    # --- portfolio: submitted versions (R9) --------------------------------
    "portfolio:jury_list": Rule(one("/jury/dossiers/"), who(JURY_SEATED)),
    "portfolio:snapshot": Rule(
        {
            "A": lambda w: f"/jury/dossiers/{w.submission_a}/",
            "B": lambda w: f"/jury/dossiers/{w.submission_b}/",
            "A-withdrawn": lambda w: f"/jury/dossiers/{w.submission_withdrawn_a}/",
        },
        who(
            CANDIDATES | STAFF | JURY_SEATED,
            {
                "A": frozenset({A1, CA, TA, JA}),
                "B": frozenset({B1, CB}),
                "A-withdrawn": frozenset({CA, TA}),  # a withdrawn version: the staff, not the jury
            },
        ),
    ),
    "portfolio:snapshot_file": Rule(
        ab(lambda w, s: f"/jury/dossiers/{getattr(w, f'submission_{s}')}/fichiers/{getattr(w, f'snapfile_{s}')}/"),
        who(CANDIDATES | STAFF | JURY_SEATED, {"A": frozenset({A1, CA, TA, JA}), "B": frozenset({B1, CB})}),
    ),
    # --- credentials ------------------------------------------------------
    "credentials:mine": Rule(one("/mon-espace/documents/"), who(CANDIDATES)),
    "credentials:pdf": Rule(
        ab(lambda w, s: f"/documents/{getattr(w, f'doc_{s}')}/pdf/"),
        who(CANDIDATES | CORRESPONDENTS, union(OWNER, CORRESPONDENT_OF)),
    ),
    "credentials:badge": Rule(
        ab(lambda w, s: f"/documents/{getattr(w, f'doc_{s}')}/open-badge.json"), who(CANDIDATES, OWNER)
    ),
    "credentials:session_documents": Rule(
        {
            "A": lambda w: f"/gestion/sessions/{w.is_a_ms}/documents/",
            "B": lambda w: f"/gestion/sessions/{w.is_b}/documents/",
        },
        who(CORRESPONDENTS, CORRESPONDENT_OF),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    # revoking: the national administrator only; GET asks the reason, a POST without it: 400
    "credentials:revoke": Rule(
        ab(lambda w, s: f"/gestion/documents/{getattr(w, f'doc_{s}')}/revocation/"),
        who({ADMIN}),
        who({ADMIN}, ok="400"),
    ),
    "credentials:verify": Rule(one("/verifier/"), PUBLIC, who(EVERYONE, ok="200")),
    "credentials:verify_code": Rule(
        {
            "A": lambda w: f"/verifier/{w.code_a}",
            "B": lambda w: f"/verifier/{w.code_b}",
            "unknown": "/verifier/7KQ2H-XD94M-RC0W7",
        },
        PUBLIC,
        # the public verification shows the holder's name: that is its purpose
        public_secrets=("candidat-a1.name", "candidat-b1.name"),
    ),
    "credentials:issuer": Rule(one("/emetteur"), PUBLIC),
    "credentials:key": Rule(one(lambda w: f"/cles/{w.key_id}"), PUBLIC),
    # the W3C Bitstring Status List holding the world's documents (list 0): public, read by any verifier
    "credentials:status_list": Rule(one("/statut/0"), PUBLIC),
    # --- assessment: the bank --------------------------------------------
    "assessment:bank": Rule(one("/banque/questions/"), who(AUTHORS)),
    "assessment:question_create": Rule(one("/banque/questions/nouvelle/"), who(AUTHORS), who(AUTHORS, ok="400")),
    "assessment:import": Rule(one("/banque/questions/import-export/"), who(REVIEWERS), who(REVIEWERS, ok="400")),
    "assessment:export": Rule(
        one("/banque/questions/export/?framework=C2i1&format=gift&status=validated"), who(REVIEWERS)
    ),
    "assessment:question": Rule(
        {
            "validated": lambda w: f"/banque/questions/{w.q_validated}/",
            "A": lambda w: f"/banque/questions/{w.q_pending_a}/",
        },
        # authors reach their own questions, reviewers the whole bank
        who(AUTHORS, {"validated": REVIEWERS, "A": REVIEWERS | {CA}}),
    ),
    "assessment:question_edit": Rule(
        {"A": lambda w: f"/banque/questions/{w.q_refused_a}/modifier/"},
        who(AUTHORS, {"A": REVIEWERS | {CA}}, relecteur="302"),
        who(AUTHORS, {"A": REVIEWERS | {CA}}, ok="400", relecteur="302"),
    ),
    "assessment:question_submit": Rule(
        {"A": lambda w: f"/banque/questions/{w.q_refused_a}/soumettre/"},
        NOT_ALLOWED,
        who(AUTHORS, {"A": REVIEWERS | {CA}}, ok="302", relecteur="403"),
    ),
    "assessment:question_review": Rule(
        {"A": lambda w: f"/banque/questions/{w.q_pending_a}/avis/"},
        NOT_ALLOWED,
        who(REVIEWERS, ok="302"),
        data={"verdict": "approve"},
    ),
    "assessment:question_retire": Rule(
        {"validated": lambda w: f"/banque/questions/{w.q_validated}/retirer/"},
        who(REVIEWERS),  # GET: the confirmation page
        who(REVIEWERS, ok="302"),
    ),
    "assessment:question_image": Rule(
        {"validated": lambda w: f"/banque/questions/{w.q_validated}/image/"},
        # no image on that question: 404 for those who reach it
        who(AUTHORS, {"validated": REVIEWERS}, ok="404"),
    ),
    # --- assessment: exams (correspondents) -------------------------------
    "assessment:exams": Rule(one("/correspondant/epreuves/"), who(CORRESPONDENTS)),
    "assessment:exam_create": Rule(
        {
            "A": lambda w: f"/correspondant/epreuves/nouvelle/{w.is_a_ms}/",
            "B": lambda w: f"/correspondant/epreuves/nouvelle/{w.is_b_e}/",
        },
        who(CORRESPONDENTS, CORRESPONDENT_OF),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="400"),
    ),
    "assessment:exam": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/"), who(CORRESPONDENTS, CORRESPONDENT_OF)
    ),
    # both exams are open: their definition is frozen (a message and back to the exam)
    "assessment:exam_edit": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/modifier/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    "assessment:exam_extra_time": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/tiers-temps/"),
        NOT_ALLOWED,
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    "assessment:exam_publish": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/publier/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),  # GET: the confirmation page, with its counts
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    "assessment:exam_export": Rule(
        {
            "A": lambda w: f"/correspondant/epreuves/{w.exam_a}/resultats/?format=csv",
            "B": lambda w: f"/correspondant/epreuves/{w.exam_b}/resultats/?format=csv",
            "A.xlsx": lambda w: f"/correspondant/epreuves/{w.exam_a}/resultats/?format=xlsx",
        },
        who(CORRESPONDENTS, {**CORRESPONDENT_OF, "A.xlsx": CORRESPONDENT_OF["A"]}),
        contains={
            "A": ("candidat-a1.name", "candidat-a2.name"),
            "B": ("candidat-b1.name",),
            "A.xlsx": ("candidat-a1.name", "candidat-a2.name"),
        },
    ),
    "assessment:exam_statistics": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/statistiques/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),
    ),
    # GET confirms (which question: without one, back to the statistics with a message), POST
    # neutralises; the author or the national administrator only (the service refuses the others)
    "assessment:exam_neutralise": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/neutraliser/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    "assessment:neutralisation_lift": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/neutralisations/{_neutralisation(w, s)}/lever/"),
        NOT_ALLOWED,
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    "assessment:attempt_reopen": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/passages/{getattr(w, f'attempt_{s}')}/rouvrir/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="400"),
    ),
    "assessment:exam_rooms": Rule(
        ab(lambda w, s: f"/correspondant/epreuves/{getattr(w, f'exam_{s}')}/salles/"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="400"),  # no action named: refused
    ),
    # --- assessment: the exam day's invigilation (issue 13) ----------------
    # No role: a room's code and password in the session, or a staff account of the institution
    # (its correspondents, the admin). No grant at all: to the sign-in page (302); a staff account
    # of another institution: 404. The grants themselves: tests/test_invigilation_access.py.
    "assessment:invigilation_sign_in": Rule(one("/surveillance/"), PUBLIC, who(EVERYONE, ok="400")),
    "assessment:invigilation_sign_out": Rule(one("/surveillance/sortie/"), NOT_ALLOWED, who(EVERYONE, ok="302")),
    "assessment:invigilation_room": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/"), INVIGILATION, NOT_ALLOWED
    ),
    "assessment:invigilation_list": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/liste/"), INVIGILATION, NOT_ALLOWED
    ),
    "assessment:invigilation_incident": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/incidents/"),
        INVIGILATION,
        invigilation(ok="400"),  # the report's text is required
    ),
    "assessment:invigilation_admit": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/places/{_place(w, s)}/admettre/"),
        INVIGILATION,
        invigilation(ok="302"),
    ),
    "assessment:invigilation_resume": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/places/{_place(w, s)}/reprendre/"),
        INVIGILATION,
        invigilation(ok="400"),  # the reason is required
    ),
    "assessment:invigilation_end": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/places/{_place(w, s)}/terminer/"),
        INVIGILATION,
        invigilation(ok="400"),  # the reason is required
    ),
    "assessment:invigilation_help": Rule(
        ab(lambda w, s: f"/surveillance/salles/{_room(w, s)}/places/{_place(w, s)}/aide/"),
        INVIGILATION,
        invigilation(ok="302"),
    ),
    # --- assessment: the candidate's test ---------------------------------
    "assessment:my_exams": Rule(one("/mon-espace/epreuves/"), who(CANDIDATES)),
    "assessment:my_exam": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/{getattr(w, f'exam_{s}')}/"),
        who(CANDIDATES, {"A": frozenset({A1, A2}), "B": frozenset({B1})}),  # the candidates of the session
    ),
    "assessment:exam_start": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/{getattr(w, f'exam_{s}')}/commencer/"),
        NOT_ALLOWED,
        who(CANDIDATES, {"A": frozenset({A1, A2}), "B": frozenset({B1})}, ok="302"),
    ),
    "assessment:attempt": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/"), who(CANDIDATES, OWNER)
    ),
    # the exam day (issue 13): the waiting page's status (JSON), the sitting's status (JSON, the
    # page's poll) and its « J'ai besoin d'aide » (back to the sitting's page, said there)
    "assessment:my_exam_status": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/{getattr(w, f'exam_{s}')}/etat/"),
        who(CANDIDATES, {"A": frozenset({A1, A2}), "B": frozenset({B1})}),  # the candidates of the session
        NOT_ALLOWED,
    ),
    # the sitting's status is polled by every candidate of a room: its owner is its only gate (no role
    # lookup), JSON 401 when signed out, 404 for anyone else, as the answers' JSON
    "assessment:attempt_status": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/etat/"),
        who(SIGNED_IN, OWNER, anonymous="401"),
        NOT_ALLOWED,
    ),
    "assessment:attempt_help": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/aide/"),
        NOT_ALLOWED,
        who(CANDIDATES, OWNER, ok="302"),
    ),
    "assessment:answer": (
        Rule(
            ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/reponses/1/"),
            NOT_ALLOWED,
            who(CANDIDATES, OWNER, ok="302"),
            data={"option": "0"},
        ),
        # what exam.js sends (JSON): the answer fast path (c2i/assessment/middleware.py) answers in
        # JSON like the API: 401 anonymous, 404 for any sitting but one's own
        Rule(
            {
                "A.json": lambda w: f"/mon-espace/epreuves/passages/{w.attempt_a}/reponses/1/",
                "B.json": lambda w: f"/mon-espace/epreuves/passages/{w.attempt_b}/reponses/1/",
            },
            NOT_ALLOWED,
            who(SIGNED_IN, {"A.json": OWNER["A"], "B.json": OWNER["B"]}, anonymous="401"),
            data={"ticked": [0]},
            json=True,
        ),
    ),
    "assessment:attempt_finish": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/terminer/"),
        who(CANDIDATES, OWNER),  # GET: « Remettre votre copie ? », the confirmation page
        who(CANDIDATES, OWNER, ok="302"),
    ),
    "assessment:attempt_image": Rule(
        ab(lambda w, s: f"/mon-espace/epreuves/passages/{getattr(w, f'attempt_{s}')}/images/1/"),
        who(CANDIDATES, OWNER, ok="404"),  # no image in the first question
    ),
    # --- privacy: the audit trail, erasure requests (admin), a candidate's own data ---
    # (these views check the role before the method: 405 only past the gate)
    "privacy:audit_trail": Rule(one("/administration/journal/"), who({ADMIN}), who({ADMIN}, ok="302")),
    "privacy:audit_export": Rule(one("/administration/journal/export/"), who({ADMIN}), who({ADMIN}, ok="405")),
    "privacy:erasure_requests": Rule(one("/administration/effacements/"), who({ADMIN}), who({ADMIN}, ok="405")),
    "privacy:erasure_request": Rule(
        one(lambda w: f"/administration/effacements/{w.erasure}/"), who({ADMIN}), who({ADMIN}, ok="200")
    ),
    "privacy:my_data": Rule(one("/mon-espace/donnees/"), who(CANDIDATES), who(CANDIDATES, ok="302")),
    # the archive of one's data: one's own, nobody else's (the secrets' check), and one's INE in it
    "privacy:my_data_archive": Rule(
        one("/mon-espace/donnees/archive.zip"),
        who(CANDIDATES),
        who(CANDIDATES, ok="405"),
        contains={"-": ("{role}.ine",)},
    ),
    # --- institution sign-on (c2i/sso: CAS here; SAML in its own rules) ----
    "sso:choose": Rule(one("/connexion/etablissement/?q=Lyon"), PUBLIC),
    # no institution has its sign-on enabled in the demo: nothing to start, nothing to come back to
    "sso:cas_login": Rule(one("/connexion/etablissement/cas/?institution=0692437Z"), who(EVERYONE, ok="404")),
    "sso:cas_callback": Rule(
        one("/connexion/etablissement/cas/0692437Z/retour/?ticket=ST-1"),
        who(EVERYONE, ok="404"),
        who(EVERYONE, ok="404"),
    ),
    "sso:cas_logout": Rule(
        one("/connexion/etablissement/cas/deconnexion/?institution=0692437Z"), who(EVERYONE, ok="404")
    ),
    # a person without a pending institution identity is sent on to their space
    "sso:complete_profile": Rule(one("/connexion/etablissement/profil/"), who(SIGNED_IN, ok="302")),
    "sso:providers": Rule(one("/gestion/connexion-etablissements/"), who({ADMIN})),
    "sso:provider_create": Rule(one("/gestion/connexion-etablissements/nouvelle/"), who({ADMIN})),
    "sso:provider_edit": Rule(
        ab(lambda w, s: f"/gestion/connexion-etablissements/{_sso_provider(w, s)}/"), who({ADMIN})
    ),
    "sso:conflicts": Rule(one("/correspondant/conflits-de-connexion/"), who(CORRESPONDENTS)),
    # an empty note: back to the list with the message (302), nothing settled
    "sso:conflict_resolve": Rule(
        ab(lambda w, s: f"/correspondant/conflits-de-connexion/{_sso_conflict(w, s)}/regle/"),
        NOT_ALLOWED,
        who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302"),
    ),
    # SAML 2 (c2i/sso/saml_views.py): no institution uses SAML in the demo, nothing to start (404);
    # the ACS and the logout service without a SAML message say where to start (400); the SP's
    # metadata is public; the SAML logout without an IdP session is a local logout, back home (302)
    "sso:saml_login": Rule(
        one("/connexion/etablissement/saml/?institution=0692437Z"),
        who(EVERYONE, ok="404", anonymous="404"),
        NOT_ALLOWED,
    ),
    "sso:saml_acs": Rule(
        one("/connexion/etablissement/saml/acs/"), NOT_ALLOWED, who(EVERYONE, ok="400", anonymous="400")
    ),
    "sso:saml_metadata": Rule(one("/connexion/etablissement/saml/metadonnees/"), PUBLIC, NOT_ALLOWED),
    # the platform's log-out form, handed over by a 307 (c2i/sso/middleware.py): POST only
    "sso:saml_logout": Rule(
        one("/connexion/etablissement/saml/deconnexion/"),
        who(SIGNED_IN, ok=NOT_ALLOWED, anonymous="302"),  # signed out already: off to the home page
        who(EVERYONE, ok="302", anonymous="302"),
    ),
    "sso:saml_sls": Rule(
        one("/connexion/etablissement/saml/sls/"),
        who(EVERYONE, ok="400", anonymous="400"),
        who(EVERYONE, ok="400", anonymous="400"),
    ),
    # --- statistics: the national dashboard (admin), an institution beside the nation, the public figures ---
    "statistics:national": Rule(one("/pilotage/"), who({ADMIN})),
    "statistics:national_export": Rule(one("/pilotage/export/domaines.csv"), who({ADMIN})),
    "statistics:refresh": Rule(one("/pilotage/actualiser/"), NOT_ALLOWED, who({ADMIN}, ok="302")),
    # the admin is sent to the national dashboard, a correspondent to their institution's page
    "statistics:my_institution": Rule(one("/pilotage/mon-etablissement/"), who(CORRESPONDENTS, ok="302")),
    "statistics:institution": Rule(
        ab(lambda w, s: f"/pilotage/etablissements/{_institution_of(w, s)}/"), who(CORRESPONDENTS, CORRESPONDENT_OF)
    ),
    "statistics:institution_export": Rule(
        ab(lambda w, s: f"/pilotage/etablissements/{_institution_of(w, s)}/export/chiffres.xlsx"),
        who(CORRESPONDENTS, CORRESPONDENT_OF),
    ),
    "statistics:public": Rule(one("/chiffres-cles/"), PUBLIC),
    "statistics:public_export": Rule(one("/chiffres-cles/export/chiffres.csv"), PUBLIC),
    "statistics:open_data": Rule(one("/chiffres-cles/donnees/c2i-chiffres-cles.csv"), PUBLIC),
    "statistics:open_data_domains": Rule(one("/chiffres-cles/donnees/c2i-chiffres-cles-domaines.csv"), PUBLIC),
    "statistics:dictionary": Rule(one("/chiffres-cles/dictionnaire/"), PUBLIC),
    "statistics:dictionary_csv": Rule(one("/chiffres-cles/dictionnaire.csv"), PUBLIC),
    # --- the API (django-ninja) --------------------------------------------
    "api:api-root": Rule(one("/api/"), who(EVERYONE, ok="404")),
    # the schema and its documentation answer any method
    "api:openapi-json": Rule(one("/api/openapi.json"), PUBLIC),
    "api:openapi-view": Rule(one("/api/docs"), PUBLIC),
    "api:list_frameworks": Rule(one("/api/referentiels"), PUBLIC, NOT_ALLOWED),
    "api:get_framework": Rule(one("/api/referentiels/C2i2e"), PUBLIC, NOT_ALLOWED),
    "api:find_institutions": Rule(one("/api/etablissements?referentiel=C2i1&lieu=69007"), PUBLIC, NOT_ALLOWED),
    "api:verify_code": Rule(
        ab(lambda w, s: f"/api/verifier/{getattr(w, f'code_{s}')}"),
        PUBLIC,
        NOT_ALLOWED,
        public_secrets=("candidat-a1.name", "candidat-b1.name"),
    ),
    "api:verify_credential": Rule(one("/api/verifier/credential"), NOT_ALLOWED, who(EVERYONE)),
    # the API wants JSON: a form posted by a signed-in user is a 400 (tests/test_assessment_taking.py
    # checks the JSON answers of every role); anonymous: 401
    "api:save_answer": (
        Rule(
            ab(lambda w, s: f"/api/epreuves/passages/{getattr(w, f'attempt_{s}')}/reponses/1"),
            NOT_ALLOWED,
            who(SIGNED_IN, ok="400", anonymous="401"),
        ),
        Rule(
            {
                "A.json": lambda w: f"/api/epreuves/passages/{w.attempt_a}/reponses/1",
                "B.json": lambda w: f"/api/epreuves/passages/{w.attempt_b}/reponses/1",
            },
            NOT_ALLOWED,
            who(SIGNED_IN, {"A.json": OWNER["A"], "B.json": OWNER["B"]}, anonymous="401"),
            data={"ticked": [0]},
            json=True,
        ),
    ),
    "api:attempt_state": Rule(
        ab(lambda w, s: f"/api/epreuves/passages/{getattr(w, f'attempt_{s}')}"),
        who(SIGNED_IN, OWNER, anonymous="401"),
        NOT_ALLOWED,
    ),
    # --- the API v1 (c2i/api/v1.py): public operations, then those of an institution's token --
    "api:v1_frameworks": Rule(one("/api/v1/referentiels"), PUBLIC, NOT_ALLOWED),
    "api:v1_framework": Rule(one("/api/v1/referentiels/C2i2e"), PUBLIC, NOT_ALLOWED),
    "api:v1_institutions": Rule(one("/api/v1/etablissements?referentiel=C2i1&lieu=69007"), PUBLIC, NOT_ALLOWED),
    "api:v1_sessions": Rule(one("/api/v1/sessions"), PUBLIC, NOT_ALLOWED),
    "api:v1_verify_credential": Rule(one("/api/v1/verifier/credential"), NOT_ALLOWED, who(EVERYONE)),
    "api:v1_verify_code": Rule(
        ab(lambda w, s: f"/api/v1/verifier/{getattr(w, f'code_{s}')}"),
        PUBLIC,
        NOT_ALLOWED,
        public_secrets=("candidat-a1.name", "candidat-b1.name"),
    ),
    # a signed-in session is no token: 401 for every role (tests/test_api_schemathesis.py: tokens)
    "api:v1_me": Rule(one("/api/v1/etablissement"), API_TOKEN_ONLY, NOT_ALLOWED),
    "api:v1_my_sessions": Rule(one("/api/v1/etablissement/sessions"), API_TOKEN_ONLY, NOT_ALLOWED),
    "api:v1_enrolments": Rule(one("/api/v1/etablissement/inscriptions"), API_TOKEN_ONLY, NOT_ALLOWED),
    "api:v1_enrolments_export": Rule(one("/api/v1/etablissement/inscriptions/export"), API_TOKEN_ONLY, NOT_ALLOWED),
    "api:v1_invite": Rule(
        ab(lambda w, s: f"/api/v1/etablissement/sessions/{_ins(w, s)}/invitations"), NOT_ALLOWED, API_TOKEN_ONLY
    ),
    "api:v1_exam_results": Rule(
        ab(lambda w, s: f"/api/v1/etablissement/sessions/{_ins(w, s)}/resultats"), API_TOKEN_ONLY, NOT_ALLOWED
    ),
    "api:v1_jury_outcomes": Rule(
        ab(lambda w, s: f"/api/v1/etablissement/sessions/{_ins(w, s)}/deliberation"), API_TOKEN_ONLY, NOT_ALLOWED
    ),
    "api:v1_documents": Rule(
        ab(lambda w, s: f"/api/v1/etablissement/sessions/{_ins(w, s)}/documents"), API_TOKEN_ONLY, NOT_ALLOWED
    ),
    # --- the API tokens' pages (c2i/api/urls.py): correspondents, the admin sees every institution's --
    "api_tokens:list": Rule(one("/gestion/api/jetons/"), who(CORRESPONDENTS), NOT_ALLOWED),
    "api_tokens:create": Rule(one("/gestion/api/jetons/nouveau/"), who(CORRESPONDENTS), who(CORRESPONDENTS, ok="400")),
    "api_tokens:revoke": Rule(
        ab(_api_token), who(CORRESPONDENTS, CORRESPONDENT_OF), who(CORRESPONDENTS, CORRESPONDENT_OF, ok="302")
    ),
}


def _institution_of(w: World, side: str) -> int:
    """Side A's (B's) institution (the figures pages)."""
    from c2i.enrolment.models import InstitutionSession

    return int(InstitutionSession.objects.get(pk=_ins(w, side)).institution_id)


# ---------------------------------------------------------------------------
# The admin site: one generic rule for all its patterns.
# ---------------------------------------------------------------------------

# Records the admin reads but neither adds nor deletes (append-only, or written by the platform
# only: the audit trail, the jury's decisions and outcomes, issued documents, submissions...).
ADMIN_NO_ADD = frozenset(
    {
        "accounts.AuditEntry",
        "accounts.Session",
        "assessment.Attempt",
        "assessment.Incident",  # an incident report is written in the room, never in the admin
        "assessment.Question",
        "credentials.DocumentBatch",
        "credentials.IssuedDocument",
        "deliberation.CandidateOutcome",
        "deliberation.CompetencyDecision",
        "deliberation.Deliberation",
        "deliberation.DomainCredit",
        "django_tasks_database.DBTaskResult",
        "enrolment.Invitation",
        "notifications.SentNotification",
        "portfolio.Portfolio",
        "portfolio.Submission",
        "privacy.ErasureRequest",
    }
)
ADMIN_NO_DELETE = ADMIN_NO_ADD - {"accounts.Session", "assessment.Question", "credentials.DocumentBatch"}


def _admin_only(ok: str = "200") -> Audience:
    """The national administrator only; everyone else is sent to the admin's login."""
    return who({ADMIN}, ok=ok, anonymous=ADMIN_LOGIN, special={(r, "*"): ADMIN_LOGIN for r in ROLES[2:]})


def _admin_model(route: str) -> tuple[Any, str] | None:
    import re

    from django.contrib import admin

    match = re.match(r"admin/(\w+)/(\w+)/(.*)$", route)
    if not match:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == match.group(1, 2):
            return model, match.group(3)
    return None


def admin_rule(route: str) -> Rule:
    """Every admin page answers the national administrator only: the other
    roles are sent to the admin's login, which sends the signed-in ones away
    (403) and the others to the site's login (/connexion/, throttled, with the
    second factor). The admin's own POSTs are the admin site's business (its
    permissions below), not tried here."""
    import re

    if route == "admin/login/":
        return Rule({"-": "/admin/login/"}, who({ADMIN}, ok="302"))
    if route == "admin/logout/":
        # a GET is refused to the admin (405) and sends the others to the index (302)
        others = {(r, "*"): "302" for r in ROLES if r != ADMIN}
        return Rule({"-": "/admin/logout/"}, who({ADMIN}, ok="405", special=others), who(EVERYONE, ok="302"))
    if route.startswith("admin/r/"):
        return Rule({"-": lambda w: f"/admin/r/{w.ct_institution_session}/{w.is_a}/"}, _admin_only("302"))
    if route.startswith("admin/(?P<url>"):
        return Rule({"-": "/admin/nulle-part/"}, _admin_only("404"))
    if route.startswith("admin/^(?P<app_label>"):
        return Rule({"-": "/admin/accounts/"}, _admin_only())
    if route == "admin/autocomplete/":
        return Rule({"-": "/admin/autocomplete/"}, _admin_only("403"))  # no field named: refused
    found = _admin_model(route)
    if found is None:
        return Rule({"-": "/" + route}, _admin_only())
    model, rest = found
    label = model._meta.label
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    if rest == "add/":
        return Rule({"-": base + rest}, _admin_only("403" if label in ADMIN_NO_ADD else "200"))
    if not re.search(r"<[^>]+>", rest):
        return Rule({"-": base + rest}, _admin_only())

    def build(w: World) -> str:
        pk = w.admin_objects.get(label)
        return base + re.sub(r"<[^>]+>", str(pk if pk is not None else 0), rest, count=1)

    if label == "otp_totp.TOTPDevice" and rest.endswith(("config/", "qrcode/")):
        # django-otp shows a device's secret (its QR code) only before it is confirmed: refused after
        return Rule({"-": build}, _admin_only("403"))
    if rest.endswith("delete/") and label in ADMIN_NO_DELETE:
        return Rule({"-": build}, _admin_only("403"))
    # an object page (every model has a row in the world): 200; its bare URL sends to its change page
    return Rule({"-": build}, _admin_only("302" if re.fullmatch(r"<[^>]+>/", rest) else "200"))


# ---------------------------------------------------------------------------
# Explicit cases: what the grid of roles cannot say (a person holding two
# roles, a step of the probe), each with the finding of issue 10 it proves.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Extra:
    name: str
    username: str
    method: str
    path: Path
    expected: str
    data: Mapping[str, Any] | Callable[[World], Mapping[str, Any]] | None = None
    shows: tuple[str, ...] = ()  # texts the answer must hold
    hides: tuple[str | Callable[[World], str], ...] = ()  # texts it must not hold (or the world's, by a function)
    finding: int | None = None


def _position_data(w: World) -> dict[str, Any]:
    return {"competency": w.tc_competency, "level": "acquired", "comment": ""}


EXTRAS: tuple[Extra, ...] = (
    # finding 4: an assessor of A who is a candidate at A never assesses their own portfolio...
    Extra(
        "an assessor-candidate comments on their own item",
        "tuteur-candidat-a",
        "POST",
        lambda w: f"/gestion/dossiers/{w.tc_portfolio}/elements/{w.tc_item}/commentaires/",
        "400",
        {"body": "Excellent travail."},
        finding=4,
    ),
    Extra(
        "an assessor-candidate positions their own portfolio",
        "tuteur-candidat-a",
        "POST",
        lambda w: f"/gestion/dossiers/{w.tc_portfolio}/positionnements/",
        "400",
        _position_data,
        finding=4,
    ),
    Extra(
        "an assessor-candidate's own portfolio offers them no assessment",
        "tuteur-candidat-a",
        "GET",
        lambda w: f"/gestion/dossiers/{w.tc_portfolio}/",
        "200",
        hides=("/positionnements/",),
        finding=4,
    ),
    # ... and still assesses the others'
    Extra(
        "an assessor-candidate comments on another candidate's item",
        "tuteur-candidat-a",
        "POST",
        lambda w: f"/gestion/dossiers/{w.portfolio_a}/elements/{w.item_a}/commentaires/",
        "302",
        {"body": "Bien."},
    ),
    # finding 4: a candidate of a session is not seated on its jury
    Extra(
        "correspondant-a seats a candidate of the session on its jury",
        "correspondant-a",
        "POST",
        lambda w: f"/gestion/sessions/{w.is_a}/jury/",
        "400",
        {"email": "candidat-a2@c2i-demo.fr"},
        finding=4,
    ),
    # finding 1: B's session page shows what B typed for candidat-a1's address, not candidat-a1
    Extra(
        "correspondant-b's session page after importing candidat-a1's address",
        "correspondant-b",
        "GET",
        lambda w: f"/gestion/sessions/{w.is_b}/",
        "200",
        shows=("Inventé", "Zorglub"),
        hides=(lambda w: w.markers["candidat-a1.name"],),
        finding=1,
    ),
    # finding 2: the import gave the administrator's account no identity: no candidate space, no invitation
    Extra(
        "the administrator's candidate space after an import named their address",
        "admin",
        "GET",
        "/mon-espace/certification/",
        "403",
        hides=("Usurpé", "Ulysse"),
        finding=2,
    ),
)
