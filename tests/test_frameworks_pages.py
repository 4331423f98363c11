import pytest

pytestmark = pytest.mark.django_db


class TestFrameworkPages:
    def test_it_lists_the_frameworks(self, demo) -> None:
        response = demo.client(None).get("/referentiels/")
        assert response.status_code == 200
        for code in ("C2i1", "C2i2e", "C2i2ms", "C2i2forcom"):
            assert code in response.content.decode()

    def test_it_explains_the_threshold_policy(self, demo) -> None:
        html = demo.client(None).get("/referentiels/C2i2e/").content.decode()
        assert "au moins 23 des 28 compétences" in html
        assert "arrêté du 14 décembre 2010" in html

    def test_it_explains_the_knowledge_test(self, demo) -> None:
        html = demo.client(None).get("/referentiels/C2i1/").content.decode()
        assert "12 questions" in html
        assert "au moins 12 questions par domaine, positif à partir de 50 %" in html
        assert "D3.4" in html

    def test_it_shows_an_incomplete_framework_as_such(self, demo) -> None:
        html = demo.client(None).get("/referentiels/C2i2forcom/").content.decode()
        assert "Référentiel incomplet (R3)" in html

    def test_it_answers_404_for_an_unknown_code(self, demo) -> None:
        assert demo.client(None).get("/referentiels/C2i9/").status_code == 404
