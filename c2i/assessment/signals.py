"""What the knowledge test announces to the apps above it, after its
transaction commits (receivers connect in their `AppConfig.ready()`:
notifications sends the e-mails). Django's `Signal.send`: a receiver's error
propagates."""

from django.dispatch import Signal

results_published = Signal()  # exam_id: int — results entered candidates' portfolios
