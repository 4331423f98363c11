"""The filters of the figures pages (GET forms: a wrong value is said, and
the figures are shown without it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.enrolment.models import Session
from c2i.frameworks.models import Framework
from c2i.institutions.models import Institution
from c2i.lib.forms import Form
from c2i.statistics.figures import Filters
from c2i.statistics.models import SessionFigures

ORDERS = (
    ("enrolled", _("by enrolments")),
    ("success", _("by success rate")),
    ("name", _("by name")),
)


def _years() -> list[tuple[str, str]]:
    years = SessionFigures.objects.values_list("year", flat=True).distinct().order_by("-year")
    return [(str(y), str(y)) for y in years]


class FiguresFilterForm(Form):
    annee = forms.ChoiceField(label=_("Year"), required=False)
    referentiel = forms.ChoiceField(label=_("Framework"), required=False)
    session = forms.ChoiceField(label=_("National session"), required=False)
    etablissement = forms.ChoiceField(label=_("Institution"), required=False)
    tri = forms.ChoiceField(label=_("Rank the institutions"), required=False, choices=ORDERS)

    def __init__(self, data: Any, *, institutions: bool = True, sessions: bool = True) -> None:
        super().__init__(data)
        every = [("", _("All"))]
        self.fields["annee"].choices = every + _years()
        self.fields["referentiel"].choices = every + [
            (str(pk), code) for pk, code in Framework.objects.order_by("code").values_list("pk", "code")
        ]
        if sessions:
            self.fields["session"].choices = every + [
                (str(s.pk), s.name) for s in Session.objects.order_by("-start", "name").only("pk", "name")
            ]
        else:
            del self.fields["session"]
        if institutions:
            self.fields["etablissement"].choices = every + [
                (str(pk), f"{name} ({town})")
                for pk, name, town in Institution.objects.order_by("name").values_list("pk", "name", "town")
            ]
        else:
            del self.fields["etablissement"]
            del self.fields["tri"]

    def filters(self) -> Filters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def number(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        return Filters(
            year=number("annee"),
            framework=number("referentiel"),
            session=number("session"),
            institution=number("etablissement"),
        )

    def order(self) -> str:
        self.is_valid()
        return str(getattr(self, "cleaned_data", {}).get("tri") or "enrolled")


class PublicFilterForm(Form):
    annee = forms.ChoiceField(label=_("Year"), required=False)
    referentiel = forms.ChoiceField(label=_("Framework"), required=False)

    def __init__(self, data: Any, years: list[int], frameworks: list[str]) -> None:
        super().__init__(data)
        self.fields["annee"].choices = [(str(y), str(y)) for y in sorted(years, reverse=True)]
        self.fields["referentiel"].choices = [("", _("All frameworks"))] + [(c, c) for c in frameworks]

    def selection(self, years: list[int]) -> tuple[int | None, str | None]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        year = int(data["annee"]) if data.get("annee") else (max(years) if years else None)
        return year, data.get("referentiel") or None
