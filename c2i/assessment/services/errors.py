"""The knowledge test's refusals: a code and a French message."""

from c2i.lib.errors import DomainError


class AssessmentError(DomainError):
    pass
