"""The W3C status list under concurrency: two documents revoked at the same
instant both end up set in the last list published (the list's row is locked
while it is rebuilt), and documents issued at once never share a bit.

Threads on real connections (tests/concurrency_support.py): PostgreSQL's own,
or, on SQLite, a copy of the test database in a file with one connection per
thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.credentials import services, status
from c2i.credentials.models import IssuedDocument, StatusList
from c2i.deliberation.models import OutcomeStatus
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from tests.concurrency_support import Threads
from tests.credentials_support import enrolment_of, isolated, publish, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_revocations_at_once_are_both_in_the_list(demo: Any, isolated: Path) -> None:
    first = enrolment_of(demo, "candidat-a1")
    enrolments = list(
        Enrolment.objects.filter(institution_session=first.institution_session, status=EnrolmentStatus.ACTIVE).order_by(
            "pk"
        )[:3]
    )
    assert len(enrolments) == 3
    for enrolment in enrolments:
        set_outcome(enrolment, OutcomeStatus.CERTIFIED, ["D1", "D2", "D3", "D4", "D5"])
    publish(enrolments[0].institution_session)
    documents = [services.produce_document(e, None)[1] for e in enrolments]
    assert all(documents)
    indices = [d.status_index or 0 for d in documents if d is not None]
    assert len(set(indices)) == 3 and 0 not in indices
    threads = Threads(isolated)
    admin = demo.user("admin")

    def revoke(document: IssuedDocument) -> Any:
        return lambda: services.revoke_document(document, admin, "Fraude")

    results = threads.run([revoke(documents[0]), revoke(documents[1])])  # type: ignore[arg-type]
    assert not [r for r in results if isinstance(r, Exception)], results

    def published() -> tuple[str, int]:
        return (
            StatusList.objects.get(number=0).credential,
            AuditEntry.objects.filter(action=AuditAction.DOCUMENTS_STATUS_LIST).count(),
        )

    [(text, audited)] = threads.run([published])  # on SQLite, the threads' copy of the database
    bits = status.decode(json.loads(text)["credentialSubject"]["encodedList"])
    assert [status.is_set(bits, i) for i in indices] == [True, True, False]
    assert audited == 2
