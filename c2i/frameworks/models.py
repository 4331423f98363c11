from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class FrameworkStatus(models.TextChoices):
    COMPLETE = "complete", _("complete")
    INCOMPLETE = "incomplete", _("incomplete")
    SUPERSEDED = "superseded", _("superseded")
    SHARED_DOMAINS = "shared-domains", _("shared level-2 domains")


class PolicyKind(models.TextChoices):
    ALL_COMPETENCIES = "all_competencies", _("all competencies")
    THRESHOLD = "threshold", _("threshold")


class Framework(models.Model):
    """A référentiel (R1): a level, a specialty, domains and competencies."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    level = models.PositiveSmallIntegerField(_("level"))
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)
    title = models.CharField(_("title"), max_length=300)
    version = models.CharField(_("version"), max_length=100, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=FrameworkStatus.choices)
    policy = models.JSONField(_("validation policy"), default=dict)
    expected_domains = models.PositiveSmallIntegerField(_("expected number of domains"), default=0)
    expected_competencies = models.PositiveSmallIntegerField(_("expected number of competencies"), default=0)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    missing = models.TextField(_("missing data"), blank=True)

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("frameworks:detail", args=[self.code])

    @property
    def is_certification(self) -> bool:
        """Superseded and shared-domain files are kept for reference only."""
        return self.status in {FrameworkStatus.COMPLETE, FrameworkStatus.INCOMPLETE}

    def completeness_problems(self) -> list[str]:
        """What keeps the framework incomplete (R3), in words; empty when complete."""
        problems = [
            gettext("domain %(code)s has no title") % {"code": d.code} for d in self.domains.all() if not d.title
        ]
        active = Competency.objects.filter(domain__framework=self, retired=False)
        problems += [gettext("competency %(code)s has no title") % {"code": c.code} for c in active.filter(title="")]
        for domain in self.domains.all():
            if not domain.competencies.filter(retired=False).exists():
                problems.append(gettext("domain %(code)s has no competency") % {"code": domain.code})
        count = active.count()
        if self.expected_competencies and count != self.expected_competencies:
            problems.append(
                gettext("%(count)s competencies instead of the %(expected)s expected")
                % {"count": count, "expected": self.expected_competencies}
            )
        return problems

    def refresh_completeness(self) -> None:
        """R3: a framework becomes complete once every title and competency is known."""
        if self.status == FrameworkStatus.INCOMPLETE and not self.completeness_problems():
            self.status = FrameworkStatus.COMPLETE
            self.missing = ""
            self.save(update_fields=["status", "missing"])

    @property
    def policy_kind(self) -> str:
        return str(self.policy.get("kind", PolicyKind.ALL_COMPETENCIES))

    @property
    def test_required(self) -> bool:
        return bool(self.policy.get("knowledge_test", {}).get("required"))

    @property
    def knowledge_test(self) -> dict[str, Any]:
        return dict(self.policy.get("knowledge_test", {}))

    def policy_sentences(self) -> list[str]:
        """The validation policy in words (R11–R13, R16) for the public page."""
        sentences = []
        if self.policy_kind == PolicyKind.THRESHOLD:
            sentences.append(
                gettext(
                    "Certification requires at least %(min)s of the %(total)s competencies to be "
                    "validated, with at most %(max)s not validated in each domain (R13)."
                )
                % {
                    "min": self.policy.get("min_validated_total"),
                    "total": self.expected_competencies,
                    "max": self.policy.get("max_not_validated_per_domain"),
                }
            )
            sentences.append(
                gettext(
                    "For the attestation and for carry-over, a domain counts as validated only when "
                    "all its competencies are validated (R13)."
                )
            )
        else:
            sentences.append(
                gettext(
                    "Certification requires every domain to be validated; a domain is validated when "
                    "all its competencies are validated (R11, R12). There is no compensation between "
                    "competencies or between domains."
                )
            )
        test = self.knowledge_test
        if test.get("required"):
            sentences.append(
                ngettext(
                    "A multiple-choice knowledge test is required in each domain: at least %(n)d question "
                    "per domain, positive at %(threshold)s %% or more (R16–R18).",
                    "A multiple-choice knowledge test is required in each domain: at least %(n)d questions "
                    "per domain, positive at %(threshold)s %% or more (R16–R18).",
                    int(test.get("min_questions_per_domain", 12)),
                )
                % {
                    "n": int(test.get("min_questions_per_domain", 12)),
                    "threshold": test.get("pass_threshold_percent", 50),
                }
            )
            sentences.append(
                gettext(
                    "A domain can never be validated on the knowledge test alone: each competency "
                    "needs evidence from the portfolio (R10)."
                )
            )
        else:
            sentences.append(gettext("No knowledge test is required for this framework (R16)."))
        sentences.append(
            gettext(
                "Validated domains are kept for a later attempt in the same framework (R14); on failure "
                "an attestation lists them (R15)."
            )
        )
        return sentences


class Domain(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="domains")
    code = models.CharField(_("code"), max_length=10)
    title = models.CharField(_("title"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    part = models.CharField(_("part"), max_length=10, blank=True)
    common_level2 = models.BooleanField(_("common level-2 domain"), default=False)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="domain_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}" if self.title else self.code

    @property
    def test_required(self) -> bool:
        return self.framework.test_required


class Competency(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="competencies")
    code = models.CharField(_("code"), max_length=12)
    title = models.CharField(_("title"), max_length=400, blank=True)
    alt_code = models.CharField(_("alternative code"), max_length=12, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("source note"), max_length=300, blank=True)
    retired = models.BooleanField(
        _("retired"),
        default=False,
        help_text=_("No longer in the framework, kept because decisions or evidence refer to it."),
    )

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["domain__position", "position"]
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="competency_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}" if self.title else self.code
