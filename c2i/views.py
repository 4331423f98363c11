import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from c2i.frameworks.models import Framework
from c2i.lib.pages import page


def home(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "home.html",
        _("Home"),
        frameworks=[f for f in Framework.objects.all() if f.is_certification],
    )


# What the accessibility statement reports, as measured on the day it was
# drawn up (docs/accessibility.md says how: `python -m tests.a11y_support`
# after the browser tests). A new measure updates these figures and the date.
ACCESSIBILITY_MEASURE = {
    "date": dt.date(2026, 12, 2),
    "axe": "4.12",
    "pages": 59,
    "checks": 1414,
    "passed": 1414,
    "rate": "100",
}


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (déclaration d'accessibilité, article 47 of
    law 2005-102 and the RGAA 4.1 model)."""
    return page(
        request,
        "accessibility.html",
        _("Accessibility statement"),
        measure=ACCESSIBILITY_MEASURE,
        contact_email=settings.C2I_ACCESSIBILITY_EMAIL,
        contact_address=settings.C2I_ACCESSIBILITY_ADDRESS,
        site_url=request.build_absolute_uri("/"),
    )


def ping(request: HttpRequest) -> HttpResponse:
    """A constant answer: the reference the benchmarks compare to."""
    return HttpResponse(b"ok", content_type="text/plain")
