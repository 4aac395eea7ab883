"""The staff guide's "Add examples to a myth" task, run as written on a copy of the project.

The commands and the YAML come from docs/staff-guide.md itself, so the guide cannot drift from the tools.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import CLI, ROOT

GUIDE = ROOT / "docs" / "staff-guide.md"


def guide_section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def add_examples(nlu: Path, intent: str, yaml_lines: str) -> list[str]:
    """Do step 2 as the guide says: paste its example lines into the intent's block."""
    examples = [line.strip()[2:] for line in yaml_lines.splitlines() if line.strip().startswith("- ")]
    lines = nlu.read_text(encoding="utf-8").splitlines()
    header = lines.index(f"  - intent: {intent}")
    assert lines[header + 1].strip() == "examples: |"
    lines[header + 2 : header + 2] = [f"      - {example}" for example in examples]
    nlu.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return examples


def test_add_examples_to_a_myth_as_the_guide_says(project_copy):
    section = guide_section("Add examples to a myth")
    (yaml_block,) = code_blocks(section, "yaml")
    (commands,) = code_blocks(section, "sh")
    examples = add_examples(project_copy / "data" / "nlu.yml", "myth_spying", yaml_block)
    assert len(examples) >= 2

    outputs = []
    for command in commands.strip().splitlines():
        program, *args = command.split()
        assert program == "prevent-assistant", f"the guide should only use prevent-assistant: {command}"
        done = subprocess.run(
            [str(CLI), *args], cwd=project_copy, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        outputs.append(done.stdout)

    validate_out, train_out, test_out = outputs
    assert "No problems found." in validate_out  # what the guide promises for each command
    assert "Model ready:" in train_out
    assert "Conversation tests: passed" in test_out and "Held-out intent macro-F1: 0.9" in test_out
    assert (project_copy / "models" / "prevent.tar.gz").exists()
    report = (project_copy / "results" / "report.md").read_text(encoding="utf-8")
    assert "**PASS**" in report and "| myth_spying |" in report
    assert (project_copy / "results" / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_refuses_to_produce_a_model_when_validation_fails(project_copy):
    domain = project_copy / "domain.yml"
    domain.write_text(
        domain.read_text(encoding="utf-8").replace("  utter_myth_views:", "  utter_myth_viewz:")
    )
    done = subprocess.run([str(CLI), "train"], cwd=project_copy, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Not training" in done.stderr
    assert "domain.yml" in done.stdout
    assert not (project_copy / "models").exists()
