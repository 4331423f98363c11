"""What enrolment announces to the apps above it, after its transaction
commits (receivers connect in their `AppConfig.ready()`: notifications sends
the e-mails). Django's `Signal.send`: a receiver's error propagates."""

from django.dispatch import Signal

invitations_created = Signal()  # invitation_ids: list[int] — an import's new invitations
