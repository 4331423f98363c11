from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from c2i.accounts.models import User
from c2i.enrolment.models import CandidateStatus, InstitutionSession
from c2i.enrolment.roster import STATES
from c2i.lib.forms import DateInput, DateTimeInput, DsfrModelForm, Form
from c2i.lib.identifiers import IdentifierError, validate_ine


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
            "(etudiant or formation_continue), cursus_particulier (optional, oui/non); exam adjustments, "
            "optional: temps_supplementaire (33, 33 % or tiers-temps), gros_caracteres and salle_separee "
            "(oui/non), reference_amenagement."
        ),
    )
    only_valid = forms.BooleanField(
        label=_("Import only the valid lines if some are wrong"),
        required=False,
        help_text=_("By default nothing is imported while any line is wrong."),
    )


class AdjustmentsForm(Form):
    """An enrolment's exam adjustments (`adjustments.set_adjustments`)."""

    extra_time_percent = forms.IntegerField(
        label=_("Extra time (% of each test's duration)"),
        min_value=0,
        max_value=200,
        initial=0,
        help_text=_(
            "The « tiers-temps » is 33 %: 20 more minutes for a 60-minute test, rounded up to the whole "
            "minute. 0 for none."
        ),
    )
    larger_text = forms.BooleanField(label=_("Larger text"), required=False)
    separate_room = forms.BooleanField(label=_("Separate room"), required=False)
    note = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=200,
        help_text=_("E.g. the date of the disability service's opinion. Never medical details."),
    )


# --- self-registration (enrolment.views.register) ----------------------------


def clean_ine_value(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_ine(value).value
    except IdentifierError as error:
        raise forms.ValidationError(error.message, code=error.code) from error


class IdentityFields(Form):
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_names = forms.CharField(label=_("First names"), max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    birth_place = forms.CharField(label=_("Birth place"), max_length=120, help_text=_("Town, and country if abroad."))
    ine = forms.CharField(
        label=_("INE (national student identifier)"),
        max_length=14,
        required=False,
        help_text=_("11 characters, on your student card. Leave empty if you have none (continuing education)."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=CandidateStatus.choices, widget=forms.RadioSelect)

    def clean_ine(self) -> str:
        return clean_ine_value(self.cleaned_data.get("ine", ""))


class RegistrationForm(IdentityFields):
    email = forms.EmailField(label=_("E-mail address"))
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    field_order = [
        "email",
        "password1",
        "password2",
        "last_name",
        "first_names",
        "birth_date",
        "birth_place",
        "ine",
        "status",
    ]

    def clean_email(self) -> str:
        # Whether the address already has an account is never said here: the
        # e-mail sent to it says so (issue 10, finding 9).
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = User(
                username=data.get("email", ""),
                email=data.get("email", ""),
                first_name=data.get("first_names", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
