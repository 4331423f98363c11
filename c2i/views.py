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


def accessibility(request: HttpRequest) -> HttpResponse:
    return page(request, "accessibility.html", _("Accessibility"))


def ping(request: HttpRequest) -> HttpResponse:
    """A constant answer: the reference the benchmarks compare to."""
    return HttpResponse(b"ok", content_type="text/plain")
