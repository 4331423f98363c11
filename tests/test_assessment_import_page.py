"""The question import/export page as a person uses it (issue 11, list 10):
each id once on the page (the import and export forms both have a framework,
a format and a status), an import answered by Post/Redirect/Get so that
reloading shows the report again instead of a 405, and one message, with the
counts and the refused lines, after a partial import."""

import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from c2i.assessment.models import Question
from tests.test_assessment_import import MIXED_GIFT

pytestmark = pytest.mark.django_db

URL = "/banque/questions/import-export/"


def upload(partial: bool = True, dry_run: bool = False) -> dict[str, object]:
    data: dict[str, object] = {
        "framework": "C2i1",
        "format": "gift",
        "file": SimpleUploadedFile("mixte.gift", MIXED_GIFT.encode(), content_type="text/plain"),
        "status": "in_review",
    }
    if partial:
        data["partial"] = "on"
    if dry_run:
        data["dry_run"] = "on"
    return data


class TestImportPage:
    def test_every_id_is_unique(self, demo) -> None:
        html = demo.client("relecteur").get(URL).content.decode()
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [i for i, n in ids.items() if n > 1] == []
        # the export keeps its short query (framework, format, status): a bookmarked export still works
        assert 'name="framework"' in html and "id_export_framework" in html

    def test_an_import_redirects_and_reloading_shows_the_report_again(self, demo) -> None:
        client = demo.client("relecteur")
        before = Question.objects.count()
        response = client.post(URL, upload())
        assert response.status_code == 302
        assert Question.objects.count() == before + 3
        report_url = response["Location"]
        for _ in range(2):  # the page, then the same page reloaded
            response = client.get(report_url)
            assert response.status_code == 200
            html = response.content.decode()
            assert "3 questions importées, 5 refusées." in html
            assert "D9.9" in html and "Lignes refusées" in html
        assert Question.objects.count() == before + 3  # reloading imported nothing more

    def test_a_partial_import_says_it_once(self, demo) -> None:
        client = demo.client("relecteur")
        response = client.post(URL, upload(), follow=True)
        html = response.content.decode()
        assert html.count("3 questions importées, 5 refusées.") == 1
        assert list(response.context["messages"]) == []
        # one alert: a warning, since lines were refused
        assert html.count("fr-alert--warning") == 1 and "fr-alert--success" not in html

    def test_nothing_imported_is_reported_as_an_error(self, demo) -> None:
        client = demo.client("relecteur")
        before = Question.objects.count()
        response = client.post(URL, upload(partial=False), follow=True)
        html = response.content.decode()
        assert Question.objects.count() == before
        assert "Aucune question n'a été importée" in html and "D9.9" in html

    def test_the_page_without_a_report_shows_none(self, demo) -> None:
        client = demo.client("relecteur")
        client.post(URL, upload(dry_run=True))
        html = client.get(URL).content.decode()
        assert "Lignes refusées" not in html
