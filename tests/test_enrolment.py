"""Enrolment workflows (R3–R6) through the pages and the service functions."""

import datetime as dt

import pytest
from django.utils import timezone

from c2i.enrolment.models import (
    Candidate,
    CandidateStatus,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Invitation,
    InvitationStatus,
    Session,
)
from c2i.enrolment.services import EnrolmentError, create_session, enrol, open_institution_session, withdraw
from c2i.frameworks.models import Framework

pytestmark = pytest.mark.django_db


def new_candidate(ine: str = "", last: str = "Nouveau", first: str = "Jean") -> Candidate:
    return Candidate.objects.create(
        email=f"{first}.{last}@example.fr".lower(),
        last_name=last,
        first_names=first,
        birth_date=dt.date(2001, 5, 17),
        birth_place="Lyon",
        ine=ine,
        status=CandidateStatus.STUDENT,
    )


class TestEnrolment:
    def test_it_enrols_a_candidate_from_the_session_page(self, demo) -> None:
        from c2i.accounts.models import User

        user = User.objects.create_user("jean@example.fr", "jean@example.fr", "motdepasse-solide-1")
        candidate = new_candidate()
        candidate.user = user
        candidate.save()
        target = demo.institution_session("b")
        client = demo.client("jean@example.fr")
        response = client.post(f"/sessions/etablissement/{target.pk}/inscription/", follow=True)
        assert response.status_code == 200
        assert "Votre inscription à C2i1 — " in response.content.decode()
        assert Enrolment.objects.get(candidate=candidate).status == EnrolmentStatus.ACTIVE

    def test_r5_refuses_a_second_institution_and_names_the_first(self, demo) -> None:
        candidate = demo.candidate("candidat-a1")
        with pytest.raises(EnrolmentError) as error:
            enrol(candidate, demo.institution_session("b"), None)
        assert error.value.code == "r5_already_enrolled"
        assert "Université Claude Bernard Lyon 1" in error.value.message
        assert "R5" not in error.value.message  # a candidate reads it: no rule code (issue 11)

    def test_r5_holds_for_the_same_identity_under_another_record(self, demo) -> None:
        first = new_candidate(last="Dupont-Martin", first="Éloïse")
        enrol(first, demo.institution_session("a"), None)
        twin = new_candidate(last="DUPONT MARTIN", first="eloise")  # another record, e.g. from B's import
        assert twin.identity_key == first.identity_key
        with pytest.raises(EnrolmentError) as error:
            enrol(twin, demo.institution_session("b"), None)
        assert "Université Claude Bernard Lyon 1" in error.value.message

    def test_an_identity_change_follows_the_enrolments(self, demo) -> None:
        candidate = new_candidate()
        enrolment = enrol(candidate, demo.institution_session("a"), None)
        candidate.ine = "1234567890V"
        candidate.save()
        enrolment.refresh_from_db()
        assert enrolment.identity_key == "ine:1234567890V"

    def test_withdrawal_frees_the_slot(self, demo) -> None:
        candidate = demo.candidate("candidat-a2")
        enrolment = Enrolment.objects.get(candidate=candidate, status=EnrolmentStatus.ACTIVE)
        response = demo.client("candidat-a2").post(f"/mon-espace/inscriptions/{enrolment.pk}/retrait/", follow=True)
        assert "retir" in response.content.decode()
        enrolment.refresh_from_db()
        assert enrolment.status == EnrolmentStatus.WITHDRAWN
        assert enrol(candidate, demo.institution_session("b"), None).status == EnrolmentStatus.ACTIVE

    def test_withdrawal_after_the_deadline_is_refused(self, demo) -> None:
        enrolment = Enrolment.objects.get(candidate=demo.candidate("candidat-a2"), status=EnrolmentStatus.ACTIVE)
        InstitutionSession.objects.filter(pk=enrolment.institution_session_id).update(
            portfolio_deadline=timezone.now() - dt.timedelta(hours=1)
        )
        enrolment.refresh_from_db()
        with pytest.raises(EnrolmentError) as error:
            withdraw(enrolment, None)
        assert error.value.code == "deadline_passed"

    def test_a_full_session_refuses(self, demo) -> None:
        target = demo.institution_session("b")
        target.capacity = target.active_count()
        target.save()
        with pytest.raises(EnrolmentError) as error:
            enrol(new_candidate(), target, None)
        assert error.value.code == "session_full"

    def test_enrolment_outside_the_window_is_refused(self, demo) -> None:
        target = demo.institution_session("b")
        Session.objects.filter(pk=target.session_id).update(
            enrolment_closes=timezone.localdate() - dt.timedelta(days=1)
        )
        target.refresh_from_db()
        with pytest.raises(EnrolmentError) as error:
            enrol(new_candidate(), target, None)
        assert error.value.code == "enrolment_closed"

    def test_an_invitation_is_confirmed_by_the_candidate(self, demo) -> None:
        from c2i.enrolment.registration import register_candidate

        invitation = Invitation.objects.filter(state=InvitationStatus.PENDING).first()
        assert invitation is not None  # the demo has invitations not yet answered, linked to no one
        user = register_candidate(
            email=invitation.email,
            password="motdepasse-solide-1",
            last_name=invitation.last_name,
            first_names=invitation.first_names,
            birth_date=invitation.birth_date,
            birth_place=invitation.birth_place,
            ine=invitation.ine,
            status=invitation.status,
        )
        client = demo.client(user.username)
        page = client.get("/mon-espace/certification/").content.decode()
        assert "Confirmer mon inscription" in page
        client.post(f"/mon-espace/invitations/{invitation.pk}/confirmer/")
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.CONFIRMED
        assert invitation.enrolment is not None and invitation.enrolment.candidate == user.candidate
        assert invitation.enrolment.status == EnrolmentStatus.ACTIVE

    def test_a_candidate_cannot_touch_another_candidates_enrolment(self, demo) -> None:
        other = Enrolment.objects.get(candidate=demo.candidate("candidat-b1"))
        response = demo.client("candidat-a1").post(f"/mon-espace/inscriptions/{other.pk}/retrait/")
        assert response.status_code == 404
        other.refresh_from_db()
        assert other.status == EnrolmentStatus.ACTIVE


class TestSessions:
    def test_r3_no_session_on_an_incomplete_framework(self, demo) -> None:
        today = timezone.localdate()
        with pytest.raises(EnrolmentError) as error:
            create_session(
                None,
                framework=Framework.objects.get(code="C2i2forcom"),
                name="C2i2forcom — essai",
                start=today,
                end=today + dt.timedelta(days=90),
                enrolment_opens=today,
                enrolment_closes=today + dt.timedelta(days=30),
            )
        assert error.value.code == "framework_incomplete"
        assert "R3" in error.value.message

    def test_r4_an_institution_without_accreditation_cannot_open(self, demo) -> None:
        session = Session.objects.get(framework__code="C2i2e")
        clermont = demo.institution("uca")  # accredited for C2i1 only
        with pytest.raises(EnrolmentError) as error:
            open_institution_session(
                None,
                session,
                clermont,
                portfolio_deadline=timezone.now() + dt.timedelta(days=10),
                jury_date=session.end,
            )
        assert error.value.code == "not_accredited"
        assert "R4" in error.value.message and "Université Clermont Auvergne" in error.value.message

    def test_a_correspondent_opens_a_session_through_the_form(self, demo) -> None:
        session = Session.objects.get(framework__code="C2i2e")
        institution = demo.institution("a")
        deadline = (timezone.localtime() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
        response = demo.client("correspondant-a").post(
            f"/correspondant/etablissements/{institution.pk}/sessions/{session.pk}/ouvrir/",
            {
                "portfolio_deadline": deadline,
                "jury_date": (session.end - dt.timedelta(days=1)).isoformat(),
                "capacity": "30",
            },
        )
        assert response.status_code == 302
        assert InstitutionSession.objects.filter(session=session, institution=institution, capacity=30).exists()

    def test_the_open_form_reports_errors_next_to_their_field(self, demo) -> None:
        session = Session.objects.get(framework__code="C2i2e")
        institution = demo.institution("a")
        response = demo.client("correspondant-a").post(
            f"/correspondant/etablissements/{institution.pk}/sessions/{session.pk}/ouvrir/",
            {"portfolio_deadline": "pas une date", "jury_date": "2001-01-01"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        # each error sits in its field's group, announced to assistive technologies
        assert html.count("fr-input-group--error") == 2
        assert 'aria-describedby="id_portfolio_deadline-desc-error"' in html
        assert not InstitutionSession.objects.filter(session=session, institution=institution).exists()

    def test_a_correspondent_cannot_open_for_another_institution(self, demo) -> None:
        session = Session.objects.get(framework__code="C2i2e")
        response = demo.client("correspondant-a").get(
            f"/correspondant/etablissements/{demo.institution('b').pk}/sessions/{session.pk}/ouvrir/"
        )
        assert response.status_code == 404
