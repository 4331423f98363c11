from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.assessment import scoring
from c2i.assessment.interchange import FORMATS
from c2i.assessment.models import Exam, QuestionStatus, ReviewVerdict, parse_networks
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.exams import check_bank, default_domains
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Competency, Domain, Framework
from c2i.lib.forms import DateTimeInput, DsfrModelForm, Form

MAX_OPTIONS = 5
FORMAT_CHOICES = [(f, {"gift": "GIFT", "moodlexml": "Moodle XML"}[f]) for f in FORMATS]


class CompetencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Competency) -> str:
        return f"{obj.domain.framework.code} · {obj.code} {obj.title}"[:140]


def competency_queryset() -> Any:
    return (
        Competency.objects.filter(retired=False, domain__framework__status__in=["complete", "incomplete"])
        .select_related("domain__framework")
        .order_by("domain__framework__level", "domain__framework__code", "domain__position", "position")
    )


class QuestionForm(Form):
    """A multiple-choice question written on the site: 4 or 5 options, one or
    several correct (R18)."""

    competency = CompetencyChoiceField(label=_("Competency"), queryset=Competency.objects.none())
    name = forms.CharField(
        label=_("Short name"), required=False, max_length=200, help_text=_("For the bank's lists and exports.")
    )
    stem = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    image = forms.FileField(label=_("Image"), required=False, help_text=_("Optional: PNG or JPEG, 2 MB at most."))
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)
    feedback = forms.CharField(
        label=_("Feedback"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text=_("Why the right answers are right; never shown during the test."),
    )
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=2000,
        help_text=_("Optional: short words to find the question again, separated by commas (Moodle's tags)."),
    )

    def __init__(self, *args: Any, has_image: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competency"].queryset = competency_queryset()
        if not has_image:
            del self.fields["remove_image"]
        for i in range(1, MAX_OPTIONS + 1):
            self.fields[f"option_{i}"] = forms.CharField(
                label=_("Option %(n)s") % {"n": i},
                required=False,
                max_length=1000,
                help_text=_("A fifth option is optional.") if i == MAX_OPTIONS else "",
            )
            self.fields[f"correct_{i}"] = forms.BooleanField(
                label=_("Option %(n)s is correct") % {"n": i}, required=False
            )
            self.fields[f"option_feedback_{i}"] = forms.CharField(
                label=_("Feedback on option %(n)s") % {"n": i},
                required=False,
                max_length=1000,
                help_text=_("Optional: shown with the results to those who chose it."),
            )

    def option_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"option_{i}"], self[f"correct_{i}"], self[f"option_feedback_{i}"]) for i in range(1, MAX_OPTIONS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        texts = [(data.get(f"option_{i}") or "").strip() for i in range(1, MAX_OPTIONS + 1)]
        for i, text in enumerate(texts, start=1):
            if not text and data.get(f"correct_{i}"):
                self.add_error(f"option_{i}", _("An empty option cannot be correct."))
            if not text and (data.get(f"option_feedback_{i}") or "").strip():
                self.add_error(f"option_feedback_{i}", _("An empty option cannot have feedback."))
        if any(not t for t in texts[:4]):
            for i, text in enumerate(texts[:4], start=1):
                if not text:
                    self.add_error(f"option_{i}", _("R18: a question has 4 or 5 options; fill in this one."))
        elif not any(data.get(f"correct_{i}") for i in range(1, MAX_OPTIONS + 1) if texts[i - 1]):
            self.add_error("correct_1", _("R18: tick at least one correct option."))
        return data

    def options(self) -> list[tuple[str, bool, str]]:
        """(text, correct, feedback) of each filled-in option, in order."""
        data = self.cleaned_data
        return [
            (
                data[f"option_{i}"].strip(),
                bool(data.get(f"correct_{i}")),
                (data.get(f"option_feedback_{i}") or "").strip(),
            )
            for i in range(1, MAX_OPTIONS + 1)
            if (data.get(f"option_{i}") or "").strip()
        ]


class ReviewForm(Form):
    verdict = forms.ChoiceField(label=_("Your opinion"), choices=ReviewVerdict.choices, widget=forms.RadioSelect)
    remark = forms.CharField(
        label=_("Remark"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        help_text=_("Required when you refuse: the author reads it to improve the question."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verdict") == ReviewVerdict.REFUSE and not (data.get("remark") or "").strip():
            self.add_error("remark", _("Say why you refuse the question."))
        return data


def certification_frameworks() -> Any:
    return Framework.objects.filter(status__in=["complete", "incomplete"]).order_by("level", "code")


class ImportForm(Form):
    framework = forms.ModelChoiceField(label=_("Framework"), queryset=Framework.objects.none(), to_field_name="code")
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "The competency of each question comes from its category (e.g. C2i1/D1/D1.2) or a tag "
            "competence:D1.2. Multiple choice with 4 or 5 options, or true/false."
        ),
    )
    status = forms.ChoiceField(label=_("Status of the imported questions"), choices=[])
    partial = forms.BooleanField(
        label=_("Import the valid questions even if some are rejected"),
        required=False,
        help_text=_("By default nothing is imported while any question is rejected."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file"), required=False)

    def __init__(self, *args: Any, may_validate: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = certification_frameworks()
        statuses = [QuestionStatus.IN_REVIEW, QuestionStatus.DRAFT]
        if may_validate:
            statuses.append(QuestionStatus.VALIDATED)
        self.fields["status"].choices = [(s.value, s.label) for s in statuses]


class ExportForm(Form):
    framework = forms.ModelChoiceField(label=_("Framework"), queryset=Framework.objects.none(), to_field_name="code")
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    status = forms.ChoiceField(
        label=_("Questions"),
        choices=[("validated", _("validated only")), ("all", _("all but retired"))],
        initial="validated",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = certification_frameworks()


class BankDomainField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Domain) -> str:
        return f"{obj.framework.code} · {obj.code} — {obj.title}"[:90]


class BankFilterForm(Form):
    framework = forms.ModelChoiceField(
        label=_("Framework"),
        queryset=Framework.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All"),
    )
    domain = BankDomainField(label=_("Domain"), queryset=Domain.objects.none(), required=False, empty_label=_("All"))
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *QuestionStatus.choices], required=False)
    q = forms.CharField(label=_("Text or competency"), required=False, max_length=100)
    label = forms.CharField(label=_("Label"), required=False, max_length=100)
    to_review = forms.BooleanField(label=_("Waiting for my opinion"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = certification_frameworks()
        self.fields["domain"].queryset = (
            Domain.objects.filter(framework__in=certification_frameworks())
            .select_related("framework")
            .order_by("framework__level", "framework__code", "position", "code")
        )


class DomainsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Domain) -> str:
        return f"{obj.code} — {obj.title}"


class ExamForm(DsfrModelForm):
    domains = DomainsField(
        label=_("Domains tested"),
        queryset=Domain.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("By default the domains the framework requires a test in (R16)."),
    )

    class Meta:
        model = Exam
        fields = [
            "title",
            "domains",
            "per_domain",
            "duration_minutes",
            "opens_at",
            "closes_at",
            "access_code",
            "allowed_networks",
        ]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "allowed_networks": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "per_domain": _("At least 12 (R17), drawn from the validated questions of each domain."),
            "duration_minutes": _("Extra time for a candidate is granted on the test's page."),
        }

    def __init__(self, *args: Any, institution_session: InstitutionSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.institution_session = institution_session
        framework = institution_session.session.framework
        cast(DomainsField, self.fields["domains"]).queryset = framework.domains.order_by("position")
        if not self.instance.pk:
            self.initial.setdefault("domains", [d.pk for d in default_domains(framework)])
            self.initial.setdefault("title", _("Knowledge test %(framework)s") % {"framework": framework.code})
            if institution_session.test_opens:
                self.initial.setdefault("opens_at", institution_session.test_opens)
            if institution_session.test_closes:
                self.initial.setdefault("closes_at", institution_session.test_closes)
        self.fields["per_domain"].error_messages["min_value"] = _(
            "R17: at least %(limit_value)s questions are drawn in each domain."
        )

    def clean_allowed_networks(self) -> str:
        text = self.cleaned_data.get("allowed_networks", "")
        wrong = []
        for part in text.replace(",", " ").split():
            try:
                parse_networks(part)
            except ValueError:
                wrong.append(part)
        if wrong:
            raise forms.ValidationError(
                _("Not an address range in CIDR notation (e.g. 192.0.2.0/24): %(wrong)s") % {"wrong": ", ".join(wrong)}
            )
        return "\n".join(str(n) for n in parse_networks(text))

    def clean_access_code(self) -> str:
        return (self.cleaned_data.get("access_code") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The test must close after it opens."))
        window = self.institution_session
        if opens and window.test_opens and opens < window.test_opens:
            self.add_error(
                "opens_at",
                _("The session's test window opens on %(when)s.") % {"when": _local(window.test_opens)},
            )
        if closes and window.test_closes and closes > window.test_closes:
            self.add_error(
                "closes_at",
                _("The session's test window closes on %(when)s.") % {"when": _local(window.test_closes)},
            )
        domains, per_domain = data.get("domains"), data.get("per_domain")
        if domains and per_domain and per_domain >= scoring.MIN_QUESTIONS_PER_DOMAIN:
            try:
                check_bank(window.session.framework, sorted(domains, key=lambda d: d.position), per_domain)
            except AssessmentError as error:
                self.add_error("domains", error.message)
        return data


def _local(value: Any) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


class StartForm(Form):
    access_code = forms.CharField(
        label=_("Access code"), max_length=40, help_text=_("Given by the supervisor of the room.")
    )


class EnrolmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Enrolment) -> str:
        return obj.candidate.full_name


class ExtraTimeForm(Form):
    enrolment = EnrolmentChoiceField(label=_("Candidate"), queryset=Enrolment.objects.none())
    minutes = forms.IntegerField(label=_("Extra time (minutes)"), min_value=0, max_value=600)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, institution_session: InstitutionSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(EnrolmentChoiceField, self.fields["enrolment"]).queryset = (
            Enrolment.objects.filter(institution_session=institution_session, status=EnrolmentStatus.ACTIVE)
            .select_related("candidate")
            .order_by("candidate__last_name", "candidate__first_names")
        )


class ReopenForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept in the audit trail (R19: a test is sat once; reopening is the exception)."),
    )
    minutes = forms.IntegerField(label=_("Time granted from now (minutes)"), min_value=1, max_value=600, initial=15)
