from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.api.models import Scope
from c2i.lib.forms import Form


class TokenForm(Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. « Apogée » or « SI scolarité ».")
    )
    institution: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Institution"), queryset=None, empty_label=None
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give a token only what its software needs."),
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
