"""What the jury announces to the apps above it, after its transaction
commits (receivers connect in their `AppConfig.ready()`: notifications sends
the e-mails). Django's `Signal.send`: a receiver's error propagates."""

from django.dispatch import Signal

outcomes_published = Signal()  # institution_session_id: int — the deliberation is published
