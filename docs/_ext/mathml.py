"""Formulas rendered to MathML when the documentation is built.

Sphinx's default renderer, MathJax, is a script fetched from a CDN when a page is
opened: without network the reader sees raw TeX. MathML is part of HTML (MathML
Core), drawn by every current browser, phones included, without a script or a
download; latex2mathml converts each formula's TeX at build time.
"""

from docutils import nodes
from latex2mathml.converter import convert


def _inline(translator, node):
    translator.body.append(
        f'<span class="math notranslate nohighlight">{convert(node.astext())}</span>'
    )
    raise nodes.SkipNode


def _block(translator, node):
    # one formula per paragraph of the directive, as Sphinx's other renderers
    formulas = [part for part in node.astext().split("\n\n") if part.strip()]
    if node.get("number"):
        translator.body.append(f'<span class="eqno">({node["number"]})</span>')
    translator.body.append('<div class="math notranslate nohighlight">')
    for formula in formulas:
        translator.body.append(convert(formula, display="block"))
    translator.body.append("</div>")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
