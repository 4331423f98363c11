"""`grid.read_grid` on its own: what a grid's cells become, and each refusal
as the jury reads it (French, line, column and header, every problem at once,
in the order of the file)."""

from __future__ import annotations

import pytest
from django.utils import translation

from c2i.deliberation import grid
from c2i.deliberation.rules import DomainSpec, Policy

POLICY = Policy(
    framework="C2i1",
    kind="all_competencies",
    domains=(
        DomainSpec("D1", ("D1.1", "D1.2"), test_required=True),
        DomainSpec("D2", ("D2.1",), test_required=False),
    ),
)


def refusal(text: str, filename: str = "grille.csv") -> list[str]:
    with translation.override("fr"), pytest.raises(grid.GridError) as caught:
        grid.read_grid(text.encode(), filename, POLICY)
    return caught.value.errors


class TestReadGrid:
    def test_it_reads_each_kind_of_column(self) -> None:
        text = "Candidate;nom;D1.1;D1.2;D2.1;QCM:D1;acquis:D2;\n"
        text += "a@b.fr;Jean Dupont;v;NV;;50,5 %;1;ignoré\n\n"
        text += "1234567890V;;;V;NV;;0\n"
        first, second = grid.read_grid(text.encode(), "grille.csv", POLICY)
        assert (first.line, first.candidate, first.tests, first.carried) == (2, "a@b.fr", {"D1": 50.5}, {"D2"})
        assert first.cells == {"D1.1": ("V", 3), "D1.2": ("NV", 4), "D2.1": ("", 5)}
        assert (second.line, second.candidate, second.tests, second.carried) == (4, "1234567890V", {}, set())
        assert second.cells == {"D1.1": ("", 3), "D1.2": ("V", 4), "D2.1": ("NV", 5)}

    def test_it_lists_every_header_problem(self) -> None:
        assert refusal("nom;D1.1;d2.1;D9.9;QCM:D9;acquis:D1;d1.1\nx;V\n") == [
            "Ligne 1, colonne 3 (d2.1) : code de compétence inconnu dans C2i1.",
            "Ligne 1, colonne 4 (D9.9) : code de compétence inconnu dans C2i1.",
            "Ligne 1, colonne 5 (QCM:D9) : code de domaine inconnu dans C2i1.",
            "Ligne 1, colonne 7 (d1.1) : colonne en double.",
            "Ligne 1 : la colonne « candidate » est manquante.",
        ]

    def test_it_lists_every_cell_problem_line_by_line(self) -> None:
        text = "candidate;D1.1;QCM:D1;acquis:D2\n"
        text += "x;OK;120;2\n"
        text += ";V;abc;\n"
        text += "X ;NV;-1;0\n"
        assert refusal(text) == [
            "Ligne 2, colonne 2 (D1.1) : « OK » n'est ni V, ni NV, ni vide.",
            "Ligne 2, colonne 3 (QCM:D1) : « 120 » n'est pas un pourcentage compris entre 0 et 100.",
            "Ligne 2, colonne 4 (acquis:D2) : « 2 » n'est ni 1 ni vide.",
            "Ligne 3, colonne 1 (candidate) : l'identifiant du candidat est manquant.",
            "Ligne 3, colonne 3 (QCM:D1) : « abc » n'est pas un pourcentage compris entre 0 et 100.",
            "Ligne 4, colonne 1 (candidate) : candidat déjà présent à la ligne 2.",
            "Ligne 4, colonne 3 (QCM:D1) : « -1 » n'est pas un pourcentage compris entre 0 et 100.",
        ]

    def test_a_file_the_reader_refuses_is_one_reason(self) -> None:
        assert refusal("candidate;D1.1\nx;V\n", "grille.xlsx") == ["Le fichier n'est pas un classeur XLSX lisible."]

    def test_a_grid_without_lines_is_empty(self) -> None:
        assert refusal("\n ; \n") == ["La grille est vide."]

    def test_a_header_alone_is_no_candidate(self) -> None:
        assert grid.read_grid(b"candidate;D1.1\n", "grille.csv", POLICY) == []
