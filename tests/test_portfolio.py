"""The candidate's portfolio (R7, R8): evidence items through the pages and
the services, the overview with its progress picture, hostile text kept
inert, the audit trail and the ZIP export."""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.enrolment.models import CandidateStatus, Enrolment, EnrolmentStatus
from c2i.frameworks.models import Competency
from c2i.portfolio import services
from c2i.portfolio.models import Evidence, EvidenceKind
from c2i.portfolio.progress import State, portfolio_overview
from tests.persona_support import new_candidate
from tests.portfolio_support import (
    LINK,
    codes,
    item_data,
    new_item,
    odt_bytes,
    own_portfolio,
    pdf_bytes,
    portfolio_of,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))"]


class MarkupProbe(HTMLParser):
    """Every tag, attribute and script text of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag == "script"
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts.append(data)


def assert_inert(html: str) -> None:
    """No hostile string of HOSTILE became markup: no event handler, no
    javascript: link, no image pointing at x, no script running alert."""
    probe = MarkupProbe()
    probe.feed(html)
    assert not [a for a in probe.attributes if a[1].startswith("on")]
    assert not [a for a in probe.attributes if a[1] == "href" and a[2].strip().lower().startswith("javascript")]
    assert ("img", "src", "x") not in probe.attributes
    assert not [s for s in probe.scripts if "alert(1)" in s]


class TestPortfolio:
    def test_it_adds_an_item_with_files_from_the_page(self, demo) -> None:
        client = demo.client("candidat-a1")
        response = client.post(
            "/mon-espace/dossier/C2i1/elements/ajouter/",
            {**item_data(), "files": [upload("expose.pdf", pdf_bytes()), upload("notes.odt", odt_bytes())]},
        )
        assert response.status_code == 302
        evidence = Evidence.objects.get(title="Exposé sur la veille")
        assert response["Location"] == evidence.get_absolute_url()
        assert sorted(f.original_name for f in evidence.files.all()) == ["expose.pdf", "notes.odt"]
        assert sorted(c.code for c in evidence.competencies.all()) == ["D4.1", "D4.4"]
        page = client.get(evidence.get_absolute_url()).content.decode()
        assert "expose.pdf" in page and "UE Recherche documentaire" in page

    def test_the_candidate_opens_a_portfolio_for_a_framework_they_enrolled_in_only(self, demo) -> None:
        client = demo.client("candidat-a1")
        assert client.get("/mon-espace/dossier/C2i1/").status_code == 200
        assert client.get("/mon-espace/dossier/C2i2e/").status_code == 404
        assert client.get("/mon-espace/dossier/INCONNU/").status_code == 404

    def test_the_portfolio_lives_across_sessions(self, demo) -> None:
        candidate = demo.candidate("candidat-a2")
        portfolio = portfolio_of(demo, "candidat-a2")
        Enrolment.objects.filter(candidate=candidate).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        response = demo.client("candidat-a2").get("/mon-espace/dossier/C2i1/")
        assert response.status_code == 200 and response.context["portfolio"] == portfolio

    def test_kind_c_needs_the_candidates_commentary(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/",
            {**item_data(kind="c", reflection="", link="https://www.example.org/p")},
        )
        assert response.status_code == 400
        assert "Une production extérieure doit être accompagnée de votre commentaire" in response.content.decode()

    def test_an_item_needs_a_file_or_a_link(self, demo) -> None:
        response = demo.client("candidat-a1").post("/mon-espace/dossier/C2i1/elements/ajouter/", item_data())
        assert response.status_code == 400
        assert "Ajoutez au moins un fichier ou un lien" in response.content.decode()

    def test_competencies_must_be_current_ones_of_the_framework(self, demo) -> None:
        portfolio = portfolio_of(demo)
        foreign = Competency.objects.filter(domain__framework__code="C2i2e").first()
        with pytest.raises(services.PortfolioError) as error:
            services.create_evidence(
                portfolio,
                None,
                services.EvidenceDraft(kind="a", title="x", competencies=[foreign], link="https://www.example.org/"),
            )
        assert error.value.code == "competency_foreign"
        retired = codes("D1.1")[0]
        Competency.objects.filter(pk=retired.pk).update(retired=True)
        retired.refresh_from_db()
        with pytest.raises(services.PortfolioError):
            services.create_evidence(
                portfolio,
                None,
                services.EvidenceDraft(kind="a", title="x", competencies=[retired], link="https://www.example.org/"),
            )

    def test_a_javascript_link_is_refused(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/", item_data(link="javascript:alert(1)")
        )
        assert response.status_code == 400
        assert not Evidence.objects.filter(link__icontains="javascript").exists()


class TestFinalPracticalActivities:
    """R8: kind (d) only for continuing education or a particular curriculum."""

    def test_r8_refuses_kind_d_to_a_student_with_a_clear_message(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/",
            {**item_data(kind="d"), "files": [upload("apt.pdf", pdf_bytes())]},
        )
        assert response.status_code == 400
        text = response.content.decode()
        assert "Les productions issues d&#x27;activités pratiques terminales (type d)" in text
        assert not Evidence.objects.filter(kind=EvidenceKind.FINAL_PRACTICAL, portfolio=portfolio_of(demo)).exists()

    def test_r8_holds_when_an_item_is_changed_into_kind_d(self, demo) -> None:
        evidence = portfolio_of(demo).items.exclude(kind="b").first()
        with pytest.raises(services.PortfolioError) as error:
            services.update_evidence(
                evidence,
                None,
                services.EvidenceDraft(kind="d", title=evidence.title, competencies=list(evidence.competencies.all())),
            )
        assert error.value.code == "r8_final_practical" and "type d" in error.value.message

    def test_kind_d_is_accepted_with_the_particular_curriculum_flag(self, demo) -> None:
        Enrolment.objects.filter(candidate=demo.candidate("candidat-a1")).update(special_curriculum=True)
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/",
            {**item_data(kind="d"), "files": [upload("apt.pdf", pdf_bytes())]},
        )
        assert response.status_code == 302
        assert Evidence.objects.filter(kind="d", portfolio=portfolio_of(demo)).exists()

    def test_kind_d_is_accepted_for_continuing_education(self, demo) -> None:
        candidate = demo.candidate("candidat-a1")
        candidate.status = CandidateStatus.CONTINUING
        candidate.save()
        evidence = services.create_evidence(
            portfolio_of(demo),
            None,
            services.EvidenceDraft(kind="d", title="APT", competencies=codes("D3.1"), link="https://exemple.fr/apt"),
        )
        assert evidence.kind == EvidenceKind.FINAL_PRACTICAL


class TestTestResults:
    """Kind (b) is the platform's: candidates neither create nor change it."""

    def test_the_platform_adds_a_test_result(self, demo) -> None:
        portfolio = portfolio_of(demo)
        evidence = services.add_test_result_evidence(
            portfolio, "Contrôle D1 : 64 %", codes("D1.1", "D1.2"), "Score 64 % sur 12 questions.", None
        )
        assert evidence.kind == EvidenceKind.TEST_RESULT and evidence.is_system
        assert AuditEntry.objects.filter(action="portfolio.evidence_create", object_id=str(evidence.pk)).exists()

    def test_a_candidate_cannot_create_kind_b(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/", item_data(kind="b", link="https://exemple.fr/")
        )
        assert response.status_code == 400
        assert not portfolio_of(demo).items.filter(kind="b", title="Exposé sur la veille").exists()
        with pytest.raises(services.PortfolioError) as error:
            services.create_evidence(
                portfolio_of(demo),
                None,
                services.EvidenceDraft(kind="b", title="x", competencies=codes("D1.1"), link="https://e.fr/"),
            )
        assert error.value.code == "kind_b_system"

    def test_a_candidate_cannot_change_or_delete_kind_b(self, demo) -> None:
        evidence = services.add_test_result_evidence(portfolio_of(demo), "Contrôle D1", codes("D1.1"), "64 %", None)
        client = demo.client("candidat-a1")
        assert client.get(f"/mon-espace/dossier/C2i1/elements/{evidence.pk}/modifier/").status_code == 403
        client.post(f"/mon-espace/dossier/C2i1/elements/{evidence.pk}/supprimer/")
        assert Evidence.objects.filter(pk=evidence.pk).exists()
        with pytest.raises(services.PortfolioError):
            services.add_files(evidence, [services.Upload.from_bytes("x.pdf", pdf_bytes())], None)

    def test_a_test_result_alone_does_not_cover_a_competency(self, demo) -> None:
        portfolio = portfolio_of(demo)
        services.add_test_result_evidence(portfolio, "Contrôle D5", codes("D5.1"), "80 %", None)
        rows = {r.competency.code: r for d in portfolio_overview(portfolio).domains for r in d.rows}
        assert rows["D5.1"].state == State.TEST_ONLY
        assert rows["D5.1"] in portfolio_overview(portfolio).missing


class TestOverview:
    def test_it_shows_every_domain_and_competency_with_a_picture(self, demo) -> None:
        response = demo.client("candidat-a1").get("/mon-espace/dossier/C2i1/")
        html = response.content.decode()
        for code in ("D1", "D2", "D3", "D4", "D5", "D1.1", "D3.5", "D5.3"):
            assert code in html
        assert html.count('<svg role="img" aria-labelledby="picture-D') == 5
        assert "D3 : 2 compétences sur 5 avec un élément de preuve" in html  # the picture's text alternative
        assert "D3.1 élément de preuve présent" in html and "D3.3 aucun élément de preuve" in html
        assert "Ce qui manque encore" in html

    def test_it_shows_the_tutors_latest_positioning(self, demo) -> None:
        html = demo.client("candidat-a1").get("/mon-espace/dossier/C2i1/").content.decode()
        assert "Revu après la seconde version." in html and "Historique" in html

    def test_carried_over_domains_are_shown_with_their_session(self, demo, monkeypatch) -> None:
        from c2i.portfolio import progress

        monkeypatch.setattr(progress, "_carried", lambda keys: {k: {"D5": "C2i1 — automne 2025"} for k in keys})
        overview = portfolio_overview(portfolio_of(demo))
        d5 = next(d for d in overview.domains if d.domain.code == "D5")
        assert d5.carried_from == "C2i1 — automne 2025" and d5.covered == d5.total
        html = demo.client("candidat-a1").get("/mon-espace/dossier/C2i1/").content.decode()
        assert "capitalisé depuis C2i1 — automne 2025" in html and "(R14)" not in html

    def test_there_is_no_carried_over_domain_without_a_credit(self, demo) -> None:
        from c2i.portfolio.progress import carried_over_domains

        assert carried_over_domains(demo.candidate("candidat-a1"), portfolio_of(demo).framework) == {}


class TestHostileText:
    @pytest.mark.parametrize(
        ("hostile", "shown"),
        [
            (HOSTILE[0], "&lt;script&gt;alert(1)&lt;/script&gt;"),
            (HOSTILE[1], "&lt;img src=x onerror=alert(1)&gt;"),
            (HOSTILE[2], '<a rel="noopener noreferrer nofollow ugc">x</a>'),
        ],
    )
    def test_reflections_comments_and_titles_reach_no_browser_as_markup(self, demo, hostile: str, shown: str) -> None:
        portfolio = portfolio_of(demo)
        evidence = new_item(
            portfolio,
            kind="c",
            title=f"Titre {hostile}",
            context=hostile,
            reflection=f"Mon analyse {hostile}",
            link=LINK,
        )
        services.add_comment(evidence, demo.user("tuteur-a"), f"Commentaire {hostile}")
        services.position(portfolio, codes("D1.1")[0], "acquired", f"Positionnement {hostile}", demo.user("tuteur-a"))
        pages = [
            demo.client("candidat-a1").get(evidence.get_absolute_url()),
            demo.client("candidat-a1").get("/mon-espace/dossier/C2i1/"),
            demo.client("tuteur-a").get(f"/gestion/dossiers/{portfolio.pk}/"),
        ]
        for response in pages:
            assert response.status_code == 200
            assert_inert(response.content.decode())
        assert shown in pages[0].content.decode()  # the reflection and the comment, shown as text

    def test_markdown_still_works(self, demo) -> None:
        evidence = new_item(
            portfolio_of(demo),
            title="Markdown",
            reflection="**important** et [source](https://www.example.org/source)",
            link=LINK,
        )
        html = demo.client("candidat-a1").get(evidence.get_absolute_url()).content.decode()
        assert "<strong>important</strong>" in html
        assert '<a href="https://www.example.org/source" rel="noopener noreferrer nofollow ugc">source</a>' in html


class TestAuditAndExport:
    def test_every_item_write_is_audited(self, demo) -> None:
        client = demo.client("candidat-a1")
        client.post(
            "/mon-espace/dossier/C2i1/elements/ajouter/", {**item_data(), "files": [upload("a.pdf", pdf_bytes())]}
        )
        evidence = Evidence.objects.get(title="Exposé sur la veille")
        client.post(f"/mon-espace/dossier/C2i1/elements/{evidence.pk}/modifier/", item_data(title="Nouveau titre"))
        evidence.refresh_from_db()
        assert evidence.title == "Nouveau titre"
        client.post(f"/mon-espace/dossier/C2i1/elements/{evidence.pk}/supprimer/")
        assert not Evidence.objects.filter(pk=evidence.pk).exists()
        entries = AuditEntry.objects.filter(actor=demo.user("candidat-a1"), object_type="portfolio.evidence")
        actions = set(entries.filter(object_id=str(evidence.pk)).values_list("action", flat=True))
        assert actions == {"portfolio.evidence_create", "portfolio.evidence_update", "portfolio.evidence_delete"}
        update = entries.get(action="portfolio.evidence_update", object_id=str(evidence.pk))
        assert update.details["before"]["title"] == "Exposé sur la veille"
        assert AuditEntry.objects.filter(action="portfolio.file_add", details__evidence=evidence.pk).exists()

    def test_the_export_holds_every_file_and_a_summary(self, demo) -> None:
        person = new_candidate(demo.institution_session("a"), first_names="Romane", last_name="Vidal")
        portfolio = own_portfolio(person)
        data = pdf_bytes("Export")
        new_item(
            portfolio,
            files=[("tableau.pdf", data)],
            title="Pour l'export <script>alert(1)</script>",
            competencies=codes("D3.4"),
            reflection="Analyse **en gras**",
        )
        response = demo.client(person.user.username).get("/mon-espace/dossier/C2i1/export/")
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert (
            response["Content-Disposition"].startswith("attachment;")
            and "dossier-C2i1-Vidal.zip" in (response["Content-Disposition"])
        )
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        names = archive.namelist()
        assert "index.html" in names
        (member,) = [n for n in names if n.endswith("tableau.pdf")]
        assert archive.read(member) == data
        summary = archive.read("index.html").decode()
        assert "Pour l&#x27;export &lt;script&gt;" in summary and "<strong>en gras</strong>" in summary
        assert member in summary and "D3.4" in summary
        assert all(not n.startswith(("/", "..")) for n in names)

    def test_only_the_candidate_exports(self, demo) -> None:
        assert demo.client("tuteur-a").get("/mon-espace/dossier/C2i1/export/").status_code == 403
