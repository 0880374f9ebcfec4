"""Reading a model card (README) the way the metrics need it, never raising.

A card is split into Markdown sections (headings outside code fences). "Substantive" text
excludes what does not inform a reader: the YAML front matter, HTML comments, code blocks,
and the placeholders of the Hub's auto-generated template ("[More Information Needed]").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Final

_FRONT_MATTER = re.compile(r"\A\ufeff?---\s*\n.*?\n---\s*(?:\n|\Z)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+.-]*)[^\n]*\n(.*?)^\1\s*$", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_PLACEHOLDER = re.compile(r"\[more information needed\]|\[optional\]", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?(?![\w.])")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
MAX_CARD_CHARS: Final = 512 * 1024


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    body: str  # raw Markdown of the section, without its heading

    @property
    def key(self) -> str:
        return self.title.lower()

    @cached_property
    def prose(self) -> str:
        return substantive_text(self.body)

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.prose))

    @property
    def has_content(self) -> bool:
        """True when the section says something beyond template placeholders."""
        return self.words >= 5 or bool(code_blocks(self.body)) or has_table(self.body)


def strip_front_matter(text: str) -> str:
    return _FRONT_MATTER.sub("", text, count=1)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of each fenced code block."""
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]


def has_table(text: str) -> bool:
    return len(_TABLE_ROW.findall(text)) >= 2


def numbers_in(text: str) -> list[str]:
    return _NUMBER.findall(text)


def substantive_text(markdown: str) -> str:
    """Text a reader learns from: no comments, code, placeholders or template field lines."""
    text = _COMMENT.sub(" ", markdown)
    text = _FENCE.sub(" ", text)
    kept = []
    for line in text.splitlines():
        if _HEADING.match(line.strip()):
            continue
        if _PLACEHOLDER.search(line):
            # "- **License:** [More Information Needed]": the whole line is template.
            continue
        kept.append(line)
    return "\n".join(kept)


class Card:
    """A parsed README (``None`` or blank text gives an empty card)."""

    def __init__(self, text: str | None) -> None:
        raw = (text or "")[:MAX_CARD_CHARS]
        self.body = strip_front_matter(raw)
        self.present = bool(self.body.strip())

    @cached_property
    def sections(self) -> list[Section]:
        found: list[Section] = []
        title, level = "", 0
        lines: list[str] = []
        in_fence = ""
        for line in self.body.splitlines():
            stripped = line.strip()
            fence = re.match(r"^(```+|~~~+)", stripped)
            if fence:
                marker = fence.group(1)[:3]
                in_fence = "" if in_fence == marker else (in_fence or marker)
            heading = None if in_fence or fence else _HEADING.match(stripped)
            if heading:
                found.append(Section(title, level, "\n".join(lines)))
                title, level, lines = heading.group(2).strip(), len(heading.group(1)), []
            else:
                lines.append(line)
        found.append(Section(title, level, "\n".join(lines)))
        return [s for s in found if s.title or s.body.strip()]

    @cached_property
    def prose(self) -> str:
        return substantive_text(self.body)

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.prose))

    @cached_property
    def code_blocks(self) -> list[tuple[str, str]]:
        return code_blocks(self.body)

    def find(self, *keywords: str) -> list[Section]:
        """Sections with content whose title contains any keyword (case-insensitive),
        together with their subsections' content."""
        wanted = [k.lower() for k in keywords]
        result: list[Section] = []
        sections = self.sections
        for index, section in enumerate(sections):
            if not any(k in section.key for k in wanted):
                continue
            body = [section.body]
            for sub in sections[index + 1 :]:
                if sub.level <= section.level:
                    break
                body.append(f"{'#' * sub.level} {sub.title}\n{sub.body}")
            merged = Section(section.title, section.level, "\n".join(body))
            if merged.has_content:
                result.append(merged)
        return result

    def mentions(self, pattern: re.Pattern[str]) -> bool:
        return bool(pattern.search(self.body))
