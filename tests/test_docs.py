"""Every reference to the project's docs resolves: a `docs/NAME.md` mention in a .py, .sql or .md
file names an existing file, and a section after it (the `§` sign followed by a heading's text)
names an existing heading of that file. Inside docs/, `NAME.md §Heading` and a bare `§Heading`
(this page) are checked too, and so are relative Markdown links (file, and `#anchor` against the
headings' GitHub anchors)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {"build", "dist", "warehouse", "node_modules", "__pycache__"}
# the text of a section runs to the end of the line or to the next reference on it
_SECTION = r"§\s*(.*?)(?=\s*(?:[\w./-]*?[\w-]+\.md\s*)?§|$)"
REFERENCE = re.compile(r"docs/([\w.-]+\.md)(?:\s*" + _SECTION + ")?")
IN_DOCS = re.compile(r"(?:([\w./-]*?[\w-]+\.md)\s*)?" + _SECTION)   # DATA.md §X, or §X
MD_LINK = re.compile(r"\]\(([\w./-]+\.md)(?:#([\w-]+))?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _sources(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (d.startswith(".") or d in SKIP_DIRS
                                           or d.endswith(".egg-info"))]
        found.extend(Path(folder, f) for f in files if f.endswith((".py", ".sql", ".md")))
    return sorted(p for p in found if p != Path(__file__))


def _headings(doc: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.M | re.S)  # no code blocks
    return HEADING.findall(text)


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _names_a_heading(rest: str, headings: list[str]) -> bool:
    """`rest` (the text after §) starts with a heading, followed by nothing or a non-word."""
    return any(rest.startswith(h) and (len(rest) == len(h) or not rest[len(h)].isalnum())
               for h in headings)


def broken_references(root: Path = ROOT) -> list[str]:
    broken = []
    for path in _sources(root):
        rel = path.relative_to(root)
        text = path.read_text(errors="replace")
        in_docs = rel.parts[0] == "docs"
        for lineno, line in enumerate(text.splitlines(), 1):
            for match in (IN_DOCS if in_docs else REFERENCE).finditer(line):
                name, section = match.groups()
                if in_docs and name is None:
                    doc, shown = path, ""
                elif in_docs and not name.startswith("docs/"):
                    doc, shown = path.parent / name, name
                else:
                    name = name.removeprefix("docs/")
                    doc, shown = root / "docs" / name, f"docs/{name}"
                where = f"{rel}:{lineno}: {shown}".rstrip()
                if not doc.is_file():
                    broken.append(f"{where}: no such file")
                elif section is not None and not _names_a_heading(section, _headings(doc)):
                    broken.append(f"{where} §{section}: no such heading")
            if path.suffix != ".md":
                continue
            for match in MD_LINK.finditer(line):
                target = (path.parent / match.group(1)).resolve()
                if root.resolve() not in target.parents:
                    continue
                where = f"{rel}:{lineno}: ({match.group(1)}"
                if not target.is_file():
                    broken.append(f"{where}): no such file")
                elif match.group(2) and match.group(2) not in {
                        _anchor(h) for h in _headings(target)}:
                    broken.append(f"{where}#{match.group(2)}): no such heading")
    return broken


def test_every_docs_reference_resolves():
    assert broken_references() == []


def test_the_check_finds_broken_references(tmp_path):
    # the checker itself: a missing file and a missing section are reported, good ones are not
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "A.md").write_text("# A\n\n## Borda\n\n## Model metadata\n")
    (tmp_path / "x.py").write_text(
        "# docs/A.md §Borda: fine\n# docs/A.md §Model metadata.\n# docs/A.md\n"
        "# docs/A.md §Bordas\n# docs/B.md §Borda\n")
    (tmp_path / "y.md").write_text("[ok](docs/A.md#model-metadata) [bad](docs/A.md#nope)\n")
    (tmp_path / "docs" / "C.md").write_text("# C\n\n## Ties\n\nSee §Ties, A.md §Borda, §Nope.\n")
    assert broken_references(tmp_path) == [
        "docs/C.md:5: §Nope.: no such heading",
        "x.py:4: docs/A.md §Bordas: no such heading",
        "x.py:5: docs/B.md: no such file",
        "y.md:1: (docs/A.md#nope): no such heading",
    ]
