"""The candidate's result page (issue 11, point 4): before publication, only
that the results are not published and when the jury meets; after, per
domain and competency the jury's decision and comment, the knowledge-test
percentage, why each domain is or is not validated in plain French (no rule
codes), what is kept for a later session (R14) and what to do next. Only the
candidate of the enrolment sees it."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from c2i.credentials import services as credentials
from c2i.deliberation import services
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from tests.credentials_support import isolated
from tests.deliberation_support import codes, publish_session_tests, submit_all

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

EARLY = "Jury avancé (test)"
COMMENT = "Le travail rendu ne traite pas du droit d'auteur."
RULE_CODE = re.compile(r"\bR\d+\b")


def visible_text(content: str) -> str:
    """The text a person reads: the page's main content without tags."""
    main = content.split('id="content"', 1)[-1]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def enrolment(demo: Any, username: str) -> Enrolment:
    return Enrolment.objects.get(candidate=demo.candidate(username), status=EnrolmentStatus.ACTIVE)


def url(e: Enrolment) -> str:
    return reverse("deliberation:my_result", args=[e.pk])


def deliberate(demo: Any, *, publish: bool = True) -> tuple[Enrolment, Enrolment]:
    """A's C2i1 session decided and closed: candidat-a1 certified; candidat-a2
    with D2.3 not validated (and a comment) and D4's test at 40 %."""
    a1, a2 = enrolment(demo, "candidat-a1"), enrolment(demo, "candidat-a2")
    institution_session = a1.institution_session
    publish_session_tests(institution_session, 75.0, {a2.pk: {"D4": 40.0}})
    jury = demo.user("jury-a")
    cells = []
    for e in services.active_enrolments(institution_session):
        submit_all(e)
        for code in codes("C2i1"):
            value = "NV" if e.pk == a2.pk and code == "D2.3" else "V"
            cells.append(services.Cell(e.pk, code, value, code))
    services.record_cells(institution_session, cells, jury, "test")
    services.record_decision(a2, "D2.3", "NV", jury, comment=COMMENT)
    services.close_deliberation(institution_session, jury, EARLY)
    if publish:
        services.publish_deliberation(institution_session, jury)
        for e in (a1, a2):
            credentials.produce_document(e, None, notify=False)
    return a1, a2


class TestBeforePublication:
    def test_it_says_the_results_are_not_published_and_when_the_jury_meets(self, demo: Any, isolated: Any) -> None:
        _a1, a2 = deliberate(demo, publish=False)
        response = demo.client("candidat-a2").get(url(a2))
        assert response.status_code == 200
        text = visible_text(response.content.decode())
        assert "Les résultats du jury pour cette session ne sont pas encore publiés." in text
        assert a2.institution_session.jury_date.strftime("%Y") in text
        assert COMMENT not in text and "D2.3" not in text  # nothing of the decisions before publication


class TestAfterPublication:
    def test_the_certified_candidate_reads_the_outcome_and_the_test_results(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = deliberate(demo)
        text = visible_text(demo.client("candidat-a1").get(url(a1)).content.decode())
        assert "C2i1 obtenu" in text
        assert "Le jury vous délivre le C2i1." in text
        assert "75 %" in text
        assert "Ce domaine est validé : le jury a validé toutes ses compétences" in text
        assert "Mon certificat" in text

    def test_a_candidate_with_failed_domains_reads_why_in_plain_french(self, demo: Any, isolated: Any) -> None:
        _a1, a2 = deliberate(demo)
        text = visible_text(demo.client("candidat-a2").get(url(a2)).content.decode())
        assert "C2i1 non obtenu à cette session" in text
        assert "3 domaines sur 5 sont validés" in text
        assert (
            "Ce domaine n'est pas validé car la compétence D2.3 n'a pas été validée ; "
            "il n'y a pas de compensation entre compétences." in text
        )
        assert (
            "Ce domaine n'est pas validé car votre résultat au contrôle de connaissances (40 %) "
            "est inférieur au seuil de 50 %." in text
        )
        assert COMMENT in text
        assert "Ce qui est conservé pour une prochaine session" in text
        kept = text.split("Ce qui est conservé pour une prochaine session", 1)[1].split("Et maintenant", 1)[0]
        assert "D1" in kept and "D3" in kept and "D5" in kept and "D2" not in kept and "D4" not in kept
        after = text.split("Et maintenant", 1)[1]
        assert "D2, D4" in after
        assert "Mon attestation de domaines validés" in text
        assert not RULE_CODE.search(text), RULE_CODE.findall(text)

    def test_a_candidate_without_any_validated_domain_is_told_why_there_is_no_document(
        self, demo: Any, isolated: Any
    ) -> None:
        from tests.credentials_support import publish, set_outcome

        a2 = enrolment(demo, "candidat-a2")
        set_outcome(a2, "not_certified", [])
        publish(a2.institution_session)
        text = visible_text(demo.client("candidat-a2").get(url(a2)).content.decode())
        assert "Aucun document n'est délivré" in text
        assert "Aucun domaine n'est encore validé : rien n'est conservé" in text


class TestAccess:
    def test_only_the_candidate_of_the_enrolment_sees_it(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = deliberate(demo)
        assert demo.client("candidat-a1").get(url(a1)).status_code == 200
        assert demo.client("candidat-a2").get(url(a1)).status_code == 404
        assert demo.client("candidat-b1").get(url(a1)).status_code == 404
        assert demo.client("correspondant-a").get(url(a1)).status_code == 403
        assert demo.client("jury-a").get(url(a1)).status_code == 403
        assert demo.client(None).get(url(a1)).status_code == 302

    def test_the_candidates_space_and_documents_link_to_it(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = deliberate(demo)
        client = demo.client("candidat-a1")
        assert url(a1) in client.get(reverse("enrolment:my_space")).content.decode()
        assert url(a1) in client.get(reverse("credentials:mine")).content.decode()


class TestJuryIsTold:
    def test_the_juror_knows_the_candidate_reads_the_comment(self, demo: Any) -> None:
        a1 = enrolment(demo, "candidat-a1")
        page = demo.client("jury-a").get(f"/jury/sessions/{a1.institution_session_id}/candidats/{a1.pk}/")
        assert "Le candidat le lit sur sa page de résultat une fois les résultats publiés." in page.content.decode()
        help_page = demo.client(None).get("/jury/aide/").content.decode()
        assert "que le candidat lit sur sa page de résultat" in help_page


class TestDeferred:
    def test_a_deferred_candidate_reads_what_was_decided_and_what_is_kept(self, demo: Any, isolated: Any) -> None:
        a1, a2 = enrolment(demo, "candidat-a1"), enrolment(demo, "candidat-a2")
        institution_session = a1.institution_session
        publish_session_tests(institution_session, 80.0)
        jury = demo.user("jury-a")
        submit_all(a2)
        cells = [services.Cell(a2.pk, c, "V", c) for c in codes("C2i1") if c.startswith("D1.")]
        services.record_cells(institution_session, cells, jury, "test")
        for e in services.active_enrolments(institution_session):
            services.set_deferred(e, True, jury)
        services.close_deliberation(institution_session, jury, EARLY)
        services.publish_deliberation(institution_session, jury)
        text = visible_text(demo.client("candidat-a2").get(url(a2)).content.decode())
        assert "Décision ajournée" in text
        assert "Le jury a ajourné sa décision sur votre dossier" in text
        assert (
            "Ce domaine n'est pas validé car le jury ne s'est pas prononcé sur les compétences "
            "D2.1, D2.2, D2.3 et D2.4." in text
        )
        kept = text.split("Ce qui est conservé pour une prochaine session", 1)[1].split("Et maintenant", 1)[0]
        assert "D1" in kept and "D2" not in kept
        assert "Aucun document n'est délivré" not in text  # deferred: nothing decided yet, not « no domain »
        assert not RULE_CODE.search(text)
