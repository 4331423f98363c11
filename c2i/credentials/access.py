"""Who may download an issued document: its holder, the correspondents of the
institution that issued it and the national administrator (404 for anybody
else, so nothing leaks about other people's documents)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.credentials.models import IssuedDocument


def documents_for_user(user: User) -> QuerySet[IssuedDocument]:
    r = roles(user)
    qs = IssuedDocument.objects.select_related("enrolment__candidate", "enrolment__institution_session")
    if r.is_admin:
        return qs
    return qs.filter(
        Q(enrolment__candidate_id=r.candidate_id or 0)
        | Q(enrolment__institution_session__institution_id__in=r.correspondent_of)
    )


def get_document_for_user(user: User, pk: int) -> IssuedDocument:
    document = documents_for_user(user).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def get_document_for_holder(user: User, pk: int) -> IssuedDocument:
    """The holder's own document (the Open Badges credential is theirs only)."""
    r = roles(user)
    document = documents_for_user(user).filter(pk=pk, enrolment__candidate_id=r.candidate_id or 0).first()
    if document is None:
        raise Http404
    return document
