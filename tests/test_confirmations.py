"""Confirmation before what cannot be undone (issue 11, point 6): each
irreversible action's URL answers GET with a page saying what will happen,
with its counts, and changes nothing; its POST does it. The pages that lead
there link to the confirmation (no form that acts at once)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.utils import timezone, translation

from c2i.credentials.models import DocumentStatus, IssuedDocument
from c2i.deliberation import confirmations, services
from c2i.deliberation.models import DeliberationStatus, JuryMember
from c2i.enrolment.models import Enrolment, EnrolmentStatus, Invitation, InvitationStatus
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import Evidence, EvidenceFile, Submission, SubmissionStatus
from tests.deliberation_support import codes, publish_session_tests, submit_all
from tests.persona_support import invite, new_candidate
from tests.portfolio_support import codes as competencies
from tests.portfolio_support import new_item, pdf_bytes, portfolio_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def text(response: Any) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def session_url(demo: Any, suffix: str) -> str:
    return f"/jury/sessions/{demo.institution_session('a').pk}/{suffix}"


def decide(demo: Any) -> Any:
    """A's C2i1 session, its knowledge test published at 75 %: candidat-a2
    deferred, every other candidate decided (all V, but D4.2 not validated for
    one of them)."""
    institution_session = demo.institution_session("a")
    publish_session_tests(institution_session)
    jury = demo.user("jury-a")
    a2 = demo.user("candidat-a2").candidate
    cells = []
    enrolments = list(services.active_enrolments(institution_session).select_related("candidate").order_by("pk"))
    one_nv = True
    for enrolment in enrolments:
        if enrolment.candidate_id == a2.pk:
            services.set_deferred(enrolment, True, jury)
            continue
        submit_all(enrolment)
        for code in codes("C2i1"):
            cells.append(services.Cell(enrolment.pk, code, "NV" if one_nv and code == "D4.2" else "V", code))
        one_nv = False
    services.record_cells(institution_session, cells, jury, "test")
    return institution_session


def calendar_over(institution_session: Any) -> None:
    """The portfolio deadline, the test window and the jury date are past."""
    from c2i.assessment.models import Exam

    past = timezone.now() - dt.timedelta(days=2)
    type(institution_session).objects.filter(pk=institution_session.pk).update(
        portfolio_deadline=past, jury_date=past.date(), test_closes=None
    )
    Exam.objects.filter(institution_session=institution_session).update(
        opens_at=past - dt.timedelta(days=1), closes_at=past
    )
    institution_session.refresh_from_db()


class TestClosing:
    def test_it_shows_the_counts_and_what_blocks_and_closes_only_on_post(self, demo) -> None:
        institution_session = decide(demo)
        active = services.active_enrolments(institution_session).count()
        chair = demo.client("jury-a")
        page = chair.get(session_url(demo, ""))
        assert f'href="{session_url(demo, "cloture/")}"' in page.content.decode()  # a link, not a form that acts

        response = chair.get(session_url(demo, "cloture/"))
        assert response.status_code == 200
        body = text(response)
        assert "Clore la délibération" in body
        assert f"{active - 1} candidats décidés, 1 ajourné." in body
        assert f"{active - 2} certifiés, 1 avec des domaines validés seulement, 0 sans domaine validé" in body
        # the demo session's calendar is not over: its sentences, and the reason asked
        for sentence in services.close_blockers(institution_session):
            assert sentence in body
        assert 'name="reason"' in body and "Motif" in body
        assert "Confirmer la clôture" in body and "Annuler" in body
        assert services.get_deliberation(institution_session).status == DeliberationStatus.OPEN

        refused = chair.post(session_url(demo, "cloture/"), {"reason": "  "})
        assert refused.status_code == 400
        assert "La délibération ne peut pas encore être close" in text(refused)
        assert services.get_deliberation(institution_session).status == DeliberationStatus.OPEN

        done = chair.post(session_url(demo, "cloture/"), {"reason": "Jury avancé à la demande du rectorat."})
        assert done.status_code == 302
        deliberation = services.get_deliberation(institution_session)
        assert deliberation.status == DeliberationStatus.CLOSED

    def test_a_refusal_keeps_the_reason_typed(self, demo) -> None:
        publish_session_tests(demo.institution_session("a"))
        # nobody decided: the closing is refused whatever the reason
        chair = demo.client("jury-a")
        response = chair.post(session_url(demo, "cloture/"), {"reason": "Motif saisi par la présidente"})
        assert response.status_code == 400
        body = text(response)
        assert "sans décision" in body and "Motif saisi par la présidente" in body
        assert "encore des compétences sans décision : la clôture est refusée" in body

    def test_without_blockers_no_reason_is_asked(self, demo) -> None:
        institution_session = decide(demo)
        calendar_over(institution_session)
        chair = demo.client("jury-a")
        body = text(chair.get(session_url(demo, "cloture/")))
        assert 'name="reason"' not in body
        assert chair.post(session_url(demo, "cloture/")).status_code == 302
        assert services.get_deliberation(institution_session).status == DeliberationStatus.CLOSED

    def test_members_get_no_confirmation_page(self, demo) -> None:
        assert demo.client("tuteur-a").get(session_url(demo, "cloture/")).status_code == 403
        assert demo.client("tuteur-a").get(session_url(demo, "publication/")).status_code == 403


class TestPublishing:
    def test_it_counts_what_will_be_issued_and_publishes_only_on_post(self, demo) -> None:
        institution_session = decide(demo)
        services.close_deliberation(institution_session, demo.user("jury-a"), reason="Essai")
        from c2i.credentials.services import issuance_counts

        counts = issuance_counts(institution_session)
        chair = demo.client("jury-a")
        assert f'href="{session_url(demo, "publication/")}"' in chair.get(session_url(demo, "")).content.decode()
        response = chair.get(session_url(demo, "publication/"))
        assert response.status_code == 200
        body = text(response)
        with translation.override("fr"):
            for line in confirmations.issuance_lines(counts):
                assert line in body
        assert "1 candidat ajourné" in body
        assert "Confirmer la publication" in body
        assert services.get_deliberation(institution_session).status == DeliberationStatus.CLOSED

        assert chair.post(session_url(demo, "publication/")).status_code == 302
        assert services.get_deliberation(institution_session).status == DeliberationStatus.PUBLISHED
        # afterwards, the pages say why there is nothing to confirm, and offer no button
        for suffix, why in (("cloture/", "Cette délibération est déjà close."), ("publication/", "déjà publiés")):
            body = text(chair.get(session_url(demo, suffix)))
            assert why in body and 'id="confirm-button"' not in body

    def test_an_open_deliberation_is_not_published(self, demo) -> None:
        body = text(demo.client("jury-a").get(session_url(demo, "publication/")))
        assert "seule une délibération close est publiée" in body and 'id="confirm-button"' not in body

    @pytest.mark.parametrize(
        ("counts", "expected"),
        [
            (
                {"certificates": 25, "attestations": 13, "without_document": 2, "deferred": 2},
                [
                    "25 certificats et 13 attestations seront délivrés.",
                    "2 candidats recevront leur résultat sans document (aucun domaine validé).",
                    "2 candidats ajournés : ni résultat ni document dans cette session.",
                ],
            ),
            (
                {"certificates": 1, "attestations": 0, "without_document": 1, "deferred": 0},
                ["1 certificat sera délivré.", "1 candidat recevra son résultat sans document (aucun domaine validé)."],
            ),
            ({"certificates": 0, "attestations": 3, "without_document": 0, "deferred": 1}, None),
            ({"certificates": 0, "attestations": 0, "without_document": 0, "deferred": 0}, None),
        ],
    )
    def test_the_counts_read_as_french(self, counts: dict[str, int], expected: list[str] | None) -> None:
        with translation.override("fr"):
            lines = confirmations.issuance_lines(counts)
        if expected is None:  # the other plurals
            expected = (
                ["3 attestations seront délivrées.", "1 candidat ajourné : ni résultat ni document dans cette session."]
                if counts["attestations"]
                else ["Aucun document ne sera délivré."]
            )
        assert lines == expected


class TestJuryMember:
    def test_removing_a_member_is_confirmed_first(self, demo) -> None:
        institution_session = demo.institution_session("a")
        member = JuryMember.objects.select_related("user").get(
            institution_session=institution_session, user__username="tuteur-a"
        )
        url = f"/gestion/sessions/{institution_session.pk}/jury/{member.pk}/retrait/"
        correspondent = demo.client("correspondant-a")
        setup = correspondent.get(f"/gestion/sessions/{institution_session.pk}/jury/")
        assert f'href="{url}"' in setup.content.decode()
        body = text(correspondent.get(url))
        assert f"Retirer {member.user.get_full_name()} du jury ?" in body
        assert "Les décisions déjà enregistrées par ce membre restent" in body
        assert JuryMember.objects.filter(pk=member.pk).exists()
        assert correspondent.post(url).status_code == 302
        assert not JuryMember.objects.filter(pk=member.pk).exists()


def a1_item(demo: Any, files: int = 2) -> Evidence:
    return new_item(
        portfolio_of(demo),
        files=[(f"rapport-{n}.pdf", pdf_bytes(f"R{n}")) for n in range(files)],
        title="Veille sur les licences libres",
        competencies=competencies("D4.1"),
        reflection="Ce que j'ai appris.",
    )


class TestPortfolio:
    def test_deleting_an_item_says_what_goes_and_deletes_only_on_post(self, demo) -> None:
        item = a1_item(demo)
        url = f"/mon-espace/dossier/C2i1/elements/{item.pk}/supprimer/"
        client = demo.client("candidat-a1")
        assert f'href="{url}"' in client.get(item.get_absolute_url()).content.decode()
        response = client.get(url)
        assert response.status_code == 200
        body = text(response)
        assert "Supprimer l'élément « Veille sur les licences libres » ?" in body
        assert "avec 2 fichiers et 0 commentaire de tuteur" in body
        assert "Cette action est définitive." in body
        assert f'href="{item.get_absolute_url()}"' in body  # « Annuler » goes back to the item
        assert Evidence.objects.filter(pk=item.pk).exists()
        assert client.post(url).status_code == 302
        assert not Evidence.objects.filter(pk=item.pk).exists()

    def test_removing_a_file_names_it_and_removes_only_on_post(self, demo) -> None:
        item = a1_item(demo, files=1)
        item_file = EvidenceFile.objects.get(evidence=item)
        url = f"/mon-espace/dossier/C2i1/fichiers/{item_file.pk}/supprimer/"
        client = demo.client("candidat-a1")
        assert f'href="{url}"' in client.get(item.get_absolute_url()).content.decode()
        body = text(client.get(url))
        assert "Retirer le fichier « rapport-0.pdf » ?" in body
        assert "L'élément n'aura alors ni fichier ni lien" in body
        assert EvidenceFile.objects.filter(pk=item_file.pk).exists()
        assert client.post(url).status_code == 302
        assert not EvidenceFile.objects.filter(pk=item_file.pk).exists()

    def test_withdrawing_a_submission_is_confirmed_first(self, demo) -> None:
        user = demo.user("candidat-a1")
        enrolment = Enrolment.objects.get(
            candidate=user.candidate, status=EnrolmentStatus.ACTIVE, session__framework__code="C2i1"
        )
        item = a1_item(demo, files=1)
        submission = portfolio_services.submit_portfolio(item.portfolio, enrolment, user)
        url = f"/mon-espace/dossier/C2i1/depots/{submission.pk}/retrait/"
        client = demo.client("candidat-a1")
        assert f'href="{url}"' in client.get("/mon-espace/dossier/C2i1/").content.decode()
        body = text(client.get(url))
        assert "Retirer votre dépôt au jury ?" in body
        assert "Le jury ne voit plus votre dossier pour cette session" in body
        assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.SUBMITTED
        assert client.post(url).status_code == 302
        assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.WITHDRAWN
        again = text(client.get(url))
        assert "Cette version n'est plus la version déposée." in again and 'id="confirm-button"' not in again


class TestEnrolment:
    def test_withdrawing_from_a_session_is_confirmed_first(self, demo) -> None:
        user = demo.user("candidat-a1")
        enrolment = Enrolment.objects.select_related("session").get(
            candidate=user.candidate, status=EnrolmentStatus.ACTIVE, session__framework__code="C2i1"
        )
        url = f"/mon-espace/inscriptions/{enrolment.pk}/retrait/"
        client = demo.client("candidat-a1")
        assert f'href="{url}"' in client.get("/mon-espace/certification/").content.decode()
        body = text(client.get(url))
        assert f"Vous retirer de la session {enrolment.session.name} ?" in body
        assert "votre place est libérée" in body
        assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.ACTIVE
        assert client.post(url).status_code == 302
        assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN
        again = text(client.get(url))  # nothing left to confirm
        assert "Cette inscription n'est pas active." in again and 'id="confirm-button"' not in again

    def test_declining_an_invitation_is_confirmed_first(self, demo) -> None:
        invitation = invite(demo.institution_session("a"), demo.candidate("candidat-b1"))
        url = f"/mon-espace/invitations/{invitation.pk}/refuser/"
        client = demo.client("candidat-b1")
        assert f'href="{url}"' in client.get("/mon-espace/certification/").content.decode()
        body = text(client.get(url))
        assert "Refuser l'invitation à" in body and "Cette invitation ne pourra plus être confirmée" in body
        assert Invitation.objects.get(pk=invitation.pk).state == InvitationStatus.PENDING
        assert client.post(url).status_code == 302
        assert Invitation.objects.get(pk=invitation.pk).state == InvitationStatus.DECLINED


class TestRevocation:
    def test_revoking_asks_the_reason_and_revokes_only_on_post(self, demo) -> None:
        from c2i.credentials.services import produce_document

        institution_session = decide(demo)
        services.close_deliberation(institution_session, demo.user("jury-a"), reason="Essai")
        a1 = Enrolment.objects.get(institution_session=institution_session, candidate__user__username="candidat-a1")
        document = produce_document(a1, None, notify=False)[1]
        assert document is not None
        url = f"/gestion/documents/{document.pk}/revocation/"
        admin = demo.client("admin")
        listing = admin.get(f"/gestion/sessions/{institution_session.pk}/documents/").content.decode()
        assert f'href="{url}"' in listing
        body = text(admin.get(url))
        assert document.code in body and "Motif de la révocation" in body
        assert "n'est plus valide" in body
        assert IssuedDocument.objects.get(pk=document.pk).status == DocumentStatus.VALID

        refused = admin.post(url, {"reason": ""})
        assert refused.status_code == 400
        assert "Une révocation doit être motivée." in text(refused)
        assert IssuedDocument.objects.get(pk=document.pk).status == DocumentStatus.VALID

        assert admin.post(url, {"reason": "Fraude établie"}).status_code == 302
        revoked = IssuedDocument.objects.get(pk=document.pk)
        assert revoked.status == DocumentStatus.REVOKED and revoked.revoked_reason == "Fraude établie"

    def test_the_admins_revoke_action_asks_first(self, demo) -> None:
        from c2i.credentials.services import produce_document

        institution_session = decide(demo)
        services.close_deliberation(institution_session, demo.user("jury-a"), reason="Essai")
        a1 = Enrolment.objects.get(institution_session=institution_session, candidate__user__username="candidat-a1")
        document = produce_document(a1, None, notify=False)[1]
        assert document is not None
        url = "/admin/credentials/issueddocument/"
        admin = demo.client("admin")
        chosen = {"action": "revoke", "_selected_action": [document.pk]}
        first = admin.post(url, chosen)
        assert first.status_code == 200
        body = text(first)
        assert "1 document valide sera révoqué" in body and document.code in body and "Motif de la révocation" in body
        assert IssuedDocument.objects.get(pk=document.pk).status == DocumentStatus.VALID
        without_reason = admin.post(url, {**chosen, "post": "yes", "reason": " "})
        assert "Une révocation doit être motivée." in text(without_reason)
        assert IssuedDocument.objects.get(pk=document.pk).status == DocumentStatus.VALID
        assert admin.post(url, {**chosen, "post": "yes", "reason": "Fraude établie"}).status_code == 302
        revoked = IssuedDocument.objects.get(pk=document.pk)
        assert revoked.status == DocumentStatus.REVOKED and revoked.revoked_reason == "Fraude établie"

    def test_only_the_national_administrator_revokes(self, demo) -> None:
        assert demo.client("correspondant-a").get("/gestion/documents/1/revocation/").status_code == 403
        assert demo.client("candidat-a1").post("/gestion/documents/1/revocation/").status_code == 403


class TestAssessment:
    def test_publishing_a_tests_results_counts_who_sees_them(self, demo) -> None:
        from c2i.assessment import services as assessment_services
        from c2i.assessment.models import Exam
        from tests.assessment_support import start

        attempt = start(demo)
        assessment_services.finish_attempt(attempt, attempt.user)
        url = f"/correspondant/epreuves/{attempt.exam_id}/publier/"
        client = demo.client("correspondant-a")
        assert f'href="{url}"' in client.get(f"/correspondant/epreuves/{attempt.exam_id}/").content.decode()
        body = text(client.get(url))
        assert "1 candidat dont le passage est terminé voit ses résultats dès maintenant" in body
        assert "Confirmer la publication" in body
        assert not Exam.objects.get(pk=attempt.exam_id).is_published
        assert client.post(url).status_code == 302
        assert Exam.objects.get(pk=attempt.exam_id).is_published

    def test_retiring_a_question_is_confirmed_first(self, demo) -> None:
        from c2i.assessment.models import Question, QuestionStatus

        question = Question.objects.filter(status=QuestionStatus.VALIDATED).first()
        url = f"/banque/questions/{question.pk}/retirer/"
        client = demo.client("relecteur")
        assert f'href="{url}"' in client.get(question.get_absolute_url()).content.decode()
        body = text(client.get(url))
        assert f"Retirer la question {question.pk} ?" in body and "ne sera plus jamais tirée" in body
        assert Question.objects.get(pk=question.pk).status == QuestionStatus.VALIDATED
        assert client.post(url).status_code == 302
        assert Question.objects.get(pk=question.pk).status == QuestionStatus.RETIRED


class TestErasure:
    def test_erasing_a_persons_data_asks_first(self, demo) -> None:
        from c2i.privacy.models import ErasureRequest, ErasureStatus

        person = new_candidate(demo.institution_session("a"), first_names="Agathe", last_name="Delorme")
        demo.client(person.user.username).post("/mon-espace/donnees/")
        request = ErasureRequest.objects.get(user=person.user)
        response = demo.client("admin").post(f"/administration/effacements/{request.pk}/", {"action": "erase"})
        assert response.status_code == 200
        body = text(response)
        assert "Effacer les données de Agathe Delorme ?" in body
        assert "Le compte est fermé ; l'identité, le portfolio et les portfolios soumis sont effacés" in body
        # the person's enrolment is running: the reason, and no button to confirm
        assert "Les données ne peuvent pas encore être effacées" in body and "est en cours" in body
        assert 'id="confirm-button"' not in body
        assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.PENDING
