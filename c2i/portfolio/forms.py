from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from c2i.frameworks.models import Competency, Domain, Framework
from c2i.lib.forms import DateInput, Form
from c2i.portfolio.models import EvidenceKind, PositioningLevel
from c2i.portfolio.services import EvidenceDraft


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; empty files reach the service, which says
    why it refuses them."""

    template_name = "portfolio/fields/upload.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "fr-upload", "multiple": True}))
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data]
        return [one(data, initial)] if data else ([] if not self.required else [one(data, initial)])


def _limits() -> str:
    return str(
        _("Up to %(size)s per file. Accepted: PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, PNG, JPEG, UTF-8 text, ZIP.")
        % {"size": filesizeformat(settings.C2I_MAX_FILE_BYTES)}
    )


upload_help = lazy(_limits, str)


class CompetencyLabels:
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} — {obj.title}"


class CompetencyChoices(CompetencyLabels, forms.ModelMultipleChoiceField):
    pass


class CompetencyChoice(CompetencyLabels, forms.ModelChoiceField):
    pass


class CandidateKinds:
    """The kinds a candidate may choose (b is written by the platform)."""

    choices = [(k.value, k.label) for k in EvidenceKind if k != EvidenceKind.TEST_RESULT]


class EvidenceForm(Form):
    kind = forms.ChoiceField(
        label=_("Kind of evidence"),
        choices=CandidateKinds.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    context = forms.CharField(
        label=_("Context"),
        max_length=300,
        required=False,
        help_text=_("The course or activity it comes from, for example « UE Outils numériques, TD 3 »."),
    )
    activity_date = forms.DateField(label=_("Date of the activity"), required=False, widget=DateInput())
    competencies = CompetencyChoices(
        label=_("Competencies supported"),
        queryset=Competency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    link = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("An online production (https://…). Give a file, a link or both."),
    )
    reflection = forms.CharField(
        label=_("Reflection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What you did, what you learnt, why it shows the competencies. Required for kind (c). "
            "Plain text or Markdown (**bold**, lists, links)."
        ),
    )

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, framework: Framework, with_files: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.framework = framework
        field = self.fields["competencies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = (
            Competency.objects.filter(domain__framework=framework, retired=False)
            .select_related("domain")
            .order_by("domain__position", "position")
        )
        if with_files:
            self.fields["files"] = MultipleFileField(label=_("Files"), required=False, help_text=upload_help())

    def draft(self) -> EvidenceDraft:
        """The cleaned fields, as the services take them."""
        data = self.cleaned_data
        return EvidenceDraft(
            kind=data["kind"],
            title=data["title"],
            competencies=list(data["competencies"]),
            context=data.get("context") or "",
            activity_date=data.get("activity_date"),
            link=data.get("link") or "",
            reflection=data.get("reflection") or "",
        )

    def competency_groups(self) -> list[tuple[Domain, list[Any]]]:
        """The competency checkboxes, by domain."""
        domains = {c.pk: c.domain for c in self.fields["competencies"].queryset}  # type: ignore[attr-defined]
        groups: dict[int, tuple[Domain, list[Any]]] = {}
        for widget in self["competencies"].subwidgets:
            domain = domains[int(str(widget.data["value"]))]
            groups.setdefault(domain.pk, (domain, []))[1].append(widget)
        return list(groups.values())


class FileForm(Form):
    files = MultipleFileField(label=_("Add files"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = upload_help()


class CommentForm(Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the candidate. Plain text or Markdown."),
    )


class PositioningForm(Form):
    competency = CompetencyChoice(label=_("Competency"), queryset=Competency.objects.none())
    level = forms.ChoiceField(label=_("Positioning"), choices=PositioningLevel.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, framework: Framework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Competency.objects.filter(domain__framework=framework, retired=False).order_by(
            "domain__position", "position"
        )


class Progress:
    NONE = "none"
    PARTIAL = "partial"
    COMPLETE = "complete"
    choices = [
        ("", _("All")),
        (NONE, _("Not started")),
        (PARTIAL, _("In progress")),
        (COMPLETE, _("Every competency has evidence")),
    ]


class StaffFilterForm(Form):
    session = forms.ChoiceField(label=_("Session"), required=False)
    progress = forms.ChoiceField(label=_("Progress"), required=False, choices=Progress.choices)
    submitted = forms.ChoiceField(
        label=_("Submission"),
        required=False,
        choices=[("", _("All")), ("yes", _("Submitted")), ("no", _("Not submitted"))],
    )

    def __init__(self, *args: Any, sessions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", _("All")), *[(str(s.pk), str(s)) for s in sessions]]  # type: ignore[attr-defined]
