"""The docs keep up with the code: every `prevent-assistant` command, every top-level folder and every test
file is mentioned where a newcomer looks for it, and every relative link in the docs lands on a file and
heading that exist. Each checker is also fed a small broken example, so a checker that finds nothing is
seen to be able to find something. Reads files and walks the click group only: no servers, no model.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import click

from prevent_assistant.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TESTING = ROOT / "docs" / "testing.md"
MAP_HEADING = "Map"  # the README section that names every top-level folder
FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def commands(group: click.Group, prefix: str = "prevent-assistant") -> list[str]:
    """Every command as it is typed, groups and their subcommands too: 'prevent-assistant handoff show'."""
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        found.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
    return found


def unmentioned(names: Iterable[str], text: str) -> list[str]:
    """The names that `text` never mentions as a whole word ('test' is not mentioned by 'test-fast')."""
    return [name for name in names if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]


def repository_files() -> list[str]:
    """Tracked files and new files not yet added (ignored ones excluded), relative to the root."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line for line in listed.stdout.splitlines() if (ROOT / line).exists()]


def top_level_folders(files: Iterable[str]) -> set[str]:
    return {path.split("/", 1)[0] for path in files if "/" in path and not path.startswith(".")}


def section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next heading of level 1 or 2 ('' if there is none)."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", markdown, re.M | re.S)
    return match.group(1) if match else ""


def unmapped(folders: Iterable[str], map_text: str) -> list[str]:
    """Folders the map does not name as `folder/`."""
    return sorted(folder for folder in folders if f"`{folder}/`" not in map_text)


def listed_test_files(files: Iterable[str]) -> list[str]:
    """Test files as tests/... paths: pytest modules, node --test modules, the conversation tests."""
    return sorted(
        path
        for path in files
        if path.startswith("tests/")
        and (re.search(r"/test_[^/]*\.py$", path) or path.endswith(".test.mjs"))
        or path == "tests/test_stories.yml"
    )


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", markdown), re.M):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(document: Path) -> list[str]:
    """Relative links (and images) in `document` whose file, or whose #anchor in a .md file, is missing.
    Links inside code are not links, and web, mail and phone links are left to the browser."""
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", document.read_text(encoding="utf-8")))
    broken = []
    for target in LINK.findall(prose):
        if re.match(r"[a-z][a-z+.-]*:", target, re.I):
            continue
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text("utf-8")):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def docs() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_command_is_mentioned_in_the_docs():
    text = "\n".join(path.read_text(encoding="utf-8") for path in docs())
    assert "prevent-assistant handoff show" in commands(main)
    assert unmentioned(commands(main), text) == []


def test_every_top_level_folder_is_on_the_readmes_map():
    map_text = section(README.read_text(encoding="utf-8"), MAP_HEADING)
    assert map_text, f"README.md has no '## {MAP_HEADING}' section"
    folders = top_level_folders(repository_files())
    assert {"prevent_assistant", "tests", "docs"} <= folders
    assert unmapped(folders, map_text) == []


def test_every_test_file_is_described_in_the_testing_guide():
    files = listed_test_files(repository_files())
    assert "tests/test_docs.py" in files and "tests/test_stories.yml" in files
    assert unmentioned([Path(path).name for path in files], TESTING.read_text(encoding="utf-8")) == []


def test_every_relative_link_in_the_docs_lands():
    assert {path: broken_links(path) for path in docs() if broken_links(path)} == {}


def test_the_checkers_catch_what_is_missing(tmp_path):
    typed = commands(main)
    assert unmentioned(typed, "Run `prevent-assistant validate`, then prevent-assistant test-fast.") == [
        name for name in typed if name != "prevent-assistant validate"
    ]
    folders = top_level_folders(["widget/a.js", "deploy/Dockerfile", ".ci/run", "Makefile"])
    fake_readme = "# X\n## Map\n* `widget/` the widget\n## Next\n* `deploy/` elsewhere\n"
    assert unmapped(folders, section(fake_readme, "Map")) == ["deploy"]
    files = ["tests/test_a.py", "tests/w/b.test.mjs", "tests/conftest.py", "tests/test_stories.yml", "a.py"]
    assert listed_test_files(files) == ["tests/test_a.py", "tests/test_stories.yml", "tests/w/b.test.mjs"]
    assert unmentioned(["test_a.py", "b.test.mjs"], "`test_a.py` covers...") == ["b.test.mjs"]
    (tmp_path / "other.md").write_text("# The `prevent-assistant` command\n## Faults & hardening\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](other.md#the-prevent-assistant-command) [ok](other.md#faults--hardening) [ok](#page)\n"
        "[gone](missing.md) [bad](other.md#faults) [self](#nowhere) [web](https://example.org/x#y)\n"
        "`[code](not-a-link.md)`\n```\n[fenced](not-a-link.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#faults: no heading with that anchor",
        "#nowhere: no heading with that anchor",
    ]
