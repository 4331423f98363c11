"""Smaller points of issue 11's list 10, as a person reads them: export
buttons that show their label, the candidates' import page (reloading it,
one message after a partial import, what it promises), and French that reads
right for everyone (institution names after a preposition, session names,
enrolment confirmed, the admin's headings, the login field, demo e-mail
addresses)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

# --- export buttons ---------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class IconButtons(HTMLParser):
    """The DSFR's buttons with an icon that would show only the icon: a button
    `fr-icon-…` without `fr-btn--icon-left|right`, or inside a `fr-btns-group`
    without `fr-btns-group--icon-left|right` (the group's rule makes every
    icon button in it 2.5rem wide, text hidden, whatever the button says)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, list[str]]] = []
        self.icon_only: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if "fr-btn" in classes and any(c.startswith("fr-icon-") for c in classes):
            self.check(classes)
        self.stack.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def check(self, classes: list[str]) -> None:
        ancestors = [c for _, c in self.stack]
        if any("fr-header__tools-links" in c for c in ancestors):
            return  # the header's tool links show their text (the DSFR's header rules)
        groups = [c for c in ancestors if "fr-btns-group" in c]
        if groups:
            shows_text = any(c in groups[-1] for c in ("fr-btns-group--icon-left", "fr-btns-group--icon-right"))
        else:
            shows_text = any(c in classes for c in ("fr-btn--icon-left", "fr-btn--icon-right"))
        if not shows_text:
            self.icon_only.append(f"{' '.join(classes)} (line {self.getpos()[0]})")


class TestExportButtons:
    def test_every_button_with_an_icon_shows_its_label(self) -> None:
        found = {}
        for template in sorted(TEMPLATES.rglob("*.html")):
            parser = IconButtons()
            parser.feed(template.read_text(encoding="utf-8"))
            if parser.icon_only:
                found[str(template.relative_to(ROOT))] = parser.icon_only
        assert not found

    def test_every_template_with_an_export_is_checked(self) -> None:
        exports = [t for t in TEMPLATES.rglob("*.html") if "fr-icon-download" in t.read_text(encoding="utf-8")]
        assert len(exports) >= 5  # the check above reads every one of them

    def test_the_session_page_groups_its_exports_with_their_labels(self, demo) -> None:
        html = demo.client("correspondant-a").get(demo.institution_session("a").get_absolute_url()).content.decode()
        group = re.search(r'<div class="fr-btns-group[^"]*">\s*<a [^>]*export=csv', html)
        assert group is not None and "fr-btns-group--icon-left" in group[0]
        assert re.search(r"export=csv\">Exporter (en )?CSV</a>", html)


# --- the candidates' import page ------------------------------------------------

HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"


def upload(*lines: str) -> io.BytesIO:
    data = io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode())
    data.name = "liste.csv"
    return data


class TestCandidatesImportPage:
    def url(self, demo) -> str:
        return f"/gestion/sessions/{demo.institution_session('a').pk}/import/"

    def test_it_answers_a_reload_with_the_import_page(self, demo) -> None:
        response = demo.client("correspondant-a").get(self.url(demo))
        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1>Importer des candidats</h1>" in html and 'type="file"' in html
        assert "reçoit un courriel" in html

    def test_it_stays_closed_to_others(self, demo) -> None:
        assert demo.client("correspondant-b").get(self.url(demo)).status_code == 404

    def test_a_partial_import_says_its_summary_once(self, demo) -> None:
        client = demo.client("correspondant-a")
        good = "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non"
        bad = "Martin;Paul;01/01/2001;Lyon;pas-un-email;;etudiant;non"
        response = client.post(self.url(demo), {"file": upload(good, bad), "only_valid": "on"})
        assert response.status_code == 200
        html = response.content.decode()
        summary = "1 invitation(s) créée(s)"
        assert html.count(summary) == 1, "the summary is said once, not as a message and an alert"
        assert "fr-alert--success" not in html  # some lines were refused: the one alert is a warning
        assert client.get(self.url(demo)).status_code == 200  # then a reload shows the page

    def test_the_session_page_says_the_invitation_is_emailed(self, demo) -> None:
        html = demo.client("correspondant-a").get(demo.institution_session("a").get_absolute_url()).content.decode()
        assert "Chaque candidat importé reçoit un courriel" in html


# --- French that reads right --------------------------------------------------------


class TestFrenchWording:
    def test_the_session_page_says_the_enrolment_is_confirmed_to_anyone(self, demo) -> None:
        session = demo.institution_session("a").session
        html = demo.client("candidat-a1").get(session.get_absolute_url()).content.decode()
        assert "Votre inscription à cette session est confirmée" in html
        assert "Vous êtes inscrit" not in html
        assert not re.search(r"\b(de|à) (Université|Sorbonne)", html)

    def test_the_enrol_buttons_name_the_institution_without_a_broken_article(self, demo) -> None:
        session = demo.institution_session("a").session
        from c2i.enrolment.models import Session

        other = Session.objects.get(framework__code="C2i2e")  # open, candidat-a1 is not enrolled in it
        html = Client().get(session.get_absolute_url()).content.decode()
        html += demo.client("candidat-a1").get(other.get_absolute_url()).content.decode()
        assert re.search(r"aria-label=\"S(&#x27;|')inscrire ici : (Université|Sorbonne)", html)
        assert not re.search(r"(auprès de|\bde|\bà) (Université|Sorbonne)", html)

    def test_enrolling_says_the_enrolment_is_confirmed(self, demo) -> None:
        from c2i.enrolment.models import InstitutionSession

        target = InstitutionSession.objects.filter(session__framework__code="C2i2e").order_by("pk").first()
        client = demo.client("candidat-a1")
        response = client.post(f"/sessions/etablissement/{target.pk}/inscription/", follow=True)
        html = response.content.decode()
        assert "Votre inscription à" in html and "est confirmée" in html
        assert "Vous êtes inscrit" not in html
        assert not re.search(r"\b(de|à) (Université|Sorbonne)", html)

    def test_a_submitted_portfolio_names_its_session_once(self, demo) -> None:
        from c2i.portfolio.models import Submission

        submission = Submission.objects.filter(enrolment__candidate__user__username="candidat-a1").first()
        html = demo.client("jury-a").get(f"/jury/dossiers/{submission.pk}/").content.decode()
        assert "automne" in html or "printemps" in html
        assert not re.search(r"(C2i\w+) — \1 — ", html)

    def test_the_admin_headings_are_french(self, demo, settings) -> None:
        settings.C2I_REQUIRE_2FA = False
        admin = demo.client("admin")
        index = admin.get("/admin/").content.decode()
        assert "Task Results" not in index and "Tasks Database Backend" not in index
        assert "Tâches en arrière-plan" in index and ">Tâches</a>" in index
        institutions = admin.get("/admin/institutions/").content.decode()
        assert "Administration de Établissements" not in institutions
        assert "<h1>Administration — Établissements</h1>" in institutions
        tasks = admin.get("/admin/django_tasks_database/dbtaskresult/").content.decode()
        assert "Task name" not in tasks and "Queue name" not in tasks

    def test_the_login_asks_for_an_email_address_or_a_username(self, demo) -> None:
        html = Client().get("/connexion/").content.decode()
        assert re.search(r'<label for="id_username" class="fr-label">\s*Adresse électronique ou identifiant', html)
        assert "Nom d’utilisateur" not in html and "Nom d'utilisateur" not in html

    def test_a_person_logs_in_with_their_email_address_or_their_username(self, demo) -> None:
        user = demo.user("candidat-a1")
        for name in (user.email, user.email.upper(), "candidat-a1"):
            client = Client()
            response = client.post("/connexion/", {"username": name, "password": "demo"})
            assert response.status_code == 302, name
            assert client.get("/mon-espace/").status_code == 200

    def test_a_wrong_password_is_told_in_the_fields_own_words(self, demo) -> None:
        html = Client().post("/connexion/", {"username": "candidat-a2@c2i-demo.fr", "password": "x"}).content.decode()
        assert "Adresse électronique, identifiant ou mot de passe incorrect" in html
        assert "nom d’utilisateur" not in html.lower()

    def test_demo_email_addresses_are_ascii(self, demo) -> None:
        from c2i.accounts.models import User
        from c2i.enrolment.models import Candidate, Invitation

        addresses = [
            *User.objects.values_list("email", flat=True),
            *Candidate.objects.values_list("email", flat=True),
            *Invitation.objects.values_list("email", flat=True),
        ]
        assert len(addresses) > 40
        assert [a for a in addresses if not re.fullmatch(r"[a-z0-9.+-]+@[a-z0-9.-]+", a)] == []
