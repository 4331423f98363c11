"""Assessors (enseignants-tuteurs) and correspondents: the institution's list
of portfolios with its filters, comments and positionings that the candidate
sees, the history kept, and nobody outside the institution (R9)."""

from __future__ import annotations

import pytest

from c2i.accounts.models import AuditEntry
from c2i.portfolio import services
from c2i.portfolio.models import EvidenceComment, Positioning, PositioningLevel
from tests.persona_support import new_candidate
from tests.portfolio_support import LINK, codes, new_assessor, new_item, own_portfolio, pdf_bytes, portfolio_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


class TestTutors:
    def test_the_tutor_comments_an_item_and_the_candidate_sees_it(self, demo) -> None:
        person = new_candidate(demo.institution_session("a"), first_names="Romane", last_name="Vidal")
        portfolio = own_portfolio(person)
        item = new_item(portfolio, link=LINK)
        tutor = new_assessor(demo.institution("a"), "Aline", "Morel")
        response = demo.client(tutor.username).post(
            f"/gestion/dossiers/{portfolio.pk}/elements/{item.pk}/commentaires/",
            {"body": "Précisez la **source** des données."},
        )
        assert response.status_code == 302
        comment = EvidenceComment.objects.get(evidence=item, body__startswith="Précisez")
        assert comment.author == tutor
        page = demo.client(person.user.username).get(item.get_absolute_url()).content.decode()
        assert "Précisez la <strong>source</strong> des données." in page and "Aline Morel" in page
        assert AuditEntry.objects.filter(action="portfolio.comment", object_id=str(comment.pk)).exists()

    def test_an_empty_comment_is_refused(self, demo) -> None:
        portfolio = portfolio_of(demo)
        item = portfolio.items.first()
        comments, audited = EvidenceComment.objects.count(), AuditEntry.objects.count()
        response = demo.client("tuteur-a").post(
            f"/gestion/dossiers/{portfolio.pk}/elements/{item.pk}/commentaires/", {"body": "  "}
        )
        assert response.status_code == 400
        assert EvidenceComment.objects.count() == comments
        assert AuditEntry.objects.count() == audited

    def test_positionings_keep_their_history_and_the_latest_is_shown(self, demo) -> None:
        portfolio = portfolio_of(demo)
        competency = codes("D4.2")[0]
        client = demo.client("tuteur-a")
        for level, comment in [
            (PositioningLevel.NOT_ACQUIRED, "Pas encore d'élément."),
            (PositioningLevel.TO_CONSOLIDATE, "Une source évaluée, il en faut d'autres."),
        ]:
            response = client.post(
                f"/gestion/dossiers/{portfolio.pk}/positionnements/",
                {"competency": competency.pk, "level": level, "comment": comment},
            )
            assert response.status_code == 302
        rows = Positioning.objects.filter(portfolio=portfolio, competency=competency).order_by("at", "id")
        assert [r.level for r in rows] == [PositioningLevel.NOT_ACQUIRED, PositioningLevel.TO_CONSOLIDATE]
        assert all(r.author == demo.user("tuteur-a") for r in rows)
        html = demo.client("candidat-a1").get("/mon-espace/dossier/C2i1/").content.decode()
        row = html[html.index('id="competency-D4.2"') :]
        row = row[: row.index("</tr>")]
        assert "à consolider" in row and "Une source évaluée" in row and "Historique" in row
        assert (
            AuditEntry.objects.filter(
                action="portfolio.position", details__competency="D4.2", details__portfolio=portfolio.pk
            ).count()
            == 2
        )

    def test_a_positioning_needs_a_level(self, demo) -> None:
        portfolio = portfolio_of(demo)
        positionings, audited = Positioning.objects.count(), AuditEntry.objects.count()
        response = demo.client("tuteur-a").post(
            f"/gestion/dossiers/{portfolio.pk}/positionnements/", {"competency": codes("D1.1")[0].pk, "level": "x"}
        )
        assert response.status_code == 400
        assert Positioning.objects.count() == positionings
        assert AuditEntry.objects.count() == audited

    def test_the_correspondent_reads_but_does_not_assess(self, demo) -> None:
        portfolio = portfolio_of(demo)
        client = demo.client("correspondant-a")
        page = client.get(f"/gestion/dossiers/{portfolio.pk}/")
        assert page.status_code == 200 and "Proposer un positionnement" not in page.content.decode()
        item = portfolio.items.first()
        assert (
            client.post(f"/gestion/dossiers/{portfolio.pk}/elements/{item.pk}/commentaires/", {"body": "x"}).status_code
            == 403
        )

    def test_outsiders_are_refused(self, demo) -> None:
        portfolio = portfolio_of(demo)
        item = portfolio.items.first()
        assert demo.client("correspondant-b").get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 404
        assert demo.client("candidat-b1").get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 403
        assert demo.client("candidat-a1").get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 403
        assert demo.client("jury-a").get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 403
        # an assessor of B cannot reach A's candidates
        tutor_b = new_assessor(demo.institution("b"), "Bruno", "Lefort")
        client = demo.client(tutor_b.username)
        assert client.get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 404
        response = client.post(f"/gestion/dossiers/{portfolio.pk}/elements/{item.pk}/commentaires/", {"body": "x"})
        assert response.status_code == 404
        assert not EvidenceComment.objects.filter(author=tutor_b).exists()
        new_candidate(demo.institution_session("a"), first_names="Romane", last_name="Vidal")
        assert "Romane VIDAL" in demo.client("tuteur-a").get("/gestion/dossiers/").content.decode()
        assert "Romane VIDAL" not in client.get("/gestion/dossiers/").content.decode()
        assert client.get(f"/gestion/dossiers/{portfolio_of(demo, 'candidat-b1').pk}/").status_code == 200


class TestInstitutionList:
    def test_it_lists_the_active_candidates_with_their_progress(self, demo) -> None:
        ours = new_candidate(demo.institution_session("a"), first_names="Romane", last_name="Vidal")
        portfolio = own_portfolio(ours)
        new_item(portfolio, files=[("rapport.pdf", pdf_bytes())], competencies=codes("D1.1", "D2.1", "D2.2"))
        services.submit_portfolio(portfolio, ours.enrolments.get(), ours.user)
        new_candidate(demo.institution_session("b"), first_names="Théo", last_name="Garnier")
        response = demo.client("tuteur-a").get("/gestion/dossiers/")
        rows = {r["enrolment"].candidate.full_name: r for r in response.context["rows"]}
        assert "Romane VIDAL" in rows and "Théo GARNIER" not in rows
        row = rows["Romane VIDAL"]
        assert (row["covered"], row["total"]) == (3, 20) and row["submission"] is not None
        assert all(r["enrolment"].status == "active" for r in rows.values())

    def test_it_filters_by_session_progress_and_submission(self, demo) -> None:
        client = demo.client("correspondant-a")
        everyone = client.get("/gestion/dossiers/").context["rows"]
        submitted = client.get("/gestion/dossiers/?submitted=yes").context["rows"]
        waiting = client.get("/gestion/dossiers/?submitted=no").context["rows"]
        assert submitted and waiting and len(submitted) + len(waiting) == len(everyone)
        assert all(r["submission"] for r in submitted) and not any(r["submission"] for r in waiting)
        none = client.get("/gestion/dossiers/?progress=none").context["rows"]
        partial = client.get("/gestion/dossiers/?progress=partial").context["rows"]
        assert none and partial and all(r["covered"] == 0 for r in none)
        assert all(0 < r["covered"] < r["total"] for r in partial)
        session = demo.institution_session("a")
        in_session = client.get(f"/gestion/dossiers/?session={session.pk}").context["rows"]
        assert in_session and all(r["enrolment"].institution_session_id == session.pk for r in in_session)
        other = demo.institution_session("a", "C2i2ms")
        assert client.get(f"/gestion/dossiers/?session={other.pk}").context["rows"] == []

    def test_a_session_of_another_institution_is_not_a_filter(self, demo) -> None:
        response = demo.client("correspondant-a").get(f"/gestion/dossiers/?session={demo.institution_session('b').pk}")
        assert response.status_code == 200
        assert all(
            r["enrolment"].institution_session.institution_id == demo.institution("a").pk
            for r in response.context["rows"]
        )

    def test_the_list_shows_a_progress_picture(self, demo) -> None:
        html = demo.client("tuteur-a").get("/gestion/dossiers/").content.decode()
        assert 'class="c2i-minibar" role="img" aria-label="4 compétences sur 20 avec un élément de preuve"' in html
