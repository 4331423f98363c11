"""What the knowledge test announces to the apps above it, after its
transaction commits unless said otherwise (receivers connect in their `AppConfig.ready()`:
notifications sends the e-mails). Django's `Signal.send`: a receiver's error
propagates."""

from django.dispatch import Signal

results_published = Signal()  # exam_id: int — results entered candidates' portfolios

# Sent INSIDE the transaction that changed published results (a question
# neutralised or restored): the jury's part (its stored outcomes, or the audited
# rectification once it has closed) is then part of the same correction, and a
# refusal of the jury undoes it. institution_session_id: int, enrolment_ids:
# list[int], reason: str, actor: User | None.
test_results_changed = Signal()
