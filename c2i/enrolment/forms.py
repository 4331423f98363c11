from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.enrolment.models import CandidateStatus, InstitutionSession
from c2i.enrolment.roster import STATES
from c2i.lib.forms import DateInput, DateTimeInput, DsfrModelForm, Form


class InstitutionSessionForm(DsfrModelForm):
    class Meta:
        model = InstitutionSession
        fields = ["portfolio_deadline", "test_opens", "test_closes", "jury_date", "capacity", "place"]
        widgets = {
            "portfolio_deadline": DateTimeInput(),
            "test_opens": DateTimeInput(),
            "test_closes": DateTimeInput(),
            "jury_date": DateInput(),
        }

    def __init__(self, *args: Any, session: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("test_opens"), data.get("test_closes")
        if bool(opens) != bool(closes):
            self.add_error("test_closes", _("Give both ends of the test window, or neither."))
        elif opens and closes and closes <= opens:
            self.add_error("test_closes", _("The test window must close after it opens."))
        deadline, jury = data.get("portfolio_deadline"), data.get("jury_date")
        if deadline and jury and deadline.date() > jury:
            self.add_error("jury_date", _("The jury meets after the portfolio deadline."))
        if self.session is not None and jury and not self.session.start <= jury <= self.session.end:
            self.add_error(
                "jury_date",
                _("The jury date must fall within the session period (%(start)s – %(end)s).")
                % {"start": self.session.start.strftime("%d/%m/%Y"), "end": self.session.end.strftime("%d/%m/%Y")},
            )
        return data


class EnrolmentFilterForm(Form):
    q = forms.CharField(label=_("Name, e-mail or INE"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Enrolment status"), required=False, choices=[("", _("All")), *STATES])
    candidate_status = forms.ChoiceField(
        label=_("Candidate status"), required=False, choices=[("", _("All")), *CandidateStatus.choices]
    )


class ImportForm(Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns: nom, prenoms, date_naissance, lieu_naissance, email, ine (optional), statut "
            "(etudiant or formation_continue), cursus_particulier (optional, oui/non)."
        ),
    )
    only_valid = forms.BooleanField(
        label=_("Import only the valid lines if some are wrong"),
        required=False,
        help_text=_("By default nothing is imported while any line is wrong."),
    )
