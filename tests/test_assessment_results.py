"""Results: hidden from the candidate until the correspondent publishes them,
then shown per domain and entered in the portfolio as knowledge-test
evidence (R7 b, never enough alone: R10); exports (CSV, XLSX); item
statistics once 12 sittings or more are scored."""

import csv
import html
import io
import random

import pytest
from openpyxl import load_workbook

from c2i.assessment import scoring, services
from c2i.assessment.models import DomainResult
from c2i.portfolio.models import Evidence, EvidenceKind
from tests.assessment_support import correct_positions, demo_exam, items, new_candidates, shown, start, start_for
from tests.persona_support import new_candidate

pytestmark = pytest.mark.django_db


def sit(attempt, right_share: float, rng: random.Random) -> None:
    """Answer each question right with the given probability, else tick a wrong option."""
    for item in items(attempt):
        right = correct_positions(item)
        wrong = set(range(item.n_options)) - right
        answer = right if rng.random() < right_share else {min(wrong)}
        services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, answer))
    services.finish_attempt(attempt, attempt.user)


class TestPublication:
    def test_results_are_hidden_until_published_then_shown_per_domain(self, demo) -> None:
        attempt = start(demo)
        sit(attempt, 0.8, random.Random(1))
        client = demo.client("candidat-a1")
        page = client.get(f"/mon-espace/epreuves/{attempt.exam_id}/")
        assert page.context["results"] is None and 'class="c2i-result"' not in page.content.decode()
        response = demo.client("correspondant-a").post(f"/correspondant/epreuves/{attempt.exam_id}/publier/")
        assert response.status_code == 302
        page = client.get(f"/mon-espace/epreuves/{attempt.exam_id}/")
        html = page.content.decode()
        assert html.count('class="c2i-result"') == 5
        for result in DomainResult.objects.filter(attempt=attempt):
            assert scoring.format_percent(result.percent) in html

    def test_each_domain_result_enters_the_portfolio_as_kind_b(self, demo) -> None:
        attempt = start(demo)
        sit(attempt, 0.5, random.Random(2))
        before = Evidence.objects.filter(kind=EvidenceKind.TEST_RESULT).count()
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        results = list(DomainResult.objects.filter(attempt=attempt).select_related("domain", "evidence"))
        assert len(results) == 5 and all(r.evidence for r in results)
        for result in results:
            evidence = result.evidence
            assert evidence.kind == EvidenceKind.TEST_RESULT and evidence.is_system
            assert not evidence.counts_for_validation  # R10
            assert evidence.portfolio.candidate == demo.candidate("candidat-a1")
            assert evidence.portfolio.framework.code == "C2i1"
            assert result.domain.code in evidence.title
            assert set(evidence.competencies.values_list("code", flat=True)) == set(
                result.domain.competencies.filter(retired=False).values_list("code", flat=True)
            )
            assert "ne valide jamais à lui seul une compétence" in evidence.summary  # R10, said in words
        # publishing again adds nothing twice
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        assert Evidence.objects.filter(kind=EvidenceKind.TEST_RESULT).count() == before + 5

    def test_a_sitting_ending_after_publication_is_published_when_it_ends(self, demo) -> None:
        done = start(demo)
        sit(done, 0.7, random.Random(3))
        running = start(demo, "candidat-a2")
        publication = services.publish_results(done.exam, demo.user("correspondant-a"))
        assert (publication.published, publication.running) == (1, 1)
        assert not DomainResult.objects.filter(attempt=running).exists()
        services.finish_attempt(running, running.user)
        assert DomainResult.objects.filter(attempt=running, evidence__isnull=False).count() == 5

    def test_nothing_to_publish_before_a_sitting_ends(self, demo) -> None:
        start(demo)
        with pytest.raises(services.AssessmentError) as error:
            services.publish_results(demo_exam(demo), None)
        assert error.value.code == "nothing_to_publish"


class TestExports:
    def test_the_correspondent_exports_csv_and_xlsx(self, demo) -> None:
        person = new_candidate(demo.institution_session("a"), first_names="Agathe", last_name="Delorme")
        attempt = start_for(person.user, demo_exam(demo))
        sit(attempt, 1.0, random.Random(4))
        client = demo.client("correspondant-a")
        response = client.get(f"/correspondant/epreuves/{attempt.exam_id}/resultats/?format=csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["nom", "prenoms", "ine"] and "D1_pourcentage" in rows[0]
        line = rows[1]
        assert line[:2] == ["Delorme", "Agathe"] and line[rows[0].index("D5_pourcentage")] == "100"
        assert line[rows[0].index("D5_positif")] == "oui"
        response = client.get(f"/correspondant/epreuves/{attempt.exam_id}/resultats/?format=xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).active
        header = [c.value for c in sheet[1]]
        assert sheet.cell(row=2, column=header.index("D3_pourcentage") + 1).value == 100
        assert (
            demo.client("correspondant-b")
            .get(f"/correspondant/epreuves/{attempt.exam_id}/resultats/?format=csv")
            .status_code
            == 404
        )

    def test_the_results_table_shows_each_domain(self, demo) -> None:
        attempt = start(demo)
        sit(attempt, 1.0, random.Random(5))
        page = demo.client("correspondant-a").get(f"/correspondant/epreuves/{attempt.exam_id}/")
        row = page.context["rows"][0]
        assert [percent for _, percent in row["cells"]] == ["100 %"] * 5


class TestItemStatistics:
    def test_difficulty_and_discrimination_need_twelve_sittings(self, demo) -> None:
        exam = demo_exam(demo)
        rng = random.Random(6)
        users = new_candidates(demo.institution_session("a"), 13)
        for n, user in enumerate(users):
            sit(start_for(user, exam), 0.15 + 0.06 * n, rng)
            if n == 10:  # 11 sittings: difficulty only
                rows = services.item_statistics(exam.attempts.all())
                assert rows and all(r.stats.discrimination is None and r.stats.upper_lower is None for r in rows)
        page = demo.client("correspondant-a").get(f"/correspondant/epreuves/{exam.pk}/statistiques/")
        assert page.status_code == 200 and page.context["sittings"] == 13
        counted = [r for r in page.context["rows"] if r.stats.attempts >= 12]
        assert counted, "some questions were drawn 12 times or more"
        for row in counted:
            assert row.stats.upper_lower is not None and 0 <= row.stats.difficulty <= 1
        assert any(r.stats.discrimination is not None and r.stats.discrimination > 0 for r in counted)
        # the correspondent sees an excerpt of each question (issue 15), not the whole
        # text, which a reviewer reads on the question's page
        assert counted[0].excerpt and counted[0].excerpt in html.unescape(page.content.decode())
        question_page = demo.client("relecteur").get(f"/banque/questions/{counted[0].question_id}/")
        assert question_page.context["stats"].stats.attempts == counted[0].stats.attempts
