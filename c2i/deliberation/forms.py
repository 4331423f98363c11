from __future__ import annotations

from django import forms
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
