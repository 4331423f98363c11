from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from c2i.frameworks.models import Competency, Domain, Framework, FrameworkStatus
from c2i.lib.pages import page


def framework_list(request: HttpRequest) -> HttpResponse:
    frameworks = list(Framework.objects.all())
    return page(
        request,
        "frameworks/list.html",
        _("C2i frameworks"),
        certifying=[f for f in frameworks if f.is_certification],
        reference=[f for f in frameworks if not f.is_certification],
    )


def framework_detail(request: HttpRequest, code: str) -> HttpResponse:
    framework = get_object_or_404(
        Framework.objects.prefetch_related(
            Prefetch(
                "domains",
                queryset=Domain.objects.prefetch_related(
                    Prefetch("competencies", queryset=Competency.objects.filter(retired=False))
                ),
            )
        ),
        code=code,
    )
    return page(
        request,
        "frameworks/detail.html",
        f"{framework.code} — {framework.title}",
        [(reverse("frameworks:list"), _("Frameworks"))],
        framework=framework,
        incomplete=framework.status == FrameworkStatus.INCOMPLETE,
    )
