"""Formulas rendered to MathML when the documentation is built.

Sphinx's default renderer, MathJax, is a script fetched from a CDN when a page is
opened: without network the reader sees raw TeX. MathML is part of HTML (MathML
Core), drawn by every current browser, phones included, without a script or a
download; latex2mathml converts each formula's TeX at build time. A formula it
cannot convert, or converts only in part (a command it does not know is left as
text), is a build warning naming the formula and where it is (an error with
``-W``), and is shown as TeX.
"""

import re

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)
# latex2mathml leaves a command it does not know as an identifier, "\name"
_UNCONVERTED = re.compile(r"<mi>(\\[A-Za-z]+)</mi>")


def _mathml(translator, node, tex: str, display: str) -> str:
    """``tex`` as MathML, or escaped TeX with a warning when it does not convert."""
    try:
        mathml = convert(tex, display=display)
    except Exception as exc:  # latex2mathml's errors carry no message of their own
        reason = f"{type(exc).__name__} {exc}".strip()
    else:
        unknown = _UNCONVERTED.findall(mathml)
        if not unknown:
            return mathml
        reason = f"unknown commands {', '.join(sorted(set(unknown)))}"
    logger.warning(
        f"cannot convert the formula {tex!r} to MathML ({reason})", location=node
    )
    return f'<code class="tex">{translator.encode(tex)}</code>'


def _inline(translator, node):
    translator.body.append(translator.starttag(node, "span", "", CLASS="math notranslate"))
    translator.body.append(_mathml(translator, node, node.astext(), "inline"))
    translator.body.append("</span>")
    raise nodes.SkipNode


def _block(translator, node):
    # as Sphinx's MathJax renderer: ids, numbers and permalinks, one formula per
    # paragraph of the directive, several lines (\\) as an aligned block
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate"))
    if node.get("no-wrap", node.get("nowrap", False)):
        translator.body.append(_mathml(translator, node, node.astext(), "block"))
        translator.body.append("</div>\n")
        raise nodes.SkipNode
    if node.get("number"):
        number = get_node_equation_number(translator, node)
        translator.body.append(f'<span class="eqno">({number})')
        translator.add_permalink_ref(node, _("Link to this equation"))
        translator.body.append("</span>")
    for part in (part for part in node.astext().split("\n\n") if part.strip()):
        if r"\\" in part:
            part = r"\begin{aligned}" + part + r"\end{aligned}"
        translator.body.append(_mathml(translator, node, part, "block"))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
