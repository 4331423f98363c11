"""The question bank (R18): questions, their options and images, written in
one transaction each, every check first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment import scoring
from c2i.assessment.models import (
    Label,
    Option,
    Question,
    QuestionKind,
    QuestionStatus,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.text import foreign_image
from c2i.frameworks.models import Competency, Framework
from c2i.lib import images

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_LABELS = 20


@dataclass(frozen=True)
class OptionInput:
    text: str  # sanitised HTML fragment
    fraction: float  # Moodle percent; correct when positive
    feedback: str = ""


def fractions_for(correct: Sequence[bool]) -> list[float]:
    """Moodle grades that make Moodle score like R18: each correct option
    100/B, each wrong one −100/M (B ≤ 5 and M ≤ 4 give allowed grades)."""
    b = sum(1 for c in correct if c)
    m = len(correct) - b
    right = round(100 / b, 5) if b else 0.0
    wrong = -round(100 / m, 5) if m else 0.0
    return [right if c else wrong for c in correct]


def check_options(kind: str, options: Sequence[OptionInput]) -> None:
    """R18: 4 or 5 options (2 for true/false), at least one correct."""
    if kind == QuestionKind.TRUEFALSE:
        if len(options) != 2:
            raise AssessmentError("tf_options", _("A true/false question has exactly two options."))
    elif len(options) not in scoring.DRAWABLE_OPTION_COUNTS:
        raise AssessmentError(
            "option_count",
            _("R18: a question has 4 or 5 options (%(count)s given).") % {"count": len(options)},
        )
    if not any(o.fraction > 0 for o in options):
        raise AssessmentError("no_correct_option", _("R18: at least one option must be correct."))
    if any(not o.text.strip() for o in options):
        raise AssessmentError("empty_option", _("Every option needs a text."))


def check_images(stem: str, stem_format: str, options: Sequence[OptionInput], feedback: str) -> None:
    """Only the platform's own images: one another site serves would have
    each candidate's browser call it during the test (tracking)."""
    found = foreign_image(stem, stem_format, [(o.text, o.feedback) for o in options], feedback)
    if found is not None:
        raise AssessmentError(
            "external_image",
            _(
                "Image from another site (%(src)s) in %(where)s: only images stored on the platform are "
                "accepted; add the image with the Image field of the question."
            )
            % {"src": found[1], "where": found[0]},
        )


def _check_competency(framework: Framework, competency: Competency) -> None:
    if competency.domain.framework_id != framework.pk or competency.retired:
        raise AssessmentError(
            "competency_foreign",
            _("The competency %(code)s is not a current competency of %(framework)s.")
            % {"code": competency.code, "framework": framework.code},
        )


def _write_options(question: Question, options: Sequence[OptionInput]) -> None:
    question.options.all().delete()
    Option.objects.bulk_create(
        Option(question=question, position=i, text=o.text, fraction=o.fraction, feedback=o.feedback)
        for i, o in enumerate(options)
    )
    question.option_count = len(options)
    question.save(update_fields=["option_count", "updated_at"])


@dataclass(frozen=True)
class QuestionDraft:
    """A question as its author writes it (or an import reads it): what
    `create_question` stores and `update_question` writes over a draft."""

    competency: Competency
    stem: str
    options: Sequence[OptionInput]
    name: str = ""
    feedback: str = ""  # sanitised HTML fragment, shown after the results
    stem_format: str = "plain"
    kind: str = QuestionKind.MULTICHOICE
    single: bool = False
    idnumber: str = ""  # Moodle's, kept through import and export
    image: bytes | None = None  # a new image; None: none (create), unchanged (update)
    labels: Sequence[str] | None = None  # the bank's labels; None: none (create), unchanged (update)


def clean_label(name: str) -> str:
    """A label as stored: spaces collapsed."""
    return " ".join(name.split())


def check_labels(names: Sequence[str]) -> list[str]:
    """The labels cleaned, in order, without repeats; at most `MAX_LABELS`
    of at most `Label.MAX_LENGTH` characters."""
    cleaned = list(dict.fromkeys(c for c in (clean_label(n) for n in names) if c))
    for name in cleaned:
        if len(name) > Label.MAX_LENGTH:
            raise AssessmentError(
                "label_too_long",
                _("The label « %(name)s… » is longer than %(max)s characters.")
                % {"name": name[:30], "max": Label.MAX_LENGTH},
            )
    if len(cleaned) > MAX_LABELS:
        raise AssessmentError(
            "label_count",
            _("A question has %(max)s labels at most (%(n)s given).") % {"max": MAX_LABELS, "n": len(cleaned)},
        )
    return cleaned


def _write_labels(question: Question, names: Sequence[str]) -> None:
    labels = []
    for name in names:
        label, _created = Label.objects.get_or_create(name=name)
        labels.append(label)
    question.labels.set(labels)


def _check_draft(framework: Framework, draft: QuestionDraft) -> str:
    """Every check of a draft, its image's included; the image's type key."""
    _check_competency(framework, draft.competency)
    check_options(draft.kind, draft.options)
    if not draft.stem.strip():
        raise AssessmentError("empty_stem", _("The question needs a text."))
    check_images(draft.stem, draft.stem_format, draft.options, draft.feedback)
    if draft.labels is not None:
        check_labels(draft.labels)
    return check_image(draft.image) if draft.image is not None else ""


@transaction.atomic
def create_question(
    actor: User | None, framework: Framework, draft: QuestionDraft, *, status: str = QuestionStatus.DRAFT
) -> Question:
    """The question, its options and (optionally) its image, in one transaction:
    every check, the image's included, runs before anything is written."""
    image_type = _check_draft(framework, draft)
    question = Question.objects.create(
        framework=framework,
        competency=draft.competency,
        kind=draft.kind,
        name=draft.name.strip()[:200],
        stem=draft.stem,
        stem_format=draft.stem_format,
        single=draft.single,
        feedback=draft.feedback,
        idnumber=draft.idnumber[:100],
        status=status,
        author=actor,
    )
    _write_options(question, draft.options)
    if draft.labels:
        _write_labels(question, check_labels(draft.labels))
    audit(actor, AuditAction.ASSESSMENT_QUESTION_CREATE, question, status=status, competency=draft.competency.code)
    if draft.image is not None:
        _store_image(question, actor, draft.image, image_type)
    return question


def check_editable(question: Question) -> None:
    if not question.is_editable:
        raise AssessmentError(
            "not_editable",
            _(
                "Only a draft or a refused question can be changed (this one is %(status)s). A validated "
                "question is never changed under the candidates who drew it: retire it and write a new one."
            )
            % {"status": question.get_status_display()},
        )


@transaction.atomic
def update_question(
    question: Question, actor: User | None, draft: QuestionDraft, *, remove_image: bool = False
) -> Question:
    """The draft written over the question, its options and image included
    (`draft.image`: a new one; `remove_image`: none any more; neither: kept),
    in one transaction, every check first."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    check_editable(question)
    image_type = _check_draft(question.framework, draft)
    question.competency = draft.competency
    question.kind = draft.kind
    question.name = draft.name.strip()[:200]
    question.stem = draft.stem
    question.stem_format = draft.stem_format
    question.single = draft.single
    question.feedback = draft.feedback
    question.idnumber = draft.idnumber[:100]
    question.save(
        update_fields=[
            "competency",
            "kind",
            "name",
            "stem",
            "stem_format",
            "single",
            "feedback",
            "idnumber",
            "updated_at",
        ]
    )
    _write_options(question, draft.options)
    if draft.labels is not None:
        _write_labels(question, check_labels(draft.labels))
    audit(actor, AuditAction.ASSESSMENT_QUESTION_UPDATE, question)
    if draft.image is not None:
        _store_image(question, actor, draft.image, image_type)
    elif remove_image and question.image:
        _store_image(question, actor, None, "")
    return question


def check_image(data: bytes) -> str:
    """PNG or JPEG, decided from the bytes (`c2i.lib.images`, as portfolio
    uploads) and decoded by Pillow; the type key."""
    if not data:
        raise AssessmentError("image_empty", _("The image is empty."))
    if len(data) > MAX_IMAGE_BYTES:
        raise AssessmentError("image_too_large", _("The image weighs more than 2 MB."))
    kind = images.sniff(data)
    if kind is None:
        raise AssessmentError("image_type", _("The image must be a PNG or JPEG file (its content is neither)."))
    if not images.decodes(data, kind):
        raise AssessmentError("image_broken", _("The image file is damaged."))
    return kind


def _store_image(question: Question, actor: User | None, data: bytes | None, image_type: str) -> None:
    """Write an image already checked (`image_type` from check_image), or with
    None remove it; the old file goes once the transaction is committed."""
    old = question.image.name if question.image else ""
    if data is None:
        question.image = ""  # type: ignore[assignment]
    else:
        question.image.save("image", ContentFile(data), save=False)
    question.image_type = image_type
    question.save(update_fields=["image", "image_type", "updated_at"])
    if old:
        storage = question.image.storage
        transaction.on_commit(lambda: storage.delete(old))
    audit(actor, AuditAction.ASSESSMENT_QUESTION_IMAGE, question, removed=data is None)
