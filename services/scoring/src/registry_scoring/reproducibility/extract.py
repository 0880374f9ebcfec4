"""Find the demo program of a model card (Markdown README).

What counts as demo code:

* fenced code blocks (```` ``` ```` or ``~~~``) tagged ``python``/``py``/``python3``/``py3``/
  ``ipython``/``pycon``/``python-repl``, and untagged blocks that parse as Python *and* look like
  usage (an import or a call);
* doctest (``>>>``/``...``) and IPython (``In [1]:``) transcripts keep only the prompted code:
  output lines are dropped;
* notebook lines (``!pip install ...``, ``%matplotlib inline``) and, in a block that would not
  parse otherwise, shell command lines (``pip install ...``, ``$ ...``) are removed;
* blocks tagged with another language (bash, json, yaml, text, ...), blocks that are pure data
  or output (no import, no call), and untagged blocks that do not parse are skipped.

Which block: the first usable block under a heading that announces usage ("Usage", "How to
use", "Example", "Quick start", "Getting started", "Inference", ...; the nearest heading counts
more than an ancestor), otherwise the first usable block of the card. Later usable blocks of the
same section are appended when they use a name the program so far defines (a "load" block
followed by a "predict" block); independent alternatives (PyTorch / TensorFlow) are not.
A Python-tagged block that does not parse is returned only when nothing better exists, so the
run reports the syntax error instead of "no demo code".
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

__all__ = ["CodeBlock", "extract_demo_code", "iter_code_blocks", "normalise_block"]

PYTHON_TAGS = frozenset(
    {"python", "py", "python3", "py3", "ipython", "ipython3", "pycon", "python-repl", "pyi"}
)

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATX = re.compile(r"^ {0,3}(?P<level>#{1,6})(?:[ \t]+(?P<title>.*?))?[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(?P<rule>=+|-+)[ \t]*$")
_HTML_HEADING = re.compile(r"<h(?P<level>[1-6])\b[^>]*>(?P<title>.*?)</h(?P=level)>", re.I)
_USAGE_HEADING = re.compile(
    r"\b(usage|how[\s-]+to[\s-]+(use|get[\s-]+started|run)|use[\s-]+(the|this)[\s-]+model"
    r"|using[\s-]+(the|this)[\s-]+model|examples?|quick[\s-]*start|quick[\s-]+tour"
    r"|get(ting)?[\s-]+started|inference|demo|code[\s-]+(snippet|sample|example)s?"
    r"|sample[\s-]+code|direct[\s-]+use|running[\s-]+the[\s-]+model|use[\s-]+with)\b",
    re.I,
)
_DOCTEST_PROMPT = re.compile(r"^\s*>>>(?: |$)")
_DOCTEST_CONT = re.compile(r"^\s*\.\.\.(?: |$)")
_IPY_PROMPT = re.compile(r"^\s*In \[\d*\]:(?: |$)")
_IPY_CONT = re.compile(r"^\s*\.\.\.+:(?: |$)")
_SHELL_LINE = re.compile(
    r"^\s*(\$\s|(pip3?|conda|mamba|uv|apt(-get)?|brew|git|wget|curl|huggingface-cli|hf)\s"
    r"|python3?\s+(-m\s+)?[\w./-]+\.py\b|python3?\s+-m\s)"
)


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block and where it sits in the card."""

    lang: str  # normalised first word of the info string ("" when untagged)
    text: str  # content, dedented
    headings: tuple[str, ...]  # titles of the enclosing headings, outermost first
    section: int  # index of the nearest heading (0 before any heading)
    line: int  # 1-based line of the opening fence


def _strip_front_matter(markdown: str) -> tuple[str, int]:
    if markdown.startswith("---"):
        lines = markdown.split("\n")
        if lines[0].strip() == "---":
            for index in range(1, len(lines)):
                if lines[index].strip() in ("---", "..."):
                    return "\n".join(lines[index + 1 :]), index + 1
    return markdown, 0


def _lang(info: str) -> str:
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    word = word.strip("{}").lstrip(".").split(",")[0].lower()
    return word.removeprefix("language-")


def iter_code_blocks(markdown: str) -> list[CodeBlock]:
    """Every fenced code block of ``markdown`` with its heading path (front matter skipped)."""
    body, offset = _strip_front_matter(markdown.replace("\r\n", "\n"))
    lines = body.split("\n")
    blocks: list[CodeBlock] = []
    stack: list[tuple[int, str]] = []  # (level, title)
    section = 0
    index = 0
    previous_text = ""

    def push(level: int, title: str) -> None:
        nonlocal section
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title.strip()))
        section += 1

    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            char, size = fence["fence"][0], len(fence["fence"])
            content: list[str] = []
            index += 1
            while index < len(lines):
                close = lines[index].strip()
                if close and set(close) == {char} and len(close) >= size:
                    break
                content.append(lines[index])
                index += 1
            blocks.append(
                CodeBlock(
                    lang=_lang(fence["info"]),
                    text=textwrap.dedent("\n".join(content)).strip("\n") + "\n",
                    headings=tuple(title for _, title in stack),
                    section=section,
                    line=offset + index - len(content),
                )
            )
            index += 1
            previous_text = ""
            continue
        atx = _ATX.match(line)
        html = _HTML_HEADING.search(line)
        setext = _SETEXT.match(line)
        if atx:
            push(len(atx["level"]), atx["title"] or "")
        elif html and line.lstrip().lower().startswith("<h"):
            push(int(html["level"]), re.sub(r"<[^>]+>", "", html["title"]))
        elif setext and previous_text and not previous_text.lstrip().startswith(("|", "-", "*")):
            push(1 if setext["rule"][0] == "=" else 2, previous_text)
        previous_text = line if line.strip() else ""
        index += 1
    return blocks


def _from_transcript(text: str) -> str:
    """Keep the code of a doctest / IPython transcript, dropping the output lines."""
    kept: list[str] = []
    in_statement = False
    for line in text.split("\n"):
        for prompt, cont in ((_DOCTEST_PROMPT, _DOCTEST_CONT), (_IPY_PROMPT, _IPY_CONT)):
            start = prompt.match(line)
            if start:
                kept.append(line[start.end() :])
                in_statement = True
                break
            more = cont.match(line)
            if more and in_statement:
                kept.append(line[more.end() :])
                break
        else:
            in_statement = False
    return textwrap.dedent("\n".join(kept))


def _without_notebook_lines(text: str) -> str:
    """Replace IPython magics and shell escapes (``!pip``, ``%time``) by ``pass``."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _without_shell_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _SHELL_LINE.match(line))


def _parses(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _looks_like_usage(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Import | ast.ImportFrom | ast.Call) for node in ast.walk(tree))


def normalise_block(block: CodeBlock) -> tuple[str, bool] | None:
    """``(program, parses)`` for a block that is (meant as) Python usage code, else None."""
    tagged = block.lang in PYTHON_TAGS
    if block.lang and not tagged:
        return None
    text = block.text
    if any(_DOCTEST_PROMPT.match(line) or _IPY_PROMPT.match(line) for line in text.split("\n")):
        text = _from_transcript(text)
    text = _without_notebook_lines(text).strip("\n") + "\n"
    if not text.strip():
        return None
    tree = _parses(text)
    if tree is None:
        cleaned = _without_shell_lines(text).strip("\n") + "\n"
        if cleaned.strip() and cleaned != text:
            tree = _parses(cleaned)
            if tree is not None:
                text = cleaned
    if tree is None:
        # Shell-only or prose-only blocks are not Python; a broken Python block still is.
        shell_only = not _without_shell_lines(text).strip()
        return (text, False) if tagged and not shell_only else None
    if not _looks_like_usage(tree):
        return None  # pure output, data (JSON-like dicts) or a configuration snippet
    return text, True


def _bound_names(tree: ast.AST) -> set[str]:
    return set(_binding_positions(tree))


def _binding_positions(tree: ast.AST) -> dict[str, tuple[int, int]]:
    """First position at which each name is bound (an assignment binds after its value)."""
    found: dict[str, tuple[int, int]] = {}

    def bind(name: str, where: tuple[int, int]) -> None:
        if name not in found or where < found[name]:
            found[name] = where

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        bind(sub.id, end)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bind(node.id, (node.lineno, node.col_offset))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bind(node.name, (node.lineno, node.col_offset))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bind(alias.asname or alias.name.split(".")[0], (node.lineno, node.col_offset))
        elif isinstance(node, ast.arg):
            bind(node.arg, (node.lineno, node.col_offset))
    return found


def _free_names(tree: ast.AST) -> set[str]:
    """Names read before this code binds them: they must come from earlier code."""
    bound = _binding_positions(tree)
    free: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            first_bound = bound.get(node.id)
            if first_bound is None or (node.lineno, node.col_offset) < first_bound:
                free.add(node.id)
    return free


def _heading_score(block: CodeBlock) -> int:
    if block.headings and _USAGE_HEADING.search(block.headings[-1]):
        return 2
    if any(_USAGE_HEADING.search(title) for title in block.headings):
        return 1
    return 0


def extract_demo_code(readme: str | None) -> str | None:
    """The card's demo program, or None when it has no usable Python code."""
    if not readme or not readme.strip():
        return None
    candidates: list[tuple[CodeBlock, str]] = []
    broken: list[tuple[CodeBlock, str]] = []
    for block in iter_code_blocks(readme):
        normalised = normalise_block(block)
        if normalised is None:
            continue
        text, parses = normalised
        (candidates if parses else broken).append((block, text))
    if not candidates:
        if not broken:
            return None
        return max(broken, key=lambda item: (_heading_score(item[0]), -item[0].line))[1]
    best = max(range(len(candidates)), key=lambda i: (_heading_score(candidates[i][0]), -i))
    chosen, program = candidates[best]
    defined = _bound_names(ast.parse(program))
    for block, text in candidates[best + 1 :]:
        if block.section != chosen.section:
            continue
        tree = ast.parse(text)
        if _free_names(tree) & defined:
            program = program.rstrip("\n") + "\n\n" + text
            defined |= _bound_names(tree)
    return program
