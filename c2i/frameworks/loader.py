"""Load the référentiels (R1–R3) from the project's JSON files.

Idempotent and transactional: a malformed file changes nothing and the error
names the file and the key. A competency that disappeared from a file is
retired when anything refers to it (decisions, evidence, questions), deleted
otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from c2i.frameworks.models import Competency, Domain, Framework, FrameworkStatus

SKIPPED_FILES = {"SOURCES.json"}


class FrameworkDataError(Exception):
    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        super().__init__(f"{Path(self.path).name} : clé « {key} » : {problem}")


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} créé(s), {len(self.updated)} mis à jour, {len(self.unchanged)} inchangé(s), "
            f"{len(self.retired)} compétence(s) retirée(s), {len(self.deleted)} supprimée(s)"
        )


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, prefix: str = "") -> Any:
    name = f"{prefix}{key}"
    if key not in data:
        raise FrameworkDataError(path, name, "clé absente")
    value = data[key]
    if not isinstance(value, kind):
        raise FrameworkDataError(path, name, f"type inattendu ({type(value).__name__})")
    return value


def _optional_title(data: dict[str, Any], path: Path, prefix: str, incomplete: bool) -> str:
    if "title" not in data:
        raise FrameworkDataError(path, f"{prefix}title", "clé absente")
    title = data["title"]
    if title is None:
        if not incomplete:
            raise FrameworkDataError(path, f"{prefix}title", "titre manquant dans un référentiel déclaré complet")
        return ""
    if not isinstance(title, str) or not title.strip():
        raise FrameworkDataError(path, f"{prefix}title", "titre vide ou invalide")
    return title.strip()


def _check_lengths(model: type[models.Model], values: dict[str, Any], path: Path, prefix: str) -> None:
    """A value longer than its column is refused here, with its key, rather than
    by the database in the middle of the load."""
    for name, value in values.items():
        if isinstance(value, str):
            limit = getattr(model._meta.get_field(name), "max_length", None)
            if limit is not None and len(value) > limit:
                raise FrameworkDataError(
                    path, f"{prefix}{name}", f"trop long ({len(value)} caractères, {limit} au plus)"
                )


def parse_file(path: Path) -> dict[str, Any]:
    """Read and check one framework file; returns plain data ready to store."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise FrameworkDataError(path, "(fichier)", "le fichier n'est pas en UTF-8") from error
    except json.JSONDecodeError as error:
        raise FrameworkDataError(
            path, "(fichier)", f"JSON invalide ligne {error.lineno}, colonne {error.colno} : {error.msg}"
        ) from error
    if not isinstance(data, dict):
        raise FrameworkDataError(path, "(racine)", "un objet JSON est attendu")
    status = _require(data, "status", str, path)
    if status not in FrameworkStatus.values:
        raise FrameworkDataError(path, "status", f"valeur inconnue « {status} »")
    incomplete = status == FrameworkStatus.INCOMPLETE
    level = _require(data, "level", int, path)
    if level not in (1, 2):
        raise FrameworkDataError(path, "level", "le niveau doit valoir 1 ou 2")
    certifiable = status in (FrameworkStatus.COMPLETE, FrameworkStatus.INCOMPLETE)
    policy = _require(data, "policy", dict, path) if certifiable else (data.get("policy") or {})
    kind = _require(policy, "kind", str, path, "policy.") if certifiable else policy.get("kind")
    if certifiable and kind not in ("all_competencies", "threshold"):
        raise FrameworkDataError(path, "policy.kind", f"valeur inconnue « {kind} »")
    if kind == "threshold":
        _require(policy, "min_validated_total", int, path, "policy.")
        _require(policy, "max_not_validated_per_domain", int, path, "policy.")
    counts = data.get("expected_counts") or {}
    parsed: dict[str, Any] = {
        "code": _require(data, "code", str, path).strip(),
        "level": level,
        "specialty": data.get("specialty") or "",
        "title": _require(data, "title", str, path).strip(),
        "version": str(data.get("version") or ""),
        "legal_basis": data.get("legal_basis") or "",
        "status": status,
        "policy": policy,
        "expected_domains": int(counts.get("domains") or 0),
        "expected_competencies": int(counts.get("competencies") or 0),
        "sources": data.get("sources") or [],
        "missing": str(data.get("missing") or ""),
        "domains": [],
    }
    seen: set[str] = set()
    for i, domain in enumerate(_require(data, "domains", list, path)):
        prefix = f"domains[{i}]."
        if not isinstance(domain, dict):
            raise FrameworkDataError(path, f"domains[{i}]", "un objet est attendu")
        code = _require(domain, "code", str, path, prefix).strip()
        competencies = []
        for j, comp in enumerate(_require(domain, "competencies", list, path, prefix)):
            cprefix = f"{prefix}competencies[{j}]."
            if not isinstance(comp, dict):
                raise FrameworkDataError(path, f"{prefix}competencies[{j}]", "un objet est attendu")
            ccode = _require(comp, "code", str, path, cprefix).strip()
            if ccode in seen:
                raise FrameworkDataError(path, f"{cprefix}code", f"code « {ccode} » en double")
            seen.add(ccode)
            confirmed = comp.get("confirmed")
            competencies.append(
                {
                    "code": ccode,
                    "title": _optional_title(comp, path, cprefix, incomplete),
                    "alt_code": comp.get("alt_code") or "",
                    "note": confirmed if isinstance(confirmed, str) else "",
                }
            )
        parsed["domains"].append(
            {
                "code": code,
                "title": _optional_title(domain, path, prefix, incomplete),
                "part": domain.get("part") or "",
                "common_level2": bool(domain.get("common_level2")),
                "competencies": competencies,
            }
        )
    _check_lengths(Framework, {k: v for k, v in parsed.items() if k != "domains"}, path, "")
    for i, domain in enumerate(parsed["domains"]):
        _check_lengths(Domain, {k: v for k, v in domain.items() if k != "competencies"}, path, f"domains[{i}].")
        for j, comp in enumerate(domain["competencies"]):
            _check_lengths(Competency, comp, path, f"domains[{i}].competencies[{j}].")
    return parsed


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    values = {k: v for k, v in values.items() if k not in lookup}
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values), "created"
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        return obj, "updated"
    return obj, "unchanged"


def _keep_admin_titles(framework: Framework, item: dict[str, Any], current: Any) -> None:
    """R3: titles completed by the national administrator are not blanked by
    a file that still lacks them."""
    if framework.status == FrameworkStatus.COMPLETE and current is not None and not item["title"]:
        item["title"] = current.title


def store(parsed: dict[str, Any], report: LoadReport) -> Framework:
    domains = parsed.pop("domains")
    existing = Framework.objects.filter(code=parsed["code"]).first()
    if existing and existing.status == FrameworkStatus.COMPLETE and parsed["status"] == FrameworkStatus.INCOMPLETE:
        parsed["status"] = FrameworkStatus.COMPLETE  # completed by the administrator (R3)
        parsed["missing"] = existing.missing
    framework, state = _upsert(Framework, {"code": parsed["code"]}, parsed)
    changed = state != "unchanged"
    kept_ids: set[int] = set()
    # Domains the file leaves untitled are the ones the administrator completes
    # (R3): what they added there is not the file's to retire. Read before the
    # titles the administrator gave are copied in below.
    untitled = [d["code"] for d in domains if not d["title"]]
    for position, d in enumerate(domains):
        competencies = d.pop("competencies")
        _keep_admin_titles(framework, d, Domain.objects.filter(framework=framework, code=d["code"]).first())
        domain, dstate = _upsert(Domain, {"framework": framework, "code": d["code"]}, {**d, "position": position})
        changed |= dstate != "unchanged"
        for cpos, c in enumerate(competencies):
            current = Competency.objects.filter(domain__framework=framework, code=c["code"]).first()
            _keep_admin_titles(framework, c, current)
            values = {**c, "position": cpos, "retired": False, "domain": domain}
            if current is None:
                comp = Competency.objects.create(**values)
                changed = True
            else:
                diff = [k for k, v in values.items() if getattr(current, k) != v]
                if diff:
                    for k in diff:
                        setattr(current, k, values[k])
                    current.save(update_fields=diff)
                    changed = True
                comp = current
            kept_ids.add(comp.pk)
    gone = Competency.objects.filter(domain__framework=framework, retired=False).exclude(pk__in=kept_ids)
    for comp in gone.exclude(domain__code__in=untitled):
        label = f"{framework.code} {comp.code}"
        try:
            with transaction.atomic():
                comp.delete()
            report.deleted.append(label)
        except (ProtectedError, RestrictedError):
            comp.retired = True
            comp.save(update_fields=["retired"])
            report.retired.append(label)
        changed = True
    for domain in Domain.objects.filter(framework=framework).exclude(code__in=[d["code"] for d in domains]):
        if not domain.competencies.exists():
            domain.delete()
    getattr(report, "created" if state == "created" else "updated" if changed else "unchanged").append(framework.code)
    return framework


def load_frameworks(directory: Path) -> LoadReport:
    files = sorted(p for p in Path(directory).glob("*.json") if p.name not in SKIPPED_FILES)
    if not files:
        raise FrameworkDataError(directory, "(dossier)", "aucun fichier de référentiel .json trouvé")
    parsed = [parse_file(p) for p in files]  # everything is checked before anything is written
    codes = [p["code"] for p in parsed]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise FrameworkDataError(directory, "code", f"code en double : {', '.join(sorted(duplicates))}")
    report = LoadReport()
    with transaction.atomic():
        for data in parsed:
            store(data, report)
    return report
