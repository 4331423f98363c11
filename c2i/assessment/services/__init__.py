"""Knowledge-test workflows (RULES.md R16–R19), one module per part: the
question bank (`questions`), its review (`review`), exams and the deadline
rule (`exams`), sitting the test (`sitting`), scoring and results
(`results`); the answers are `c2i.assessment.answering`'s. Each workflow runs in a transaction, writes its audit
entry and raises `AssessmentError` (`errors`) with a code and a French
message; access is decided before, by `c2i.assessment.access`.

This module only re-exports the public names, for the callers that import
the package itself."""

from c2i.assessment.answering import (
    BAD_OPTION,
    NOT_FOUND,
    OVER,
    SAVED,
    STALE,
    SaveResult,
    clock_seq,
    save_answer,
    save_answers_in_sessions,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.exams import (
    EXAM_FIELDS,
    ExamAdjustments,
    adjustments_in,
    bank_for,
    check_bank,
    check_not_deliberated,
    create_exam,
    deadline_for,
    default_domains,
    extra_minutes,
    extra_minutes_by_enrolment,
    percent_minutes,
    theoretical_end,
    update_exam,
)
from c2i.assessment.services.questions import (
    MAX_IMAGE_BYTES,
    OptionInput,
    check_editable,
    check_image,
    check_images,
    check_options,
    create_question,
    fractions_for,
    update_question,
)
from c2i.assessment.services.results import (
    ItemRow,
    Publication,
    ResultRow,
    close_expired_attempts,
    exam_progress,
    finalise_attempt,
    item_statistics,
    publish_results,
    result_rows,
)
from c2i.assessment.services.review import (
    latest_refusal,
    required_approvals,
    retire_question,
    review_question,
    submit_for_review,
)
from c2i.assessment.services.sitting import (
    CODE_TRIES_WINDOW,
    MAX_CODE_TRIES,
    finish_attempt,
    redraw,
    reopen_attempt,
    set_extra_time,
    start_attempt,
)

__all__ = [
    "BAD_OPTION",
    "CODE_TRIES_WINDOW",
    "EXAM_FIELDS",
    "MAX_CODE_TRIES",
    "MAX_IMAGE_BYTES",
    "NOT_FOUND",
    "OVER",
    "SAVED",
    "STALE",
    "AssessmentError",
    "ExamAdjustments",
    "ItemRow",
    "OptionInput",
    "Publication",
    "ResultRow",
    "SaveResult",
    "adjustments_in",
    "bank_for",
    "check_bank",
    "check_editable",
    "check_image",
    "check_images",
    "check_not_deliberated",
    "check_options",
    "clock_seq",
    "close_expired_attempts",
    "create_exam",
    "create_question",
    "deadline_for",
    "default_domains",
    "exam_progress",
    "extra_minutes",
    "extra_minutes_by_enrolment",
    "finalise_attempt",
    "finish_attempt",
    "fractions_for",
    "item_statistics",
    "latest_refusal",
    "percent_minutes",
    "publish_results",
    "redraw",
    "reopen_attempt",
    "required_approvals",
    "result_rows",
    "retire_question",
    "review_question",
    "save_answer",
    "save_answers_in_sessions",
    "set_extra_time",
    "start_attempt",
    "submit_for_review",
    "theoretical_end",
    "update_exam",
    "update_question",
]
