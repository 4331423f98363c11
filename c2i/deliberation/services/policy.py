"""A framework's deliberation policy, read from the database (the shape of the
framework files), for the pure engine `rules.py`."""

from __future__ import annotations

from c2i.deliberation.rules import Policy
from c2i.deliberation.services.errors import DeliberationError
from c2i.enrolment.models import InstitutionSession
from c2i.frameworks.models import Framework


def policy_for(framework: Framework) -> Policy:
    """The engine's policy of a framework, from the database (the same shape
    as the framework files): retired competencies are left out."""
    domains = []
    for domain in framework.domains.order_by("position", "code").prefetch_related("competencies"):
        codes = [c.code for c in sorted(domain.competencies.all(), key=lambda c: (c.position, c.code)) if not c.retired]
        domains.append({"code": domain.code, "competencies": codes})
    try:
        return Policy.from_framework_json({"code": framework.code, "policy": framework.policy, "domains": domains})
    except ValueError as error:
        raise DeliberationError("policy", str(error)) from error


def competency_codes(institution_session: InstitutionSession) -> list[str]:
    """The competencies the session's jury decides on, in the framework's order."""
    return [c for d in policy_for(institution_session.session.framework).domains for c in d.competencies]
