"""The data printed on an outcome document (RULES.md R15). Pure: no Django import.

A `DocumentData` is everything the PDF (`pdf.py`) and the Open Badges credential
(`badges.py`) say about one certificate or attestation; the credentials app
builds it from its models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CERTIFICATE = "certificate"
ATTESTATION = "attestation"
KINDS = (CERTIFICATE, ATTESTATION)


@dataclass(frozen=True)
class DomainLine:
    """A validated domain: its code, title and the (code, title) of its competencies.

    `carried_over_from` names the session where the domain was validated when it
    is carried over (R14); it is empty for a domain validated in this session.
    """

    code: str
    title: str
    competencies: tuple[tuple[str, str], ...]
    carried_over_from: str = ""


@dataclass(frozen=True)
class DocumentData:
    kind: str  # CERTIFICATE or ATTESTATION
    holder_name: str
    holder_birth_date: date
    framework_code: str
    framework_title: str
    institution_name: str
    institution_town: str
    session_name: str
    jury_date: date
    issued_on: date
    validated_domains: tuple[DomainLine, ...]
    all_domains_count: int
    verification_code: str
    verification_url: str
    replaces_code: str = ""  # a rectification names the code of the document it replaces

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if len(self.validated_domains) > self.all_domains_count:
            raise ValueError("more validated domains than domains in the framework")

    @property
    def is_certificate(self) -> bool:
        return self.kind == CERTIFICATE

    @property
    def title(self) -> str:
        """The document's title, as printed and as put in the PDF metadata."""
        if self.is_certificate:
            return f"Certificat informatique et internet — {self.framework_code}"
        return "Attestation de domaines validés"

    @property
    def domains_summary(self) -> str:
        """« 3 domaines validés sur 5 »."""
        n = len(self.validated_domains)
        plural = "s" if n > 1 else ""
        return f"{n} domaine{plural} validé{plural} sur {self.all_domains_count}"
