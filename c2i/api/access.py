"""Who reaches which API token: the correspondents of its institution and the
national administrator; another institution's token answers 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from c2i.accounts.models import User
from c2i.api.models import ApiToken
from c2i.enrolment.access import correspondent_institutions


def tokens_for(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(institution__in=correspondent_institutions(user)).select_related(
        "institution", "created_by", "revoked_by"
    )


def get_token_to_manage(user: User, pk: int) -> ApiToken:
    token = tokens_for(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token
