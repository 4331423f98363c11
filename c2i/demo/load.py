"""What `manage.py load_demo` runs, in this order: the people, institutions
and sessions first (enrolment), then the portfolios of the enrolled
candidates, then the jury's carried-over domain (it needs a candidate enrolled
at A), then the question banks and A's open exam (it needs A's session and the
reviewer). Idempotent: nothing is done when the demo accounts exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from c2i.accounts.models import User
from c2i.demo.assessment import load_assessment_demo
from c2i.demo.deliberation import load_deliberation_demo
from c2i.demo.enrolment import ACCOUNTS, load_enrolment_demo
from c2i.demo.portfolio import load_portfolio_demo


@dataclass
class DemoSummary:
    created: bool
    accounts: list[tuple[str, str]]


@transaction.atomic
def load_demo(today: dt.date | None = None) -> DemoSummary:
    if User.objects.filter(username="admin").exists():
        return DemoSummary(False, ACCOUNTS)
    load_enrolment_demo(today or timezone.localdate())
    load_portfolio_demo()
    load_deliberation_demo()
    load_assessment_demo()
    return DemoSummary(True, ACCOUNTS)
