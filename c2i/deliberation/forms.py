from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from c2i.lib.forms import Form


class JuryMemberForm(Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "A user of the institution or anyone else: an account is created if there is none, "
            "and its owner receives an e-mail to choose its password."
        ),
    )
    is_chair = forms.BooleanField(label=_("Chair of the jury"), required=False)


class GridImportForm(Form):
    file = forms.FileField(label=_("Grid (CSV)"), help_text=_("Separator « ; » or « , »; see the jury help."))


class RectificationForm(Form):
    competency = forms.CharField(widget=forms.HiddenInput)
    value = forms.ChoiceField(label=_("New decision"), choices=[("V", _("validated")), ("NV", _("not validated"))])
    reason = forms.CharField(label=_("Reason of the rectification"), widget=forms.Textarea(attrs={"rows": 2}))


class CandidateFilterForm(Form):
    """The jury's search in a session's candidates: a name (or INE, e-mail)
    and a state, each state with its count (`services.list_counts`)."""

    q = forms.CharField(label=_("Name, INE or e-mail"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("Outcome"), required=False)

    def __init__(self, *args: Any, counts: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "": _("All"),
            "certified": _("certified"),
            "not_certified": _("not certified"),
            "undecided": _("undecided"),
            "deferred": _("deferred"),
        }
        self.fields["state"].choices = [
            (key, f"{capfirst(label)} ({counts.get(key or 'all', 0)})") for key, label in labels.items()
        ]
