"""Question-bank import and export in GIFT and Moodle XML, through the pure
parsers of `c2i.assessment.formats`.

An import is all-or-nothing by default: while any question is rejected,
nothing is stored, and the report says where each rejected question is and
why. Beyond the parsers' own checks, a question is rejected when its
competency is not a current competency of the framework (from its category
path or a `competence:` tag, `formats.model.competency_code`), when it shows
an image from another site (tracking: `text.foreign_image`), or when it
does not have 2 options (true/false) or 4 or 5 (multiple choice, R18).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment import scoring
from c2i.assessment.formats.gift import dump_gift, parse_gift
from c2i.assessment.formats.model import (
    OptionData,
    ParseResult,
    QuestionData,
    Rejected,
    competency_code,
    default_name,
    is_competency_tag,
)
from c2i.assessment.formats.moodle_xml import dump_moodle_xml, parse_moodle_xml
from c2i.assessment.models import Label, Question, QuestionKind, QuestionStatus
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.questions import (
    MAX_LABELS,
    OptionInput,
    QuestionDraft,
    check_image,
    clean_label,
    create_question,
)
from c2i.assessment.text import foreign_image
from c2i.frameworks.models import Competency, Framework

FORMATS = ("gift", "moodlexml")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    accepted: int = 0  # questions that passed every check
    dry_run: bool = False
    # per accepted question, what the bank does not keep of it (reason: « « Titre » : indices non repris (2) »)
    not_kept: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {
            "imported": self.imported,
            "rejected": [{"where": r.where, "reason": r.reason} for r in self.rejected],
            "not_kept": [{"where": r.where, "reason": r.reason} for r in self.not_kept],
        }
        if self.dry_run:
            result["dry_run"] = True
            result["would_import"] = self.accepted
        return result


def parse(data: bytes, fmt: str) -> ParseResult:
    if fmt not in FORMATS:
        raise AssessmentError("format_unknown", _("Unknown format: choose GIFT or Moodle XML."))
    if len(data) > MAX_IMPORT_BYTES:
        return ParseResult([], [Rejected(_("file"), _("The file is larger than 20 MB."))])
    if fmt == "moodlexml":
        return parse_moodle_xml(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return ParseResult(
            [], [Rejected(_("file"), _("The file is not UTF-8 text (byte %(at)s).") % {"at": error.start})]
        )
    return parse_gift(text)


def _position(where: str) -> int:
    match = re.search(r"\d+", where)
    return int(match.group()) if match else 0


def _check(
    q: QuestionData, framework: Framework, competencies: dict[str, Competency], codes: set[str]
) -> str | Competency:
    segments = [s for s in q.category.split("/") if s.strip()]
    if len(segments) > 1 and segments[0] in codes and segments[0] != framework.code:
        # D1.1 exists in several frameworks: a C2i2ms question must not land in C2i1.
        return _("the question is in a category of the framework %(other)s, not %(framework)s") % {
            "other": segments[0],
            "framework": framework.code,
        }
    code = competency_code(q)
    if code is None:
        return _(
            "no competency: put the question in a category ending with its code (e.g. %(example)s) "
            "or give it a tag competence:CODE"
        ) % {"example": f"{framework.code}/D1/D1.2"}
    competency = competencies.get(code)
    if competency is None:
        return _("competency %(code)s unknown in the framework %(framework)s") % {
            "code": code,
            "framework": framework.code,
        }
    found = foreign_image(q.stem, q.stem_format, [(o.text, o.feedback) for o in q.options], q.general_feedback)
    if found is not None:
        return _(
            "question « %(name)s »: image from another site (%(src)s) in %(where)s; only images stored on the "
            "platform are accepted (add it on the platform with the Image field of the question)"
        ) % {"name": q.name, "src": found[1], "where": found[0]}
    if q.image is not None:
        try:
            check_image(q.image)
        except AssessmentError as error:
            return _("question « %(name)s »: image « %(file)s » refused: %(why)s") % {
                "name": q.name,
                "file": q.image_name,
                "why": error.message,
            }
    if q.kind == QuestionKind.TRUEFALSE:
        if len(q.options) != 2:
            return _("a true/false question has 2 options (%(count)s found)") % {"count": len(q.options)}
    elif len(q.options) not in scoring.DRAWABLE_OPTION_COUNTS:
        return _("R18: a multiple-choice question has 4 or 5 options (%(count)s found)") % {"count": len(q.options)}
    return competency


def import_questions(
    framework: Framework,
    data: bytes,
    fmt: str,
    actor: User | None,
    *,
    status: str = QuestionStatus.IN_REVIEW,
    partial: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Parse, check, then store (all or nothing unless `partial`)."""
    result = parse(data, fmt)
    competencies = {
        c.code.upper(): c
        for c in Competency.objects.filter(domain__framework=framework, retired=False).select_related("domain")
    }
    codes = set(Framework.objects.values_list("code", flat=True))
    report = ImportReport(rejected=list(result.rejected), dry_run=dry_run)
    accepted: list[tuple[QuestionData, Competency]] = []
    for q in result.questions:
        checked = _check(q, framework, competencies, codes)
        if isinstance(checked, str):
            report.rejected.append(Rejected(q.where, checked))
        else:
            accepted.append((q, checked))
    report.rejected.sort(key=lambda r: _position(r.where))
    report.accepted = len(accepted)
    labels = {id(q): _labels(q) for q, _competency in accepted}
    for q, _competency in accepted:
        lost = q.not_kept + labels[id(q)][1]
        if lost:
            report.not_kept.append(Rejected(q.where, f"« {q.name} » : " + " ; ".join(lost)))
    if dry_run or (report.rejected and not partial) or not accepted:
        return report
    with transaction.atomic():
        for q, competency in accepted:
            draft = QuestionDraft(
                competency=competency,
                kind=q.kind,
                name=q.name,
                stem=q.stem,
                stem_format=q.stem_format,
                single=q.single,
                feedback=q.general_feedback,
                idnumber=q.idnumber,
                options=[OptionInput(o.text, o.fraction, o.feedback) for o in q.options],
                image=q.image,
                labels=labels[id(q)][0],
            )
            create_question(actor, framework, draft, status=status)
        report.imported = len(accepted)
        audit(
            actor,
            AuditAction.ASSESSMENT_QUESTIONS_IMPORT,
            framework,
            format=fmt,
            imported=report.imported,
            rejected=len(report.rejected),
            not_kept=len(report.not_kept),
            status=status,
        )
    return report


def _labels(q: QuestionData) -> tuple[list[str], list[str]]:
    """The question's tags kept as labels, and what is said of those that are not."""
    kept: list[str] = []
    lost: list[str] = []
    for tag in q.tags:
        name = clean_label(tag)
        if not name or is_competency_tag(name) or name in kept:
            continue
        if len(name) > Label.MAX_LENGTH:
            lost.append(
                _("tag « %(name)s… » not kept (longer than %(max)s characters)")
                % {"name": name[:30], "max": Label.MAX_LENGTH}
            )
        elif len(kept) == MAX_LABELS:
            lost.append(_("tag « %(name)s » not kept (%(max)s labels at most)") % {"name": name, "max": MAX_LABELS})
        else:
            kept.append(name)
    return kept, lost


IMAGE_EXTENSIONS = {"png": "png", "jpeg": "jpg"}


def _image(question: Question) -> tuple[bytes | None, str]:
    if not question.image:
        return None, ""
    with question.image.open("rb") as file:
        data = file.read()
    return data, f"image.{IMAGE_EXTENSIONS.get(question.image_type, 'png')}"


def question_data(question: Question) -> QuestionData:
    """The question as the formats write it (callers prefetch `options` and `labels`)."""
    competency = question.competency
    image, image_name = _image(question)
    return QuestionData(
        kind=question.kind,
        name=question.name or default_name(question.stem, question.stem_format),
        stem=question.stem,
        stem_format=question.stem_format,
        options=[OptionData(o.text, o.fraction, o.feedback) for o in question.options.all()],
        single=question.single,
        general_feedback=question.feedback,
        category=f"{question.framework.code}/{competency.domain.code}/{competency.code}",
        tags=sorted(label.name for label in question.labels.all()),
        idnumber=question.idnumber,
        image=image,
        image_name=image_name,
    )


def export_questions(questions: Iterable[Question], fmt: str) -> bytes:
    """GIFT or Moodle XML; categories give each question's competency back on import."""
    data = [
        question_data(q)
        for q in questions  # callers prefetch options and select the competency
    ]
    if fmt == "gift":
        return dump_gift(data).encode("utf-8")
    if fmt == "moodlexml":
        return dump_moodle_xml(data)
    raise AssessmentError("format_unknown", _("Unknown format: choose GIFT or Moodle XML."))
