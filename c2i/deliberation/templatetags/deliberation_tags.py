from __future__ import annotations

from typing import Any

from django import template

from c2i.accounts.access import roles
from c2i.deliberation.models import DomainCredit

register = template.Library()


@register.simple_tag
def carried_over_credits(user: Any) -> list[DomainCredit]:
    """R14: the signed-in candidate's validated domains kept for later sessions."""
    from c2i.enrolment.models import Candidate

    r = roles(user)
    if r.candidate_id is None:
        return []
    key = Candidate.objects.filter(pk=r.candidate_id).values_list("identity_key", flat=True).first()
    return list(
        DomainCredit.objects.filter(identity_key=key, revoked_at__isnull=True)
        .select_related("framework", "institution_session__session", "institution_session__institution")
        .order_by("framework__code", "domain_code")
    )
