"""`manage.py produce_documents` obeys the same rule as the correspondent's
page: documents are produced once the deliberation is published (R15)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from c2i.credentials import services
from c2i.credentials.models import DocumentBatch
from c2i.deliberation.models import DeliberationStatus, OutcomeStatus
from tests.credentials_support import ALL, enrolment_of, publish, set_outcome

pytestmark = pytest.mark.django_db


def test_the_command_refuses_a_session_whose_deliberation_is_not_published(demo: Any) -> None:
    a1 = enrolment_of(demo, "candidat-a1")
    set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
    publish(a1.institution_session, DeliberationStatus.CLOSED)
    with pytest.raises(CommandError, match="Les documents sont produits une fois la délibération publiée"):
        call_command("produce_documents", str(a1.institution_session.pk))
    with pytest.raises(services.CredentialError):
        services.enqueue_session_documents(a1.institution_session, None)
    assert not DocumentBatch.objects.exists()


def test_the_command_hands_a_published_session_over(demo: Any) -> None:
    a1 = enrolment_of(demo, "candidat-a1")
    set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
    publish(a1.institution_session)
    call_command("produce_documents", str(a1.institution_session.pk), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert DocumentBatch.objects.filter(institution_session=a1.institution_session, total=1).exists()
