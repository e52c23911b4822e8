"""Resolving the LaTeX remnants scraped abstracts carry, as polars expressions.

Abstracts are copied from papers' sources, so they keep markup: ``\\textbf{Lion}``,
``\\eg``, ``\\%``, colour macros whose backslash got lost (``blue{https://...}``),
math delimiters. The clean text resolves each to what a reader sees; every rule is
a vectorised regex replacement, applied in a fixed order (formatting commands
first, then symbols, then what is left of any command, then braces).
"""

from __future__ import annotations

import re

import polars as pl

from pipeline.core.transform.normalize import nfc

# Commands whose argument is the visible text: \textbf{X} -> X.
_TEXT_COMMANDS = (
    "textbf|textit|textrm|textsf|texttt|textsc|textup|textmd|emph|underline|mathrm|mathbf|"
    "mathit|mathsf|mathtt|mathcal|mathbb|mathfrak|text|mbox|url|footnote|ref|"
    # math decorations: the decorated symbol is what a reader reads ($\\vec{v}$ -> v)
    "vec|hat|bar|tilde|widehat|widetilde|overline|boldsymbol|bm|operatorname"
)
# Old-style font switches change how the rest of their group looks, not what it says:
# {\em Lorentzian} -> Lorentzian, {\bf 98} -> 98, {\cal K} -> K (not "em Lorentzian").
_FONT_SWITCHES = (
    "em|bf|it|sl|sc|tt|rm|sf|cal|mit|Bbb|bfseries|itshape|slshape|scshape|ttfamily|rmfamily|"
    "sffamily|upshape|mdseries|normalfont"
)
# A citation renders as a number the abstract cannot show, and its key is no word of
# the text: it goes, with the space before it ("in \cite{hajac} as" -> "in as").
_CITATION = r"\s*\\(?:cite|citep|citet|citealp|citeauthor|citeyear)\*?(?:\[[^\]]*\])*\{[^{}]*\}"
# Colour macros, with or without their backslash (scrapes often lose it).
_COLOURS = "blue|red|green|magenta|cyan|orange|purple|gray|grey|black|brown|teal|violet"

# Control words with a fixed rendering. Applied as whole words (\eg, not \egg).
SYMBOLS: dict[str, str] = {
    "eg": "e.g.",
    "ie": "i.e.",
    "etal": "et al.",
    "etc": "etc.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "lambda": "λ",
    "mu": "μ",
    "sigma": "σ",
    "theta": "θ",
    "pi": "π",
    "ell": "ℓ",
    "times": "×",
    "cdot": "·",
    "sim": "~",
    "approx": "≈",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "pm": "±",
    "infty": "∞",
    "rightarrow": "→",
    "to": "→",
    "ldots": "...",
    "dots": "...",
    "cdots": "...",
    # arXiv math in abstracts, rendered as a reader would see it.
    "omega": "ω",
    "phi": "φ",
    "rho": "ρ",
    "tau": "τ",
    "eta": "η",
    "Delta": "Δ",
    "Omega": "Ω",
    "in": "∈",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "sqrt": "√",
    "ll": "≪",
    "gg": "≫",
    "Rightarrow": "⇒",
}
# Accents, as combining marks composed by NFC afterwards: \"a, \"{a}, {\"a} -> ä.
# Symbol accents take a bare letter; letter accents (\v{s}, \c{c}) only a braced one,
# so "\v" or "\c" starting a word is never taken for one.
_SYMBOL_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303"}
_BRACED_ACCENTS = {
    **_SYMBOL_ACCENTS,
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
# Letters LaTeX names: \ss -> ß. Applied as whole words, after the accents (\'\i).
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
}
# Escaped braces are visible ones (set notation in math: \{X_i\}); they are kept
# apart from markup braces, which are removed, by these stand-ins.
_OPEN, _CLOSE = "\ue000", "\ue001"
# Escaped characters: \% -> %.
_ESCAPED = r"\\([%&_#$])"
# Any control word left after the known ones: its backslash is dropped (\overfeat ->
# overfeat), keeping the word a reader would have seen in the rendered macro's place.
LEFTOVER_COMMAND = r"\\([A-Za-z]+)\*?"
# What GX and the tests look for in clean text: a backslash starting a control word.
CONTROL_WORD = r"\\[A-Za-z]+"
_BACKSLASHES_BEFORE_LETTER = r"\\+([A-Za-z])"


def resolve_accents(expr: pl.Expr) -> pl.Expr:
    """LaTeX accents and named letters to Unicode: na\\"ively -> naïvely, Fr\\'echet ->
    Fréchet, {\\"u} -> ü, \\ss -> ß. The marks are composed by NFC in :func:`clean_latex`."""
    out = expr.str.replace_all(r"\\i(?-u:\b)", "i")  # dotless i, as accented: \'{\i}
    for accent, mark in _BRACED_ACCENTS.items():
        command = re.escape(accent) if not accent.isalpha() else accent + r"\s*"
        grouped = rf"\{{\\{command}\{{?([A-Za-z])\}}?\}}"  # {\"a}, {\"{a}}
        braced = rf"\\{command}\{{([A-Za-z])\}}"  # \"{a}
        out = out.str.replace_all(f"{grouped}|{braced}", f"${{1}}${{2}}{mark}")
    for accent, mark in _SYMBOL_ACCENTS.items():
        out = out.str.replace_all(rf"\\{re.escape(accent)}([A-Za-z])", f"${{1}}{mark}")
    for name, letter in _LETTERS.items():
        out = out.str.replace_all(rf"\\{name}(?-u:\b)", letter)
    return out


def clean_latex(expr: pl.Expr) -> pl.Expr:
    """The text with LaTeX markup resolved; whitespace is collapsed afterwards."""
    out = (
        resolve_accents(expr)
        .str.replace_all(r"\\\{", _OPEN)
        .str.replace_all(r"\\\}", _CLOSE)
        .str.replace_all(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", "${1}/${2}")
        .str.replace_all(r"\\[,;:! ]", " ")  # math spacing
        .str.replace_all(r"\\href\{([^{}]*)\}\{([^{}]*)\}", "${2} (${1})")
        .str.replace_all(r"\\textcolor\{[^{}]*\}\{([^{}]*)\}", "${1}")
        .str.replace_all(r"\\color\{[^{}]*\}", "")
        .str.replace_all(_CITATION, "")
        .str.replace_all(rf"\\(?:{_FONT_SWITCHES})(?-u:\b)\s*", "")
        .str.replace_all(rf"\\?\b(?:{_COLOURS})\{{([^{{}}]*)\}}", "${1}")
        # Repeated so that nested commands (\textbf{\emph{x}}) resolve from the inside.
        .str.replace_all(rf"\\(?:{_TEXT_COMMANDS})\*?\{{([^{{}}]*)\}}", "${1}")
        .str.replace_all(rf"\\(?:{_TEXT_COMMANDS})\*?\{{([^{{}}]*)\}}", "${1}")
        .str.replace_all(r"\\[()\[\]]", "")  # math delimiters \( \) \[ \]
        .str.replace_all(_ESCAPED, "${1}")
    )
    # A control word ends at any non-letter, '_' too: $\\alpha_s$ -> α_s.
    for word, rendering in SYMBOLS.items():
        out = out.str.replace_all(rf"\\{word}([^A-Za-z]|$)", f"{rendering}${{1}}")
    return (
        out.str.replace_all(LEFTOVER_COMMAND, "${1}")
        .str.replace_all(r"\$([^$]*)\$", "${1}")  # inline math: keep its content
        .str.replace_all(r"([^\s{])\{(https?://)", "${1} ${2}")  # Name{https://..}
        .str.replace_all(r"[{}]", "")
        # The contract: no control word survives. Removing braces or math delimiters can
        # bring a backslash next to a letter again (\{}w, \$w$), and an escaped
        # backslash shields a command from the passes above (\\alpha): such backslashes
        # go last, all of a run at once, so none can form a new one.
        .str.replace_all(_BACKSLASHES_BEFORE_LETTER, "${1}")
        .str.replace_all(_OPEN, "{", literal=True)
        .str.replace_all(_CLOSE, "}", literal=True)
        .pipe(nfc)
    )
