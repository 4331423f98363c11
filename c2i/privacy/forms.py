from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.lib.forms import DateInput, Form
from c2i.privacy.audit import Filters


class AuditFilterForm(Form):
    action = forms.CharField(
        label=_("Action"), required=False, max_length=60, help_text=_("Its beginning, e.g. « enrolment. ».")
    )
    object_type = forms.CharField(
        label=_("Kind of object"), required=False, max_length=60, help_text=_("E.g. « enrolment.enrolment ».")
    )
    object_id = forms.CharField(label=_("Object number"), required=False, max_length=40)
    actor = forms.CharField(
        label=_("Author"), required=False, max_length=150, help_text=_("User name, e-mail or name.")
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            action=data["action"].strip(),
            object_type=data["object_type"].strip(),
            object_id=data["object_id"].strip(),
            actor=data["actor"].strip(),
            since=data["since"],
            until=data["until"],
        )


class RefusalForm(Form):
    reason = forms.CharField(
        label=_("Reason of the refusal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The candidate reads it in their space."),
    )
