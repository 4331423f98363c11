"""The minutes (procès-verbal) of a deliberation: a simple A4 PDF in French
listing the jury, the candidates with their outcomes, and the closing time.
One-off document: ReportLab's platypus is enough."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from c2i.assessment.models import Incident, IncidentKind
from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, JuryMember, OutcomeStatus
from c2i.enrolment.models import EnrolmentStatus, InstitutionSession

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
OUTCOME_FR = {
    OutcomeStatus.CERTIFIED: "certifié",
    OutcomeStatus.NOT_CERTIFIED: "non certifié",
    OutcomeStatus.INCOMPLETE: "sans décision",
}
# The minutes are French whatever the interface's language (docs/architecture.md).
INCIDENT_FR: dict[str, str] = {
    IncidentKind.TECHNICAL: "problème technique",
    IncidentKind.CONNECTION: "perte de connexion",
    IncidentKind.CHEATING: "suspicion de fraude",
    IncidentKind.ILLNESS: "malaise",
    IncidentKind.LATE: "arrivée tardive",
    IncidentKind.DISTURBANCE: "trouble dans la salle",
    IncidentKind.OTHER: "autre",
}


def _fonts() -> tuple[str, str]:
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return "Helvetica", "Helvetica-Bold"
    if "C2iMinutes" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("C2iMinutes", str(regular)))
        pdfmetrics.registerFont(TTFont("C2iMinutes-Bold", str(bold)))
    return "C2iMinutes", "C2iMinutes-Bold"


def _table_style(bold: str) -> TableStyle:
    """The minutes' tables: a bold header on a light blue band, a thin grid."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, 0), bold, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e3fd")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label(outcome: CandidateOutcome | None) -> str:
    """A candidate's result in the minutes, in the words of the jury's page:
    certifié, non certifié, ajourné (deferred by the chair), sans décision."""
    if outcome is None:
        return "sans décision"
    if outcome.deferred and outcome.status == OutcomeStatus.INCOMPLETE:
        return "ajourné"
    return OUTCOME_FR.get(outcome.status, outcome.status)  # type: ignore[call-overload, no-any-return]


def _counts_line(outcomes: list[CandidateOutcome | None]) -> str:
    """The totals of the table, with its words; « sans décision » only while
    some remain (a closed deliberation has none)."""
    labels = [_label(o) for o in outcomes]
    line = (
        f"Certifiés : {labels.count('certifié')} — non certifiés : {labels.count('non certifié')}"
        f" — ajournés : {labels.count('ajourné')}"
    )
    if labels.count("sans décision"):
        line += f" — sans décision : {labels.count('sans décision')}"
    return line


def _incidents(
    institution_session: InstitutionSession,
    heading: ParagraphStyle,
    body: ParagraphStyle,
    small: ParagraphStyle,
    bold: str,
) -> list[Flowable]:
    """« Incidents de l'épreuve »: what the invigilators reported during the
    session's knowledge test (issue 13), for the jury to weigh."""
    incidents = list(
        Incident.objects.filter(exam__institution_session=institution_session)
        .select_related("room", "enrolment__candidate")
        .order_by("occurred_at", "pk")
    )
    story: list[Flowable] = [Paragraph("Incidents de l'épreuve", heading)]
    if not incidents:
        story.append(Paragraph("Aucun incident signalé.", body))
        return story
    rows: list[list[Any]] = [["Heure", "Salle", "Candidat", "Nature", "Rapport", "Signalé par"]]
    for i in incidents:
        rows.append(
            [
                Paragraph(f"{timezone.localtime(i.occurred_at):%d/%m %H:%M}", small),
                Paragraph(_esc(i.room.name if i.room else "—"), small),
                Paragraph(_esc(i.enrolment.candidate.full_name if i.enrolment else "—"), small),
                Paragraph(_esc(INCIDENT_FR.get(i.kind, i.kind)), small),
                Paragraph(_esc(i.text).replace("\n", "<br/>"), small),
                Paragraph(_esc(i.reported_by), small),
            ]
        )
    table = Table(rows, colWidths=[20 * mm, 22 * mm, 32 * mm, 25 * mm, 50 * mm, 25 * mm], repeatRows=1)
    table.setStyle(_table_style(bold))
    story.append(table)
    return story


def render_minutes(institution_session: InstitutionSession, deliberation: Deliberation) -> bytes:
    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontName=regular, fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=8)
    session = institution_session.session
    draft = deliberation.status == DeliberationStatus.OPEN
    story = [
        Paragraph(("Projet de procès-verbal" if draft else "Procès-verbal") + " de délibération du jury", title),
        Paragraph(_esc(f"{session.framework.code} — {session.framework.title}"), body),
        Paragraph(_esc(f"Session : {session.name}"), body),
        Paragraph(_esc(f"Établissement : {institution_session.institution.name}"), body),
        Paragraph(f"Date du jury : {institution_session.jury_date:%d/%m/%Y}", body),
        Paragraph("Composition du jury", heading),
    ]
    for member in JuryMember.objects.filter(institution_session=institution_session).select_related("user"):
        role = "président(e)" if member.is_chair else "membre"
        name = member.user.get_full_name() or member.user.email
        story.append(Paragraph(_esc(f"{name} — {role}"), body))
    story.append(Paragraph("Candidats et résultats", heading))
    outcomes = {o.enrolment_id: o for o in CandidateOutcome.objects.filter(institution_session=institution_session)}
    rows = [["Candidat", "Identifiant", "Résultat", "Domaines validés"]]
    enrolments = list(
        institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names", "pk")
    )
    for e in enrolments:
        o = outcomes.get(e.pk)
        status = _label(o)
        domains = ", ".join(o.validated_domains) if o else ""
        if o and o.carried_over:
            domains += f" (capitalisés : {', '.join(o.carried_over)})"
        rows.append(
            [
                Paragraph(_esc(e.candidate.full_name), small),
                Paragraph(_esc(e.candidate.ine or e.candidate.email), small),
                Paragraph(status, small),
                Paragraph(_esc(domains or "—"), small),
            ]
        )
    table = Table(rows, colWidths=[50 * mm, 45 * mm, 28 * mm, 52 * mm], repeatRows=1)
    table.setStyle(_table_style(bold))
    story += [table, Spacer(1, 6 * mm)]
    story.append(Paragraph(_counts_line([outcomes.get(e.pk) for e in enrolments]), body))
    if deliberation.closed_at:
        closed = timezone.localtime(deliberation.closed_at)
        story.append(Paragraph(f"Délibération close le {closed:%d/%m/%Y à %H:%M}.", body))
        if deliberation.close_reason:
            story.append(
                Paragraph(
                    _esc(
                        "Clôture anticipée (avant la fin du calendrier de la session), motif donné par "
                        f"le président du jury : {deliberation.close_reason}"
                    ),
                    body,
                )
            )
    else:
        story.append(Paragraph("Délibération en cours : document provisoire.", body))
    story += _incidents(institution_session, heading, body, small, bold)
    story.append(Spacer(1, 12 * mm))
    story.append(Paragraph("Signature du président du jury :", body))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Procès-verbal de délibération",
        author="C2i",
    )
    doc.build(story)
    return buffer.getvalue()
