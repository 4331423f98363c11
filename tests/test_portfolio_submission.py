"""Submission to the jury (R9): a frozen snapshot that later changes of the
living portfolio never touch, withdrawn and redone until the deadline, seen
only by the jury of the session it was submitted to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.portfolio import services
from c2i.portfolio.models import (
    Evidence,
    Submission,
    SubmissionStatus,
    SubmittedEvidence,
    SubmittedFile,
)
from tests.persona_support import new_candidate, submitted_portfolio
from tests.portfolio_support import codes, new_item, pdf_bytes, portfolio_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def enrolment_of(demo, username: str = "candidat-a1") -> Enrolment:
    return Enrolment.objects.get(candidate=demo.candidate(username), status=EnrolmentStatus.ACTIVE)


def current(demo, username: str = "candidat-a1") -> Submission:
    return Submission.objects.get(portfolio=portfolio_of(demo, username), status=SubmissionStatus.SUBMITTED)


def with_file(demo, title: str = "Rapport final", data: bytes | None = None) -> Evidence:
    """candidat-a1's item for D3.1, its reflection and one PDF (as the snapshot tests check them)."""
    return new_item(
        portfolio_of(demo),
        files=[("rapport.pdf", data or pdf_bytes(title))],
        title=title,
        competencies=codes("D3.1"),
        reflection="Première version de l'analyse.",
    )


def pass_deadline(demo) -> None:
    InstitutionSession.objects.filter(pk=demo.institution_session("a").pk).update(
        portfolio_deadline=timezone.now() - dt.timedelta(minutes=1)
    )


class TestSubmission:
    def test_the_candidate_submits_from_the_page(self, demo) -> None:
        with_file(demo)
        client = demo.client("candidat-a1")
        before = current(demo)
        response = client.post("/mon-espace/dossier/C2i1/depot/", {"enrolment": enrolment_of(demo).pk}, follow=True)
        assert "Votre dossier est déposé auprès du jury" in response.content.decode()
        submission = current(demo)
        assert submission != before and submission.institution_session == demo.institution_session("a")
        before.refresh_from_db()
        assert before.status == SubmissionStatus.REPLACED  # a new submission replaces the current one
        titles = list(submission.items.values_list("title", flat=True))
        assert "Rapport final" in titles and len(titles) == portfolio_of(demo).items.count()
        assert AuditEntry.objects.filter(action="portfolio.submit", object_id=str(submission.pk)).exists()

    def test_the_snapshot_does_not_change_when_the_living_portfolio_does(
        self, demo, django_capture_on_commit_callbacks, media: Path
    ) -> None:
        data = pdf_bytes("Version déposée")
        evidence = with_file(demo, data=data)
        submission = services.submit_portfolio(portfolio_of(demo), enrolment_of(demo), demo.user("candidat-a1"))
        frozen = submission.items.get(source_id=evidence.pk)
        frozen_file = SubmittedFile.objects.get(item=frozen)
        # the living portfolio changes: new title and reflection, file removed, item deleted
        services.update_evidence(
            evidence,
            None,
            services.EvidenceDraft(
                kind="a",
                title="Titre changé",
                competencies=codes("D3.2"),
                reflection="Analyse réécrite.",
                link="https://www.example.org/",
            ),
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_file(evidence.files.get(), None)
            services.delete_evidence(Evidence.objects.get(pk=evidence.pk), None)
        frozen = SubmittedEvidence.objects.get(pk=frozen.pk)
        assert frozen.title == "Rapport final" and frozen.reflection == "Première version de l'analyse."
        assert [c.code for c in frozen.competencies.all()] == ["D3.1"]
        # the jury still reads the submitted file, byte for byte
        response = demo.client("jury-a").get(f"/jury/dossiers/{submission.pk}/fichiers/{frozen_file.pk}/")
        assert response.status_code == 200 and b"".join(response.streaming_content) == data
        page = demo.client("jury-a").get(f"/jury/dossiers/{submission.pk}/").content.decode()
        assert "Rapport final" in page and "Titre changé" not in page

    def test_snapshot_rows_refuse_any_update(self, demo) -> None:
        with_file(demo)
        submission = services.submit_portfolio(portfolio_of(demo), enrolment_of(demo), None)
        item = submission.items.first()
        item.title = "falsifié"
        with pytest.raises(ValueError, match="cannot be changed"):
            item.save()
        with pytest.raises(ValueError):
            item.files.first().save()

    def test_it_withdraws_and_redoes_before_the_deadline(self, demo) -> None:
        client = demo.client("candidat-a1")
        submission = current(demo)
        response = client.post(f"/mon-espace/dossier/C2i1/depots/{submission.pk}/retrait/", follow=True)
        assert "Le dépôt est retiré" in response.content.decode()
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.WITHDRAWN and submission.ended_by == demo.user("candidat-a1")
        assert demo.client("jury-a").get(f"/jury/dossiers/{submission.pk}/").status_code == 404
        client.post("/mon-espace/dossier/C2i1/depot/", {"enrolment": enrolment_of(demo).pk})
        again = current(demo)
        assert again.pk != submission.pk
        assert demo.client("jury-a").get(f"/jury/dossiers/{again.pk}/").status_code == 200
        actions = AuditEntry.objects.filter(object_type="portfolio.submission").values_list("action", "object_id")
        assert ("portfolio.withdraw_submission", str(submission.pk)) in actions
        assert ("portfolio.submit", str(again.pk)) in actions

    def test_after_the_deadline_nothing_changes(self, demo) -> None:
        submission = current(demo)
        pass_deadline(demo)
        client = demo.client("candidat-a1")
        response = client.post(f"/mon-espace/dossier/C2i1/depots/{submission.pk}/retrait/", follow=True)
        assert "est dépassée : le dépôt ne peut plus être retiré" in response.content.decode()
        response = client.post("/mon-espace/dossier/C2i1/depot/", {"enrolment": enrolment_of(demo).pk}, follow=True)
        assert "est dépassée : le dépôt n&#x27;est plus possible" in response.content.decode()
        assert current(demo) == submission

    def test_only_an_active_enrolment_submits(self, demo) -> None:
        enrolment = enrolment_of(demo)
        Enrolment.objects.filter(pk=enrolment.pk).update(status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now())
        with pytest.raises(services.PortfolioError) as error:
            services.submit_portfolio(portfolio_of(demo), enrolment, None)
        assert error.value.code == "not_active"

    def test_a_candidate_cannot_submit_to_someone_elses_enrolment(self, demo) -> None:
        other = enrolment_of(demo, "candidat-b1")
        response = demo.client("candidat-a1").post("/mon-espace/dossier/C2i1/depot/", {"enrolment": other.pk})
        assert response.status_code == 404
        with pytest.raises(services.PortfolioError):
            services.submit_portfolio(portfolio_of(demo), other, None)

    def test_an_empty_portfolio_or_an_item_without_content_is_not_submitted(self, demo) -> None:
        portfolio = portfolio_of(demo)
        for evidence in portfolio.items.all():
            services.delete_evidence(evidence, None)
        with pytest.raises(services.PortfolioError) as error:
            services.submit_portfolio(portfolio, enrolment_of(demo), None)
        assert error.value.code == "empty"
        evidence = with_file(demo)
        services.remove_file(evidence.files.get(), None)
        with pytest.raises(services.PortfolioError) as error:
            services.submit_portfolio(portfolio, enrolment_of(demo), None)
        assert error.value.code == "item_without_content" and "« Rapport final »" in error.value.message

    def test_r8_is_checked_again_at_submission(self, demo) -> None:
        enrolment = enrolment_of(demo)
        Enrolment.objects.filter(pk=enrolment.pk).update(special_curriculum=True)
        services.create_evidence(
            portfolio_of(demo),
            None,
            services.EvidenceDraft(kind="d", title="APT", competencies=codes("D4.1"), link="https://exemple.fr/"),
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(special_curriculum=False)
        with pytest.raises(services.PortfolioError) as error:
            services.submit_portfolio(portfolio_of(demo), enrolment_of(demo), None)
        assert error.value.code == "r8_final_practical"


class TestWhoSeesTheSnapshot:
    """R9: the candidate, the institution's staff, the jury of that session; only the current version for the jury."""

    def test_jury_a_sees_the_submitted_snapshots_of_its_session_only(self, demo) -> None:
        ours = new_candidate(demo.institution_session("a"), first_names="Romane", last_name="Vidal")
        theirs = new_candidate(demo.institution_session("b"), first_names="Théo", last_name="Garnier")
        mine, other = submitted_portfolio(ours.enrolments.get()), submitted_portfolio(theirs.enrolments.get())
        jury = demo.client("jury-a")
        listing = jury.get("/jury/dossiers/").content.decode()
        assert "Romane VIDAL" in listing and "Théo GARNIER" not in listing
        assert jury.get(f"/jury/dossiers/{mine.pk}/").status_code == 200
        assert jury.get(f"/jury/dossiers/{other.pk}/").status_code == 404
        withdrawn = Submission.objects.filter(
            status=SubmissionStatus.WITHDRAWN, institution_session=demo.institution_session("a")
        ).first()
        assert jury.get(f"/jury/dossiers/{withdrawn.pk}/").status_code == 404
        # never the living portfolio, nor its files
        portfolio = mine.portfolio
        assert jury.get(f"/gestion/dossiers/{portfolio.pk}/").status_code == 403
        living_file = portfolio.items.filter(files__isnull=False).first().files.first()
        assert jury.get(f"/dossiers/fichiers/{living_file.pk}/").status_code == 403

    def test_other_institutions_and_candidates_are_refused(self, demo) -> None:
        submission = current(demo)
        assert demo.client("candidat-b1").get(f"/jury/dossiers/{submission.pk}/").status_code == 404
        assert demo.client("correspondant-b").get(f"/jury/dossiers/{submission.pk}/").status_code == 404
        assert demo.client("relecteur").get(f"/jury/dossiers/{submission.pk}/").status_code == 403
        assert demo.client("admin").get(f"/jury/dossiers/{submission.pk}/").status_code == 404  # R9: not his jury
        assert demo.client("candidat-a1").get(f"/jury/dossiers/{submission.pk}/").status_code == 200
        assert demo.client("correspondant-a").get(f"/jury/dossiers/{submission.pk}/").status_code == 200

    def test_a_withdrawn_enrolment_leaves_the_jurys_list(self, demo) -> None:
        submission = current(demo)
        Enrolment.objects.filter(pk=submission.enrolment_id).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        assert demo.client("jury-a").get(f"/jury/dossiers/{submission.pk}/").status_code == 404
