"""No rule codes on students' pages (issue 11, list 10): « (R5) », « R8 : »,
« (R14) »… mean nothing to a candidate. Every page the demo candidate
reaches from their space, by following its links, and the refusals a
candidate reads, are read as text and hold no rule code; the staff pages
keep theirs."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from c2i.enrolment.models import Enrolment, EnrolmentStatus
from c2i.frameworks.models import Competency
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import Portfolio
from tests.credentials_support import isolated
from tests.test_result_page import deliberate

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

RULE_CODE = re.compile(r"\bR\d{1,2}\b")
PREFIXES = ("/mon-espace/", "/sessions/", "/documents/")
SKIP = re.compile(r"deconnexion|export|archive|\.pdf$|\.json$|\.zip$|/fichiers/\d+/$|commencer|double-authentification")


def visible_text(content: str, whole: bool = False) -> str:
    """What a person reads in the page's main content (`whole`: the whole page,
    messages included): no tags, no scripts, no verification codes (random
    letters and digits)."""
    main = content if whole else content.split("<main", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r'<span class="c2i-code">[^<]*</span>', " ", main)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def links(content: str) -> set[str]:
    found = set()
    for href in re.findall(r'href="([^"#]+)', content):
        path = urlsplit(html.unescape(href)).path
        if path.startswith(PREFIXES) and not SKIP.search(path):
            found.add(path)
    return found


def crawl(client: Any, start: list[str], limit: int = 120) -> dict[str, str]:
    """{path: visible text} of every HTML page reached from `start`."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            seen[path] = ""
            continue
        content = response.content.decode()
        seen[path] = visible_text(content)
        queue.extend(sorted(links(content) - set(seen)))
    return seen


def give_a_test_result(demo: Any) -> None:
    candidate = demo.candidate("candidat-a1")
    portfolio, _ = Portfolio.objects.get_or_create(
        candidate=candidate, framework=candidate.enrolments.first().session.framework
    )
    competency = Competency.objects.get(domain__framework=portfolio.framework, code="D1.1")
    portfolio_services.add_test_result_evidence(portfolio, "Contrôle de connaissances", [competency], "D1 : 75 %", None)


class TestCandidatePages:
    def test_no_page_of_the_candidates_space_shows_a_rule_code(self, demo: Any, isolated: Any) -> None:
        give_a_test_result(demo)
        deliberate(demo)  # the result page, published, and the documents
        pages = crawl(demo.client("candidat-a1"), ["/mon-espace/", "/mon-espace/certification/"])
        read = {p: t for p, t in pages.items() if t}
        # the crawl reached the candidate's pages, the result page and a test result item among them
        assert "/mon-espace/certification/" in read and "/mon-espace/dossier/C2i1/" in read
        assert any(p.startswith("/mon-espace/resultats/") for p in read)
        assert any("rédigé par la plateforme" in t for t in read.values())
        assert len(read) >= 10, sorted(read)
        codes = {p: sorted(set(RULE_CODE.findall(t))) for p, t in read.items() if RULE_CODE.search(t)}
        assert codes == {}

    def test_the_registration_page_shows_no_rule_code(self, demo: Any) -> None:
        text = visible_text(demo.client(None).get("/inscription/").content.decode())
        assert "un seul établissement par session" in text and not RULE_CODE.search(text)


class TestRefusals:
    def test_the_second_institution_refusal_has_no_rule_code(self, demo: Any) -> None:
        b = demo.institution_session("b")
        response = demo.client("candidat-a1").post(f"/sessions/etablissement/{b.pk}/inscription/", follow=True)
        text = visible_text(response.content.decode(), whole=True)
        assert "Vous avez déjà une inscription à la session" in text
        assert not RULE_CODE.search(text)
        assert not Enrolment.objects.filter(
            institution_session=b, candidate=demo.candidate("candidat-a1"), status=EnrolmentStatus.ACTIVE
        ).exists()


class TestStaffPages:
    def test_the_assessors_view_of_a_portfolio_keeps_the_rule_codes(self, demo: Any) -> None:
        give_a_test_result(demo)
        portfolio = Portfolio.objects.get(candidate=demo.candidate("candidat-a1"))
        text = visible_text(demo.client("tuteur-a").get(f"/gestion/dossiers/{portfolio.pk}/").content.decode())
        assert "(R10)" in text
