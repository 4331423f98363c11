"""The figures pages: the national dashboard (national administrator), an
institution beside the nation (its correspondents), the public « Chiffres
clés » with its open data; each table exported to CSV and XLSX."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.enrolment.access import correspondent_institutions, get_institution_for_correspondent
from c2i.lib import tabular
from c2i.lib.pages import page
from c2i.statistics import opendata, public, services, tables
from c2i.statistics.forms import FiguresFilterForm, PublicFilterForm
from c2i.statistics.tables import Block

FORMATS = ("csv", "xlsx")


def _query(request: HttpRequest) -> str:
    return request.GET.urlencode()


def _export(block: Block, fmt: str, filename: str) -> HttpResponse:
    rows = [[tables.export_value(v) for v in row] for row in block.rows]
    if fmt == "csv":
        return tabular.csv_response(filename, block.header, rows)
    if fmt == "xlsx":
        return tabular.xlsx_response(filename, block.header, rows, block.title)
    raise Http404


def _pick(blocks: list[Block], key: str) -> Block:
    for block in blocks:
        if block.key == key:
            return block
    raise Http404


# --- national -------------------------------------------------------------------


@role_required("is_admin")
def national(request: AuthenticatedRequest) -> HttpResponse:
    form = FiguresFilterForm(request.GET)
    return page(
        request,
        "statistics/national.html",
        _("National figures"),
        form=form,
        blocks=tables.national_blocks(form.filters(), form.order()),
        export_url=reverse("statistics:national_export", args=["KEY", "FMT"]),
        query=_query(request),
        refreshed=services.last_refresh(),
    )


@role_required("is_admin")
def national_export(request: AuthenticatedRequest, key: str, fmt: str) -> HttpResponse:
    form = FiguresFilterForm(request.GET)
    block = _pick(tables.national_blocks(form.filters(), form.order()), key)
    return _export(block, fmt, f"c2i-national-{key}")


@require_POST
@role_required("is_admin")
def refresh(request: AuthenticatedRequest) -> HttpResponse:
    done = services.refresh_all(request.user)
    messages.success(
        request,
        _("Figures computed again: %(rows)s rows in %(seconds)s s.") % {"rows": done.rows, "seconds": done.seconds},
    )
    return redirect("statistics:national")


# --- an institution beside the nation ----------------------------------------------


@role_required("is_correspondent", "is_admin")
def my_institution(request: AuthenticatedRequest) -> HttpResponse:
    if roles(request.user).is_admin:
        return redirect("statistics:national")
    first = correspondent_institutions(request.user).order_by("name").first()
    if first is None:
        raise Http404
    return redirect("statistics:institution", first.pk)


@role_required("is_correspondent", "is_admin")
def institution(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = get_institution_for_correspondent(request.user, pk)
    form = FiguresFilterForm(request.GET, institutions=False)
    return page(
        request,
        "statistics/institution.html",
        _("Figures — %(institution)s") % {"institution": found.name},
        form=form,
        institution=found,
        others=correspondent_institutions(request.user).exclude(pk=pk).order_by("name")[:50],
        blocks=tables.institution_blocks(found.pk, form.filters()),
        export_url=reverse("statistics:institution_export", args=[found.pk, "KEY", "FMT"]),
        query=_query(request),
        refreshed=services.last_refresh(),
        minimum=tables.MIN_OTHER_INSTITUTIONS,
    )


@role_required("is_correspondent", "is_admin")
def institution_export(request: AuthenticatedRequest, pk: int, key: str, fmt: str) -> HttpResponse:
    found = get_institution_for_correspondent(request.user, pk)
    form = FiguresFilterForm(request.GET, institutions=False)
    block = _pick(tables.institution_blocks(found.pk, form.filters()), key)
    return _export(block, fmt, f"c2i-{found.uai}-{key}")


# --- public --------------------------------------------------------------------------


def _public_blocks(request: HttpRequest) -> tuple[PublicFilterForm, list[Block], int | None, str | None]:
    data = opendata.published()
    frameworks = sorted({f for fs in data.frameworks.values() for f in fs})
    form = PublicFilterForm(request.GET, data.years, frameworks)
    year, framework = form.selection(data.years)
    return form, public.blocks(data, year, framework), year, framework


def public_figures(request: HttpRequest) -> HttpResponse:
    form, blocks, year, framework = _public_blocks(request)
    return page(
        request,
        "statistics/public.html",
        _("Key figures"),
        form=form,
        blocks=blocks,
        year=year,
        framework=framework,
        export_url=reverse("statistics:public_export", args=["KEY", "FMT"]),
        query=_query(request),
        licence=opendata.LICENCE,
        licence_url=opendata.LICENCE_URL,
    )


def public_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    _form, blocks, year, framework = _public_blocks(request)
    return _export(_pick(blocks, key), fmt, f"c2i-chiffres-cles-{year or ''}-{framework or 'ensemble'}-{key}")


def open_data(request: HttpRequest) -> HttpResponse:
    data = opendata.published()
    rows = [[tables.export_value(v) for v in row] for row in opendata.main_rows(data)]
    return tabular.csv_response("c2i-chiffres-cles", opendata.MAIN_HEADER, rows)


def open_data_domains(request: HttpRequest) -> HttpResponse:
    data = opendata.published()
    rows = [[tables.export_value(v) for v in row] for row in opendata.domain_rows(data)]
    return tabular.csv_response("c2i-chiffres-cles-domaines", opendata.DOMAIN_HEADER, rows)


def dictionary(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "statistics/dictionary.html",
        _("Open data: data dictionary"),
        [(reverse("statistics:public"), _("Key figures"))],
        files=public.dictionary(),
        licence=opendata.LICENCE,
        licence_url=opendata.LICENCE_URL,
    )


def dictionary_csv(request: HttpRequest) -> HttpResponse:
    rows: list[list[Any]] = [[f["name"], c[0], c[1], c[2]] for f in public.dictionary() for c in f["columns"]]
    return tabular.csv_response("c2i-chiffres-cles-dictionnaire", ["fichier", "colonne", "type", "description"], rows)
