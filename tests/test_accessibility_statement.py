"""The accessibility statement (issue 11): the footer's « Accessibilité :
partiellement conforme » leads to a « Déclaration d'accessibilité » with the
sections of the RGAA 4.1 model, the measure, a contact and the recourse."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client, override_settings

from c2i.views import ACCESSIBILITY_MEASURE

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


class TestAccessibilityStatement:
    def test_it_is_reached_from_the_footer_of_every_page(self) -> None:
        home = Client().get("/").content.decode()
        assert re.search(
            r'<a class="fr-footer__bottom-link" href="/accessibilite/">Accessibilité : partiellement conforme</a>', home
        )

    def test_it_has_the_sections_of_the_rgaa_model_in_order(self) -> None:
        page = Client().get("/accessibilite/").content.decode()
        headings = [text(h).strip() for h in re.findall(r"<h[123][^>]*>(.*?)</h[123]>", page, re.S)]
        assert headings[0] == "Déclaration d'accessibilité"
        expected = [
            "État de conformité",
            "Résultats des tests",
            "Contenus non accessibles",
            "Non-conformités",
            "Dérogations pour charge disproportionnée",
            "Contenus non soumis à l'obligation d'accessibilité",
            "Établissement de cette déclaration",
            "Technologies utilisées pour la réalisation du site",
            "Environnement de test",
            "Retour d'information et contact",
            "Voies de recours",
        ]
        assert [h for h in headings if h in expected] == expected
        assert "<title>Déclaration d'accessibilité — " in unescape(page)

    def test_it_states_the_conformity_and_the_measure_honestly(self) -> None:
        body = text(Client().get("/accessibilite/").content.decode())
        assert (
            "est partiellement conforme avec le référentiel général d'amélioration de l'accessibilité (RGAA), "
            "version 4.1" in body
        )
        m = ACCESSIBILITY_MEASURE
        assert 0 < m["passed"] <= m["checks"] and m["pages"] >= 27
        assert f"axe-core {m['axe']} contrôle chaque page" in body
        assert f"{m['pages']} pages distinctes" in body
        assert (
            f"{m['passed']} des {m['checks']} contrôles automatisés applicables à ces pages sont respectés, "
            f"soit {m['rate']} %" in body
        )
        assert "Une mesure automatisée n'est pas un audit RGAA" in body
        assert "une épreuve de connaissances est passée et remise au clavier seul" in body
        assert "Cette déclaration a été établie le 2 décembre 2026." in body
        for technology in ("HTML5", "CSS", "JavaScript", "WAI-ARIA"):
            assert f"<li>{technology}</li>" in Client().get("/accessibilite/").content.decode()
        assert "Chromium, paquet Debian" in body

    def test_it_lists_what_is_known_not_to_be_accessible(self) -> None:
        body = text(Client().get("/accessibilite/").content.decode())
        assert "Le procès-verbal de délibération du jury (PDF) n'est pas un PDF balisé" in body
        assert "alternative textuelle générique (« Image de la question »)" in body
        assert "Les fichiers que les candidats ajoutent à leur dossier" in body

    @override_settings(
        C2I_ACCESSIBILITY_EMAIL="a11y@univ.example.fr", C2I_ACCESSIBILITY_ADDRESS="1 rue de l'Essai, 75000 Paris"
    )
    def test_it_gives_a_contact_and_the_recourse(self) -> None:
        page = Client().get("/accessibilite/").content.decode()
        body = text(page)
        assert re.search(
            r'href="mailto:a11y@univ\.example\.fr\?subject=Accessibilit%C3%A9%20de%20la%20plateforme%20C2i"', page
        )
        assert "Adresse postale : 1 rue de l'Essai, 75000 Paris" in body
        assert 'href="https://formulaire.defenseurdesdroits.fr/"' in page
        assert 'href="https://www.defenseurdesdroits.fr/saisir/delegues"' in page
        assert "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07" in body
