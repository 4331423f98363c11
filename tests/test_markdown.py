"""One Markdown setup (`c2i.lib.markdown`) for question stems and portfolio
texts: the same inputs render exactly as they did when each app built its own
converter (outputs recorded before the move). Stems join a paragraph's lines
and keep the question bank's allow-list (headings, images); portfolio texts
keep each line break and a smaller allow-list (no h1, no images, links marked
nofollow ugc). Raw HTML stays text in both."""

from __future__ import annotations

import pytest

from c2i.assessment.text import render_stem
from c2i.portfolio.text import render_markdown

# (source, stem as rendered, portfolio text as rendered)
CASES = [
    (
        "",
        "",
        "",
    ),
    (
        "Un paragraphe.\nDeux lignes.\n\nUn autre, avec **gras**, *italique* et `code`.",
        (
            "<p>Un paragraphe.\n"
            "Deux lignes.</p>\n"
            "<p>Un autre, avec <strong>gras</strong>, <em>italique</em> et <code>code</code>.</p>"
        ),
        (
            "<p>Un paragraphe.<br>\n"
            "Deux lignes.</p>\n"
            "<p>Un autre, avec <strong>gras</strong>, <em>italique</em> et <code>code</code>.</p>"
        ),
    ),
    (
        "# Titre\n\n### Sous-titre\n\n#### Petit titre",
        "<h1>Titre</h1>\n<h3>Sous-titre</h3>\n<h4>Petit titre</h4>",
        "Titre\n<h3>Sous-titre</h3>\n<h4>Petit titre</h4>",
    ),
    (
        "- un\n- deux\n\n1. premier\n2. second\n\n* mêlé\n1. sane_lists",
        (
            "<ul>\n"
            "<li>un</li>\n"
            "<li>deux</li>\n"
            "</ul>\n"
            "<ol>\n"
            "<li>premier</li>\n"
            "<li>second</li>\n"
            "</ol>\n"
            "<ul>\n"
            "<li>mêlé\n"
            "1. sane_lists</li>\n"
            "</ul>"
        ),
        (
            "<ul>\n"
            "<li>un</li>\n"
            "<li>deux</li>\n"
            "</ul>\n"
            "<ol>\n"
            "<li>premier</li>\n"
            "<li>second</li>\n"
            "</ol>\n"
            "<ul>\n"
            "<li>mêlé<br>\n"
            "1. sane_lists</li>\n"
            "</ul>"
        ),
    ),
    (
        '<script>alert(1)</script>\n\n<div onclick="x()">bloc</div> et <b>gras</b> en ligne',
        (
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
            '<p>&lt;div onclick="x()"&gt;bloc&lt;/div&gt; et &lt;b&gt;gras&lt;/b&gt; en ligne</p>'
        ),
        (
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
            '<p>&lt;div onclick="x()"&gt;bloc&lt;/div&gt; et &lt;b&gt;gras&lt;/b&gt; en ligne</p>'
        ),
    ),
    (
        (
            "[lien](javascript:alert(1)) [web](https://example.org/a?b=1&c=2) "
            "[mail](mailto:a@b.fr) <https://auto.example>"
        ),
        (
            '<p><a rel="noopener noreferrer">lien</a> <a '
            'href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">web</a> <a '
            'href="mailto:a@b.fr" rel="noopener noreferrer">mail</a> <a '
            'href="https://auto.example" rel="noopener noreferrer">https://auto.example</a></p>'
        ),
        (
            '<p><a rel="noopener noreferrer nofollow ugc">lien</a> <a '
            'href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow '
            'ugc">web</a> <a href="mailto:a@b.fr" rel="noopener noreferrer nofollow '
            'ugc">mail</a> <a href="https://auto.example" rel="noopener noreferrer nofollow '
            'ugc">https://auto.example</a></p>'
        ),
    ),
    (
        '![image](https://tracker.example/p.png) ![locale](/media/x.png "titre")',
        (
            '<p><img alt="image" src="https://tracker.example/p.png"> <img alt="locale" '
            'src="/media/x.png" title="titre"></p>'
        ),
        "<p> </p>",
    ),
    (
        "> citation\n> sur deux lignes\n\n    code indenté\n    < > &\n\n---\n\nfin",
        (
            "<blockquote>\n"
            "<p>citation\n"
            "sur deux lignes</p>\n"
            "</blockquote>\n"
            "<pre><code>code indenté\n"
            "&lt; &gt; &amp;\n"
            "</code></pre>\n"
            "<hr>\n"
            "<p>fin</p>"
        ),
        (
            "<blockquote>\n"
            "<p>citation<br>\n"
            "sur deux lignes</p>\n"
            "</blockquote>\n"
            "<pre><code>code indenté\n"
            "&lt; &gt; &amp;\n"
            "</code></pre>\n"
            "<hr>\n"
            "<p>fin</p>"
        ),
    ),
    (
        "Caractères & < > \" ' et entités &amp; &lt; &#1; &eacute;",
        "<p>Caractères &amp; &lt; &gt; \" ' et entités &amp; &lt;  é</p>",
        "<p>Caractères &amp; &lt; &gt; \" ' et entités &amp; &lt; \x01 é</p>",
    ),
    (
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>",
        "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>",
    ),
    (
        "Texte__souligné__ et _mot_ puis 2 * 3 * 4\nligne  \nforcée",
        "<p>Texte__souligné__ et <em>mot</em> puis 2 * 3 * 4\nligne<br>\nforcée</p>",
        "<p>Texte__souligné__ et <em>mot</em> puis 2 * 3 * 4<br>\nligne<br>\nforcée</p>",
    ),
    (
        "```\nclôturé\n```\n\n1) parenthèse\n2) liste",
        "<p><code>clôturé</code></p>\n<p>1) parenthèse\n2) liste</p>",
        "<p><code>clôturé</code></p>\n<p>1) parenthèse<br>\n2) liste</p>",
    ),
]


@pytest.mark.parametrize(("source", "stem", "portfolio"), CASES)
def test_it_renders_as_before(source: str, stem: str, portfolio: str) -> None:
    assert str(render_stem(source, "markdown")) == stem
    assert str(render_markdown(source)) == portfolio
