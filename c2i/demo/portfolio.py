"""Demonstration portfolios: candidat-a1 and a dozen other enrolled candidates
get evidence items in French with small real files made on the fly (PDF with
ReportLab, PNG with Pillow, an ODT and plain text), some submitted to the
jury, with comments and positionings by tuteur-a. Everything goes through the
services, so the audit trail and the stored files are those of real use."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import timezone

from c2i.accounts.models import User
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Competency, Framework
from c2i.portfolio import services
from c2i.portfolio.models import EvidenceKind, Portfolio, PositioningLevel

# --- real files, made on the fly ---------------------------------------------


def pdf_file(title: str, author: str, paragraphs: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    pdf.setAuthor(author)
    width, height = A4
    pdf.setFillColorRGB(0, 0, 0.57)
    pdf.setFont("Helvetica-Bold", 17)
    pdf.drawString(56, height - 72, title[:70])
    pdf.setFillColorRGB(0.1, 0.1, 0.1)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(56, height - 92, author)
    y = height - 130
    pdf.setFont("Helvetica", 11)
    for paragraph in paragraphs:
        line = ""
        for word in paragraph.split():
            if pdf.stringWidth(f"{line} {word}", "Helvetica", 11) > width - 112:
                pdf.drawString(56, y, line)
                y -= 16
                line = word
            else:
                line = f"{line} {word}".strip()
        pdf.drawString(56, y, line)
        y -= 26
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def png_chart(title: str, labels: list[str], values: list[int]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=18)
    small = ImageFont.load_default(size=14)
    draw.text((24, 16), title, fill=(0, 0, 145), font=font)
    top = max(values) or 1
    bar = (640 - 80) // len(values)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = 48 + i * bar
        h = int(240 * value / top)
        draw.rectangle((x, 320 - h, x + bar - 16, 320), fill=(106, 106, 244), outline=(22, 22, 22))
        draw.text((x, 326), label, fill=(22, 22, 22), font=small)
        draw.text((x, 300 - h), str(value), fill=(22, 22, 22), font=small)
    draw.line((40, 320, 620, 320), fill=(22, 22, 22), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_tree(title: str, lines: list[str]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (560, 60 + 26 * len(lines)), (246, 246, 246))
    draw = ImageDraw.Draw(image)
    draw.text((20, 14), title, fill=(0, 0, 145), font=ImageFont.load_default(size=18))
    font = ImageFont.load_default(size=15)
    for i, line in enumerate(lines):
        depth = len(line) - len(line.lstrip(" "))
        draw.text((24 + 10 * depth, 50 + 26 * i), "▸ " + line.strip(), fill=(22, 22, 22), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def odt_file(title: str, paragraphs: list[str]) -> bytes:
    """A minimal valid OpenDocument text: `mimetype` first and stored."""
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:text><text:h text:outline-level="1">{escape(title)}</text:h>{body}'
        "</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    stamp = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype", stamp), "application/vnd.oasis.opendocument.text")
        for name, text in (("content.xml", content), ("META-INF/manifest.xml", manifest)):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return out.getvalue()


def text_file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- the items ---------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    title: str
    context: str
    competencies: tuple[str, ...]
    reflection: str
    files: tuple[tuple[str, Callable[[str], bytes]], ...] = ()
    link: str = ""


def _report(title: str, *paragraphs: str) -> Callable[[str], bytes]:
    return lambda author: pdf_file(title, author, list(paragraphs))


SAMPLES = [
    Sample(
        EvidenceKind.CURRICULUM,
        "Rapport de stage structuré avec styles et table des matières",
        "UE Méthodologie du travail universitaire (L1)",
        ("D3.1", "D3.2"),
        "J'ai mis en forme mon rapport de stage avec des **styles de titres** et une table des matières "
        "générée automatiquement.\n\n- numérotation automatique des figures ;\n- renvois vers les annexes ;\n"
        "- en-têtes et pieds de page différents pour la première page.\n\nJ'ai appris à ne plus mettre "
        "en forme à la main : une modification du style suffit pour tout le document.",
        (
            (
                "rapport-de-stage.pdf",
                _report(
                    "Rapport de stage — Laboratoire de biologie cellulaire",
                    "1. Introduction. Ce stage de quatre semaines s'est déroulé au sein d'une équipe de recherche.",
                    "2. Missions. Préparation des échantillons, saisie des résultats dans un tableur partagé.",
                    "3. Conclusion. Le travail en équipe et la rigueur de la documentation ont été essentiels.",
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Veille informationnelle sur l'intelligence artificielle en santé",
        "UE Recherche documentaire — dossier de veille",
        ("D4.1", "D4.4"),
        "J'ai construit une équation de recherche, choisi trois bases (Cairn, PubMed, HAL) et mis en place "
        "des alertes et un agrégateur de flux RSS. La bibliographie jointe suit la norme ISO 690.",
        (
            (
                "synthese-veille.pdf",
                _report(
                    "Synthèse de veille — IA et santé",
                    "Équation : (« intelligence artificielle » OU « apprentissage automatique ») ET santé.",
                    "Outils : alertes de bases de données, flux RSS, signets partagés.",
                    "Résultat : 14 sources retenues sur 60 examinées, classées par thème.",
                ),
            ),
            (
                "bibliographie.txt",
                lambda author: text_file(
                    [
                        "Bibliographie (norme ISO 690)",
                        "",
                        "DUPONT, Marie. L'IA à l'hôpital. Paris : Éditions Santé, 2023. 212 p.",
                        "MARTIN, Paul. Données de santé et algorithmes. Revue du numérique, 2022, n° 12, p. 4-19.",
                    ]
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Organisation de mon espace de travail numérique",
        "TD Environnement numérique de travail",
        ("D1.1", "D1.4"),
        "Capture de l'arborescence de mes dossiers de cours, synchronisés sur l'espace de stockage de "
        "l'université, avec une règle de nommage des fichiers (AAAA-MM-JJ_matiere_sujet) et une sauvegarde "
        "hebdomadaire sur un disque externe.",
        (
            (
                "arborescence.png",
                lambda author: png_tree(
                    "Mes dossiers de cours",
                    ["L1-S2", " Biologie", "  2025-02-03_bio_TD1.odt", " Chimie", " Numérique", "  Sauvegardes"],
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.EXTERNAL,
        "Analyse de mon identité numérique",
        "Démarche personnelle",
        ("D2.1", "D2.2"),
        "J'ai recherché mon nom sur plusieurs moteurs et recensé les traces publiques (réseaux sociaux, "
        "résultats sportifs, photos). J'ai ensuite **paramétré la confidentialité** de mes comptes et "
        "demandé le déréférencement d'une ancienne page.\n\n> Ce que je retiens : ce qui est publié reste "
        "longtemps trouvable, il faut le décider en amont.",
        (
            (
                "identite-numerique.odt",
                lambda author: odt_file(
                    "Mon identité numérique",
                    [
                        "Recensement des traces publiques : 9 résultats pertinents sur la première page.",
                        "Actions : paramètres de confidentialité, suppression de deux comptes inactifs.",
                        "Demande de déréférencement adressée au moteur de recherche le 12 mars.",
                    ],
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Tableau de suivi budgétaire avec graphique",
        "UE Outils numériques — TD tableur",
        ("D3.4",),
        "Tableau des dépenses d'un projet tutoré : formules de somme conditionnelle, références absolues, "
        "tableau croisé et graphique en barres exporté en image.",
        (
            (
                "graphique-budget.png",
                lambda author: png_chart(
                    "Dépenses du projet (en euros)",
                    ["Janv.", "Févr.", "Mars", "Avril", "Mai"],
                    [120, 340, 210, 95, 400],
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Production collaborative sur le wiki de la promotion",
        "Projet de groupe — UE Communication scientifique",
        ("D5.2", "D5.3"),
        "Nous avons rédigé à quatre une page de wiki. J'ai coordonné le plan, suivi l'historique des "
        "versions et résolu deux conflits de modification.",
        (),
        "https://www.example.org/wiki/projet-communication-scientifique",
    ),
    Sample(
        EvidenceKind.EXTERNAL,
        "Affiche sous licence Creative Commons pour une association",
        "Bénévolat — association sportive",
        ("D2.3", "D3.3"),
        "J'ai réalisé l'affiche du tournoi avec des images sous licence CC BY, en citant les auteurs, et "
        "placé l'affiche elle-même sous licence CC BY-SA. J'ai vérifié les droits de chaque image.",
        (
            (
                "affiche-tournoi.png",
                lambda author: png_chart(
                    "Tournoi solidaire — inscriptions", ["U11", "U13", "U15", "Seniors"], [24, 31, 18, 12]
                ),
            ),
            (
                "credits-images.txt",
                lambda author: text_file(
                    [
                        "Crédits des images",
                        "Ballon — photo de J. Durand, CC BY 4.0",
                        "Stade — Wikimedia Commons, CC BY-SA",
                    ]
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Courriel de demande de stage et règles de bon usage",
        "UE Projet professionnel",
        ("D5.1", "D2.4"),
        "Rédaction d'un courriel professionnel : objet explicite, formule d'appel, pièces jointes en PDF "
        "nommées clairement, signature complète. Comparaison avec la charte informatique de l'université.",
        (
            (
                "courriel-stage.pdf",
                _report(
                    "Demande de stage — courriel",
                    "Objet : Candidature — stage de deux mois en laboratoire (juin-juillet).",
                    "Madame, Monsieur, étudiante en deuxième année de licence, je sollicite un stage...",
                    "Pièces jointes : CV.pdf, lettre-de-motivation.pdf",
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Conversion d'un document vers des formats ouverts",
        "TD Interopérabilité",
        ("D1.3",),
        "J'ai converti un document de traitement de texte en ODT et en PDF/A, puis comparé le rendu sur "
        "trois logiciels différents. Les styles ont été conservés, pas les polices non libres.",
        (
            (
                "comparatif-formats.odt",
                lambda author: odt_file(
                    "Comparatif des formats",
                    ["ODT : rendu identique sur LibreOffice et OnlyOffice.", "PDF/A : conservation à long terme."],
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Évaluation critique de trois sources",
        "UE Recherche documentaire",
        ("D4.2", "D4.3"),
        "Grille d'évaluation (auteur, date, intention, sources citées) appliquée à un article de presse, "
        "une page de blog et une publication scientifique ; références récupérées avec Zotero.",
        (
            (
                "evaluation-sources.pdf",
                _report(
                    "Évaluation de trois sources",
                    "Critères : autorité de l'auteur, date, objectivité, sources citées, public visé.",
                    "Conclusion : seule la publication scientifique répond à tous les critères.",
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Sécurisation de mes comptes et sauvegardes",
        "TD Environnement numérique de travail",
        ("D1.2",),
        "Mise en place d'un gestionnaire de mots de passe, de l'authentification à deux facteurs et d'un "
        "chiffrement du disque de mon ordinateur portable.",
        (
            (
                "securite.pdf",
                _report(
                    "Sécuriser son espace de travail",
                    "Gestionnaire de mots de passe : 42 comptes migrés, mots de passe uniques.",
                    "Double authentification activée sur la messagerie et l'ENT.",
                ),
            ),
        ),
    ),
    Sample(
        EvidenceKind.CURRICULUM,
        "Diaporama de soutenance accessible",
        "UE Communication scientifique",
        ("D3.5", "D3.3"),
        "Diaporama exporté en PDF avec textes alternatifs pour les images, contrastes vérifiés et "
        "taille de police suffisante.",
        (
            (
                "soutenance.pdf",
                _report(
                    "Soutenance de projet",
                    "Diapositive 1 : contexte. Diapositive 2 : méthode. Diapositive 3 : résultats.",
                    "Accessibilité : textes alternatifs, contraste vérifié.",
                ),
            ),
        ),
    ),
]

FINAL_PRACTICAL = Sample(
    EvidenceKind.FINAL_PRACTICAL,
    "Activité pratique terminale : dossier documentaire complet",
    "Activités pratiques terminales (R8)",
    ("D4.1", "D4.2", "D3.1"),
    "Réalisée en temps limité : recherche, évaluation des sources et rédaction d'une synthèse mise en forme.",
    (
        (
            "activite-terminale.pdf",
            _report(
                "Activité pratique terminale",
                "Sujet : la protection des données personnelles dans les applications de santé.",
                "Production réalisée en trois heures, en salle informatique.",
            ),
        ),
    ),
)

COMMENTS = [
    "Très bon travail. Pensez à préciser **quelle version** du document a été déposée.",
    "La démarche est claire ; ajoutez une capture de l'historique des versions pour D5.3.",
    "Votre analyse réflexive pourrait détailler davantage ce que vous feriez autrement.",
    "Les sources sont bien citées, la norme est respectée.",
]


def _upload(sample: Sample, author: str) -> list[services.Upload]:
    return [services.Upload.from_bytes(name, make(author)) for name, make in sample.files]


def _add(portfolio: Portfolio, sample: Sample, actor: User | None, competencies: dict[str, Competency]) -> None:
    draft = services.EvidenceDraft(
        kind=sample.kind,
        title=sample.title,
        context=sample.context,
        activity_date=timezone.localdate() - dt.timedelta(days=len(sample.title)),
        competencies=[competencies[c] for c in sample.competencies],
        link=sample.link,
        reflection=sample.reflection,
    )
    services.create_evidence(portfolio, actor, draft, uploads=_upload(sample, portfolio.candidate.full_name))


def load_portfolio_demo() -> None:
    if Portfolio.objects.exists():
        return
    framework = Framework.objects.get(code="C2i1")
    competencies = {c.code: c for c in Competency.objects.filter(domain__framework=framework, retired=False)}
    tutor = User.objects.get(username="tuteur-a")
    rng = random.Random(2027)
    a_c2i1 = InstitutionSession.objects.get(session__framework=framework, institution__uai="0692437Z")
    b_c2i1 = InstitutionSession.objects.get(session__framework=framework, institution__uai="0755890V")

    def active(ins: InstitutionSession) -> list[Enrolment]:
        return list(
            ins.enrolments.filter(status=EnrolmentStatus.ACTIVE)
            .select_related("candidate__user", "institution_session")
            .order_by("pk")
        )

    enrolments = active(a_c2i1)[:9] + active(b_c2i1)[:4]
    for n, enrolment in enumerate(enrolments):
        candidate = enrolment.candidate
        actor = candidate.user
        portfolio = services.open_portfolio(candidate, framework, actor)
        username = actor.username if actor else ""
        # candidat-a1 starts small: the browser journey adds the rest
        chosen = [SAMPLES[0], SAMPLES[3]] if username == "candidat-a1" else rng.sample(SAMPLES, rng.randint(2, 7))
        for sample in chosen:
            _add(portfolio, sample, actor, competencies)
        if enrolment.final_practical_allowed:  # R8
            _add(portfolio, FINAL_PRACTICAL, actor, competencies)
        if n % 3 == 1:  # a knowledge-test result, as the test app will write it
            services.add_test_result_evidence(
                portfolio,
                "Contrôle de connaissances — domaine D2",
                [competencies[c] for c in ("D2.1", "D2.2", "D2.3", "D2.4")],
                f"Score du domaine D2 : {rng.randint(45, 90)} % (16 questions).",
                None,
            )
        submitted = username in {"candidat-a1", "candidat-a2", "candidat-b1"} or n % 3 == 0
        if submitted:
            services.submit_portfolio(portfolio, enrolment, actor)
        if n == 3:  # a submission withdrawn then redone: the history shows both
            services.withdraw_submission(portfolio.submissions.get(status="submitted"), actor)
            services.submit_portfolio(portfolio, enrolment, actor)
        if n == 6:  # withdrawn, not redone yet
            services.withdraw_submission(portfolio.submissions.get(status="submitted"), actor)
        if enrolment.institution_session_id == a_c2i1.pk and n < 6:
            items = list(portfolio.items.exclude(kind=EvidenceKind.TEST_RESULT))
            services.add_comment(items[0], tutor, COMMENTS[n % len(COMMENTS)])
            for item in items[:3]:
                for c in item.competencies.all()[:1]:
                    level = rng.choice(PositioningLevel.values)
                    services.position(
                        portfolio, c, level, "Positionnement après l'entretien de suivi." if n % 2 else "", tutor
                    )
            if n == 0:  # a positioning revised: the history keeps the first one
                first = items[0].competencies.first()
                assert first is not None
                services.position(portfolio, first, PositioningLevel.TO_CONSOLIDATE, "Premier regard.", tutor)
                services.position(portfolio, first, PositioningLevel.ACQUIRED, "Revu après la seconde version.", tutor)
