"""The public directory « Trouver un établissement certificateur » (R4) and its API."""

import pytest

pytestmark = pytest.mark.django_db


def names(html: str, *candidates: str) -> list[str]:
    """The candidates in the order the page shows them."""
    found = [(html.find(n), n) for n in candidates if n in html]
    return [n for _, n in sorted(found)]


class TestDirectory:
    def test_it_sorts_by_distance_from_a_town(self, demo_with_communes) -> None:
        html = demo_with_communes.client(None).get("/etablissements/", {"place": "Grenoble"}).content.decode()
        order = names(
            html,
            "Université Grenoble Alpes",
            "Université Claude Bernard Lyon 1",
            "Sorbonne Université",
            "Université de Lille",
        )
        assert order == [
            "Université Grenoble Alpes",
            "Université Claude Bernard Lyon 1",
            "Sorbonne Université",
            "Université de Lille",
        ]
        assert "km" in html

    def test_it_resolves_a_postcode_and_filters_by_framework(self, demo_with_communes) -> None:
        html = demo_with_communes.client(None).get("/etablissements/", {"place": "33000", "framework": "C2i2ms"})
        text = html.content.decode()
        assert "Bordeaux" in text
        assert names(text, "Université de Bordeaux", "Université de Montpellier")[0] == "Université de Bordeaux"
        assert "Université de Lille" not in text  # not accredited for C2i2ms

    def test_it_shows_the_correspondents_contact(self, demo_with_communes) -> None:
        from c2i.accounts.models import Membership, Role, User

        contact = User.objects.create_user(
            "agathe.delorme@univ.example.fr", "agathe.delorme@univ.example.fr", first_name="Agathe", last_name="Delorme"
        )
        lyon1 = demo_with_communes.institution("a")
        Membership.objects.create(user=contact, role=Role.CORRESPONDENT, institution=lyon1, is_public_contact=True)
        html = demo_with_communes.client(None).get("/etablissements/", {"place": "Villeurbanne"}).content.decode()
        assert "agathe.delorme@univ.example.fr" in html and "Delorme" in html

    def test_it_ignores_accents_and_case(self, demo_with_communes) -> None:
        html = demo_with_communes.client(None).get("/etablissements/", {"place": "saint etienne"}).content.decode()
        assert "Saint-Étienne" in html

    def test_an_unknown_place_gets_a_clear_message(self, demo_with_communes) -> None:
        html = demo_with_communes.client(None).get("/etablissements/", {"place": "Atlantide"}).content.decode()
        assert "Atlantide" in html and "fr-input-group--error" in html

    def test_an_expired_accreditation_is_not_listed(self, demo_with_communes) -> None:
        html = demo_with_communes.client(None).get("/etablissements/", {"framework": "C2i2mi"}).content.decode()
        assert "Université Clermont Auvergne" not in html  # its C2i2mi accreditation ended in 2020
        assert "Université Grenoble Alpes" in html

    def test_the_api_answers_the_same_search(self, demo_with_communes) -> None:
        data = (
            demo_with_communes.client(None).get("/api/etablissements", {"lieu": "13001", "referentiel": "C2i1"}).json()
        )
        assert data[0]["name"] == "Aix-Marseille Université"
        assert data[0]["distance_km"] < 10
        assert [d["distance_km"] for d in data] == sorted(d["distance_km"] for d in data)
        assert data[0]["contacts"][0]["email"].endswith("@c2i-demo.fr")
