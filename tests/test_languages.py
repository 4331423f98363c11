"""The platform speaks French only (issue 12): whatever the browser asks for, pages are French and say so."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_the_settings_offer_french_only() -> None:
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _name in settings.LANGUAGES] == ["fr"]
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE


@pytest.mark.parametrize("asked", ["en", "en-GB,en;q=0.9", "de", ""])
def test_a_browser_asking_for_another_language_gets_french_pages_marked_french(client: Client, asked: str) -> None:
    response = client.get("/jury/aide/", HTTP_ACCEPT_LANGUAGE=asked)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert "<title>Aide du jury : les règles telles que la plateforme les applique — C2i" in html
    assert "Cette page explique comment la plateforme applique les règles de validation du C2i" in html
    assert 'lang="en"' not in html


def test_the_jury_help_exists_in_french_only() -> None:
    assert (TEMPLATES / "deliberation" / "help_fr.html").exists()
    assert not (TEMPLATES / "deliberation" / "help_en.html").exists()
