"""Issue 10, "Prove it": personal data (RGPD). A candidate downloads all
their data (JSON and files) from « Mon espace »; an erasure anonymises what
the law allows while issued documents stay verifiable (the public page shows
what it showed before, nothing more); retention periods are applied by
`manage.py apply_retention`."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import zipfile
from typing import Any

import pytest
from django.apps import apps
from django.core import serializers
from django.core.cache import cache
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.assessment.models import Incident, IncidentKind
from c2i.credentials import services as credentials
from c2i.credentials.models import IssuedDocument
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, Deliberation, OutcomeStatus
from c2i.enrolment.adjustments import set_adjustments
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus, Invitation
from c2i.portfolio.models import (
    Evidence,
    EvidenceComment,
    EvidenceFile,
    Portfolio,
    StoredFile,
    SubmittedEvidence,
    SubmittedFile,
)
from c2i.privacy import audit as trail
from c2i.privacy import retention, services
from c2i.privacy.models import ErasureRequest, ErasureStatus
from tests import assessment_support as qcm
from tests.credentials_support import ALL, publish, set_outcome
from tests.persona_support import new_candidate, submitted_portfolio

pytestmark = pytest.mark.django_db

ADJUSTMENTS_NOTE = "Avis du service handicap du 12/09"
ME = {"first_names": "Agathe", "last_name": "Delorme", "email": "agathe.delorme@example.fr", "ine": "2200000017S"}


@pytest.fixture(autouse=True)
def _own_files(settings: Any, tmp_path: Any) -> None:
    """A copy of the demo's files: an erasure deletes some, and the files are
    not rolled back with the database."""
    shutil.copytree(settings.MEDIA_ROOT, tmp_path / "media")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.C2I_KEYS_DIR = tmp_path / "keys"
    cache.clear()


def me(demo: Any) -> Candidate:
    """The person whose data it is: a student of A's C2i1 session, enrolment under way."""
    return new_candidate(demo.institution_session("a"), status=CandidateStatus.STUDENT, **ME)


def full_record(demo: Any) -> tuple[Candidate, IssuedDocument]:
    """The person with a bit of everything: a submitted portfolio, a comment
    on its item, a sitting, a jury decision, a published outcome and a
    certificate; beside them a fellow candidate of the session, not certified."""
    person = me(demo)
    enrolment = person.enrolments.get(status=EnrolmentStatus.ACTIVE)
    submitted_portfolio(enrolment)
    item = Evidence.objects.filter(portfolio__candidate=person).first()
    EvidenceComment.objects.create(evidence=item, author=demo.user("tuteur-a"), body="Très bonne analyse.")
    set_adjustments(
        enrolment, extra_time_percent=33, larger_text=True, separate_room=False, note=ADJUSTMENTS_NOTE, actor=None
    )
    attempt = qcm.start_for(person.user, qcm.demo_exam(demo))
    Incident.objects.create(
        exam=attempt.exam,
        enrolment=enrolment,
        attempt=attempt,
        kind=IncidentKind.TECHNICAL,
        occurred_at=timezone.now(),
        text="Poste changé.",
        reported_by="M. Surveillant",
    )
    fellow = new_candidate(enrolment.institution_session, first_names="Bruno", last_name="Saunier")
    set_outcome(enrolment, OutcomeStatus.CERTIFIED, ALL)
    set_outcome(fellow.enrolments.get(), OutcomeStatus.NOT_CERTIFIED, ["D1", "D3"])
    publish(enrolment.institution_session)
    CompetencyDecision.objects.create(
        enrolment=enrolment, competency_code="D1.1", value="V", decided_by=demo.user("jury-a"), comment="Solide."
    )
    document = credentials.produce_document(enrolment, None, notify=False)[1]
    assert document is not None
    return person, document


def archive_of(client: Any) -> tuple[dict[str, Any], zipfile.ZipFile]:
    response = client.get("/mon-espace/donnees/archive.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(zf.read("personal-data.json")), zf


def age(deliberation: Deliberation, days: int) -> None:
    Deliberation.objects.filter(pk=deliberation.pk).update(published_at=timezone.now() - dt.timedelta(days=days))


def verification_page(client: Any, code: str) -> str:
    """The public page of a code, without what changes at every request (the
    CSRF token, a script nonce, the random ids of the breadcrumb)."""
    html = client.get(f"/verifier/{code}").content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    return re.sub(r"breadcrumb-[a-z]+", "breadcrumb", html)


class TestDownload:
    def test_a_candidate_downloads_everything_stored_about_them(self, demo) -> None:
        person, document = full_record(demo)
        data, zf = archive_of(demo.client(person.user.username))
        assert data["account"]["username"] == ME["email"]
        assert data["candidate"]["last_name"] == "Delorme" and data["candidate"]["ine"] == ME["ine"]
        [enrolment] = [e for e in data["enrolments"] if e["status"] == EnrolmentStatus.ACTIVE]
        assert enrolment["submissions"] and enrolment["submissions"][0]["items"]
        assert enrolment["exam_attempts"][0]["questions"]
        # the exam day: the adjustments and their reference, the incident written about the sitting
        assert enrolment["extra_time_percent"] == 33 and enrolment["adjustments_note"] == ADJUSTMENTS_NOTE
        assert enrolment["larger_text"] is True
        assert [i["text"] for i in enrolment["exam_incidents"]] == ["Poste changé."]
        assert enrolment["jury_decisions"][0]["comment"] == "Solide."
        assert enrolment["jury_outcome"]["status"] == "certified"
        assert enrolment["documents"][0]["code"] == document.code
        portfolio = data["portfolios"][0]
        assert any(c["body"] == "Très bonne analyse." for e in portfolio["evidence"] for c in e["comments"])
        assert any(e["action"] == "portfolio.submit" for e in data["audit_trail"])
        # every file the JSON names is in the archive, with its bytes
        files = [f for e in portfolio["evidence"] for f in e["files"]]
        assert files
        for f in files:
            assert hashlib.sha256(zf.read(f["archive_path"])).hexdigest() == f["sha256"]
        assert zf.read(enrolment["documents"][0]["archive_path"]).startswith(b"%PDF")

    def test_the_archive_holds_no_secret_and_no_one_else(self, demo) -> None:
        person, _document = full_record(demo)
        data, _zf = archive_of(demo.client(person.user.username))
        text = json.dumps(data, ensure_ascii=False)
        assert '"password"' not in text and "pbkdf2" not in text and "md5$" not in text
        assert "bruno.saunier" not in text and "SAUNIER" not in text.upper()  # a fellow candidate
        assert "fraction" not in text  # no answer key of the question bank
        other, _zf = archive_of(demo.client("candidat-b1"))
        assert ME["email"] not in json.dumps(other)

    def test_my_space_links_to_the_page_and_only_candidates_reach_it(self, demo) -> None:
        space = demo.client("candidat-a1").get("/mon-espace/certification/").content.decode()
        assert "/mon-espace/donnees/" in space
        assert demo.client("candidat-a1").get("/mon-espace/donnees/").status_code == 200
        assert demo.client("correspondant-a").get("/mon-espace/donnees/archive.zip").status_code == 403
        assert demo.client(None).get("/mon-espace/donnees/archive.zip").status_code == 302


class TestErasure:
    def test_it_waits_while_the_enrolment_is_under_way(self, demo) -> None:
        user = me(demo).user
        assert services.blockers(user)
        with pytest.raises(services.PrivacyError):
            services.erase(user, demo.user("admin"))
        assert Candidate.objects.get(user=user).email == ME["email"]

    def test_it_waits_for_the_appeal_period(self, demo) -> None:
        user = full_record(demo)[0].user
        [reason] = services.blockers(user)
        assert "appeal" in reason or "recours" in reason
        age(Deliberation.objects.get(institution_session=demo.institution_session("a")), 62)
        assert services.blockers(user) == []

    def test_a_staff_account_is_not_erased(self, demo) -> None:
        with pytest.raises(services.PrivacyError):
            services.erase(demo.user("correspondant-a"), None)

    def test_an_erasure_keeps_documents_verifiable_and_nothing_else(
        self, demo, django_capture_on_commit_callbacks
    ) -> None:
        a1, document = full_record(demo)
        age(Deliberation.objects.get(institution_session=demo.institution_session("a")), 90)
        public = demo.client(None)
        before_page = verification_page(public, document.code)
        before = credentials.public_fields(credentials.lookup(document.code))
        enrolments = list(a1.enrolments.values_list("pk", flat=True))
        blobs = list(StoredFile.objects.filter(evidence_files__evidence__portfolio__candidate=a1).distinct())
        assert blobs

        candidate_client = demo.client(a1.user.username)
        candidate_client.post("/mon-espace/donnees/")
        request = ErasureRequest.objects.get(user=a1.user)
        with django_capture_on_commit_callbacks(execute=True):
            admin = demo.client("admin")
            asked = admin.post(f"/administration/effacements/{request.pk}/", {"action": "erase"})
            assert asked.status_code == 200 and 'id="confirm-button"' in asked.content.decode()  # asks first
            assert ErasureRequest.objects.get(pk=request.pk).status != ErasureStatus.DONE
            response = admin.post(f"/administration/effacements/{request.pk}/", {"action": "erase", "confirmed": "1"})
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.status == ErasureStatus.DONE

        # the public page shows exactly what it showed before
        assert credentials.public_fields(credentials.lookup(document.code)) == before
        assert verification_page(public, document.code) == before_page
        # the identity is gone everywhere but on the issued documents
        dump = everything_but_documents()
        for value in (ME["email"], ME["ine"], "Agathe Delorme", "Agathe DELORME", "Delorme"):
            assert value not in dump, value
        a1.refresh_from_db()
        assert a1.user.is_active is False and not a1.user.has_usable_password()
        assert candidate_client.get("/mon-espace/donnees/").status_code == 302  # signed out
        # what the person wrote is gone, files included
        assert not Evidence.objects.filter(portfolio__candidate=a1).exists()
        assert not SubmittedEvidence.objects.filter(submission__portfolio__candidate=a1).exists()
        assert not SubmittedFile.objects.filter(item__submission__portfolio__candidate=a1).exists()
        for blob in blobs:
            assert not StoredFile.objects.filter(pk=blob.pk).exists()
            assert not storages["default"].exists(blob.storage_name)
        # what certifies stays, anonymous
        assert Enrolment.objects.filter(pk__in=enrolments).count() == len(enrolments)
        # the adjustment stays with the sitting it explains; its reference (a service's opinion) goes
        assert not Enrolment.objects.filter(pk__in=enrolments).exclude(adjustments_note="").exists()
        assert Enrolment.objects.filter(pk__in=enrolments, extra_time_percent=33).exists()
        assert CompetencyDecision.objects.filter(enrolment__candidate=a1, comment="Solide.").exists()
        assert CandidateOutcome.objects.filter(enrolment__candidate=a1, status="certified").exists()
        assert IssuedDocument.objects.get(pk=document.pk).holder_name == document.holder_name
        assert AuditEntry.objects.filter(action="privacy.erase").exists()
        assert trail.verify().ok  # pruned details keep the chain whole

    def test_the_candidate_reads_a_refusal(self, demo) -> None:
        client = demo.client("candidat-a1")
        client.post("/mon-espace/donnees/")
        again = client.post("/mon-espace/donnees/", follow=True)
        assert ErasureRequest.objects.filter(user__username="candidat-a1").count() == 1
        assert "fr-alert--error" in again.content.decode()
        request = ErasureRequest.objects.get(user__username="candidat-a1")
        admin = demo.client("admin")
        assert admin.get("/administration/effacements/").status_code == 200
        page = admin.get(f"/administration/effacements/{request.pk}/").content.decode()
        assert "Erase the data" not in page and "Effacer les données" not in page  # under way: blocked
        admin.post(f"/administration/effacements/{request.pk}/", {"action": "refuse", "reason": "Session en cours."})
        assert "Session en cours." in client.get("/mon-espace/donnees/").content.decode()

    def test_only_the_national_administrator_handles_requests(self, demo) -> None:
        request = services.request_erasure(demo.user("candidat-a1"))
        for username in ("correspondant-a", "candidat-a1"):
            client = demo.client(username)
            assert client.get("/administration/effacements/").status_code == 403
            assert client.post(f"/administration/effacements/{request.pk}/", {"action": "erase"}).status_code == 403

    def test_the_command_erases_an_account(self, demo) -> None:
        username = me(demo).user.username
        with pytest.raises(CommandError):
            call_command("erase_personal_data", user=username, stdout=io.StringIO())
        Enrolment.objects.filter(candidate__user__username=username).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        out = io.StringIO()
        call_command("erase_personal_data", user=username, stdout=out)
        assert not Candidate.objects.filter(email=ME["email"]).exists()


def everything_but_documents() -> str:
    """Every row of every table, as JSON, but the issued documents (which
    keep the holder's name by design) and the audit trail's hashes."""
    skip = {IssuedDocument}
    parts = []
    for model in apps.get_models():
        if model in skip or model._meta.proxy:
            continue
        parts.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(parts)


class TestRetention:
    def old(self, days: int) -> dt.datetime:
        return timezone.now() - dt.timedelta(days=days)

    def test_it_deletes_invitations_never_answered(self, demo, settings) -> None:
        institution_session = demo.institution_session("a")
        fresh, stale = (
            Invitation.objects.create(
                institution_session=institution_session,
                email=f"{n}@example.fr",
                last_name="Invité",
                first_names=n,
                birth_date=dt.date(2000, 1, 1),
                birth_place="Lyon",
                status="student",
            )
            for n in ("frais", "ancien")
        )
        Invitation.objects.filter(pk=stale.pk).update(created_at=self.old(settings.C2I_RETENTION_INVITATION_DAYS + 1))
        assert retention.apply(dry_run=True)["invitations"] >= 1
        assert Invitation.objects.filter(pk=stale.pk).exists()
        call_command("apply_retention", stdout=io.StringIO())
        assert not Invitation.objects.filter(pk=stale.pk).exists()
        assert Invitation.objects.filter(pk=fresh.pk).exists()

    def test_it_deletes_portfolios_never_submitted(self, demo, settings, django_capture_on_commit_callbacks) -> None:
        drafts = Portfolio.objects.filter(submissions__isnull=True, items__isnull=False).distinct()
        stale, fresh = list(drafts[:2])
        blobs = list(StoredFile.objects.filter(evidence_files__evidence__portfolio=stale))
        long_ago = self.old(settings.C2I_RETENTION_DRAFT_DAYS + 1)
        Portfolio.objects.filter(pk=stale.pk).update(updated_at=long_ago)
        Evidence.objects.filter(portfolio=stale).update(updated_at=long_ago)
        EvidenceFile.objects.filter(evidence__portfolio=stale).update(uploaded_at=long_ago)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("apply_retention", stdout=io.StringIO())
        assert not Portfolio.objects.filter(pk=stale.pk).exists()
        assert Portfolio.objects.filter(pk=fresh.pk).exists()
        for blob in blobs:
            assert not storages["default"].exists(blob.storage_name)

    def test_it_erases_candidates_withdrawn_long_ago(self, demo, settings) -> None:
        user = demo.user("candidat-0692437z-13")
        candidate = user.candidate
        Enrolment.objects.filter(candidate=candidate).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=self.old(settings.C2I_RETENTION_WITHDRAWN_DAYS + 1)
        )
        recent = demo.candidate("candidat-0673021v-1")
        Enrolment.objects.filter(candidate=recent).update(status=EnrolmentStatus.WITHDRAWN, withdrawn_at=self.old(10))
        assert retention.apply(dry_run=True)["withdrawn_candidates"] == 1
        call_command("apply_retention", stdout=io.StringIO())
        candidate.refresh_from_db()
        assert candidate.last_name == services.ERASED_LAST_NAME and candidate.ine == ""
        recent.refresh_from_db()
        assert recent.last_name == "Muller" or recent.last_name.upper() == "MULLER"
        assert retention.apply(dry_run=True)["withdrawn_candidates"] == 0  # an erased record is not erased again

    def test_it_empties_old_audit_details_and_the_chain_holds(self, demo, settings) -> None:
        entry = AuditEntry.objects.exclude(details={}).order_by("id").first()
        settings.C2I_RETENTION_AUDIT_DETAILS_DAYS = 0  # every entry written before now is old enough
        call_command("apply_retention", stdout=io.StringIO())
        entry.refresh_from_db()
        assert entry.details == {} and entry.details_pruned_at is not None
        assert not AuditEntry.objects.exclude(details={}).exists()
        assert trail.verify().ok


class TestInstitutionIdentities:
    """What an institution's identity provider said of a person (issue 14) is
    in their archive, and goes with the erasure."""

    def test_the_archive_holds_them_and_the_erasure_removes_them(self, demo) -> None:
        from c2i.sso.models import ExternalIdentity, IdentityProvider, SignInConflict

        person = me(demo)
        provider = IdentityProvider.objects.create(
            institution=demo.institution("a"), protocol="cas", enabled=True, cas_server_url="https://cas.example.fr/"
        )
        ExternalIdentity.objects.create(
            provider=provider, subject="adelorme@univ-lyon1.fr", user=person.user, student_id="p2200017", ine=ME["ine"]
        )
        SignInConflict.objects.create(
            provider=provider,
            subject="adelorme@univ-lyon1.fr",
            attributes={"mail": ["agathe.delorme@example.fr"], "supannCodeINE": [ME["ine"]]},
            reason="INE d’un autre compte",
        )
        data, _zf = archive_of(demo.client(person.user.username))
        [identity] = data["account"]["institution_identities"]
        assert identity["subject"] == "adelorme@univ-lyon1.fr" and identity["student_id"] == "p2200017"
        assert identity["institution"] == demo.institution("a").name
        [conflict] = data["account"]["institution_sign_in_conflicts"]
        assert conflict["attributes"]["supannCodeINE"] == [ME["ine"]]
        Enrolment.objects.filter(candidate=person).update(status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now())
        call_command("erase_personal_data", user=person.user.username, stdout=io.StringIO())
        assert not ExternalIdentity.objects.exists()
        kept = SignInConflict.objects.get()
        assert kept.attributes == {} and "adelorme" not in kept.subject and kept.reason
