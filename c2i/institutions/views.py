from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from c2i.frameworks.models import Framework, FrameworkStatus
from c2i.institutions.directory import Match, Place, resolve_place, search
from c2i.institutions.models import Commune, Institution
from c2i.lib.forms import Form
from c2i.lib.pages import page


class DirectoryForm(Form):
    framework = forms.ModelChoiceField(
        label=gettext_lazy("Framework"),
        queryset=Framework.objects.filter(status__in=[FrameworkStatus.COMPLETE, FrameworkStatus.INCOMPLETE]),
        required=False,
        empty_label=gettext_lazy("All frameworks"),
        to_field_name="code",
    )
    place = forms.CharField(
        label=gettext_lazy("Town or postcode"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("For example « Lyon » or « 69007 »."),
    )


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    place: Place | None = None
    others: list[Commune] = []
    matches: list[Match] = []
    searched = False
    if form.is_valid():
        searched = True
        text = form.cleaned_data["place"]
        place, others = resolve_place(text)
        if text and place is None:
            form.add_error("place", _("No French town or postcode matches « %(text)s ».") % {"text": text})
        matches = search(form.cleaned_data["framework"], place, timezone.localdate())
    return page(
        request,
        "institutions/directory.html",
        _("Find a certifying institution"),
        form=form,
        place=place,
        others=others[:5],
        matches=matches,
        searched=searched,
    )


def institution_detail(request: HttpRequest, uai: str) -> HttpResponse:
    institution = get_object_or_404(Institution, uai=uai.upper())
    return page(
        request,
        "institutions/detail.html",
        institution.name,
        [(reverse("institutions:directory"), _("Find a certifying institution"))],
        institution=institution,
        accreditations=institution.accreditations.select_related("framework").order_by("framework__code"),
        contacts=institution.public_contacts(),
        today=timezone.localdate(),
    )
