"""Resolving the LaTeX remnants scraped abstracts carry, as polars expressions.

Abstracts are copied from papers' sources, so they keep markup: ``\\textbf{Lion}``,
``\\eg``, ``\\%``, colour macros whose backslash got lost (``blue{https://...}``),
math delimiters. The clean text resolves each to what a reader sees; every rule is
a vectorised regex replacement, applied in a fixed order (formatting commands
first, then symbols, then what is left of any command, then braces).
"""

from __future__ import annotations

import polars as pl

# Commands whose argument is the visible text: \textbf{X} -> X.
_TEXT_COMMANDS = (
    "textbf|textit|textrm|textsf|texttt|textsc|textup|textmd|emph|underline|mathrm|mathbf|"
    "mathit|mathsf|mathtt|mathcal|mathbb|text|mbox|url|footnote|cite|citep|citet|ref"
)
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
}
# Escaped characters: \% -> %.
_ESCAPED = r"\\([%&_#$])"
# Any control word left after the known ones: its backslash is dropped (\overfeat ->
# overfeat), keeping the word a reader would have seen in the rendered macro's place.
LEFTOVER_COMMAND = r"\\([A-Za-z]+)\*?"
# What GX and the tests look for in clean text: a backslash starting a control word.
CONTROL_WORD = r"\\[A-Za-z]+"


def clean_latex(expr: pl.Expr) -> pl.Expr:
    """The text with LaTeX markup resolved; whitespace is collapsed afterwards."""
    out = (
        expr.str.replace_all(r"\\href\{([^{}]*)\}\{([^{}]*)\}", "${2} (${1})")
        .str.replace_all(r"\\textcolor\{[^{}]*\}\{([^{}]*)\}", "${1}")
        .str.replace_all(r"\\color\{[^{}]*\}", "")
        .str.replace_all(rf"\\?\b(?:{_COLOURS})\{{([^{{}}]*)\}}", "${1}")
        # Repeated so that nested commands (\textbf{\emph{x}}) resolve from the inside.
        .str.replace_all(rf"\\(?:{_TEXT_COMMANDS})\*?\{{([^{{}}]*)\}}", "${1}")
        .str.replace_all(rf"\\(?:{_TEXT_COMMANDS})\*?\{{([^{{}}]*)\}}", "${1}")
        .str.replace_all(r"\\[()\[\]]", "")  # math delimiters \( \) \[ \]
        .str.replace_all(_ESCAPED, "${1}")
    )
    for word, rendering in SYMBOLS.items():
        out = out.str.replace_all(rf"\\{word}\b", rendering, literal=False)
    return (
        out.str.replace_all(LEFTOVER_COMMAND, "${1}")
        .str.replace_all(r"\$([^$]*)\$", "${1}")  # inline math: keep its content
        .str.replace_all(r"([^\s{])\{(https?://)", "${1} ${2}")  # Name{https://..}
        .str.replace_all(r"[{}]", "")
    )
