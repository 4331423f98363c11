"""The events of enrolment, the knowledge test and the jury that send
e-mails (connected by `NotificationsConfig.ready`): notifications sits above
those apps and reads their records, so they announce and never import it."""

from __future__ import annotations

from typing import Any

from c2i.notifications import services


def on_invitations_created(sender: Any, invitation_ids: list[int], **kwargs: Any) -> None:
    services.invitations_created(invitation_ids)


def on_results_published(sender: Any, exam_id: int, **kwargs: Any) -> None:
    services.results_published(exam_id)


def on_outcomes_published(sender: Any, institution_session_id: int, **kwargs: Any) -> None:
    services.outcomes_published(institution_session_id)
