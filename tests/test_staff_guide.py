"""The staff guide's tasks "Add examples to a myth" and "Add a question and its answer (a new FAQ topic)",
run as written on a copy of the project.

The file names, the commands and the YAML come from docs/staff-guide.md itself, so the guide cannot drift
from the tools or from the project's layout.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import yaml

from conftest import CLI, ROOT
from prevent_assistant.staff.validation import validate

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


def run_guide_command(project: Path, command: str) -> subprocess.CompletedProcess:
    program, *args = command.split()
    assert program == "prevent-assistant", f"the guide should only use prevent-assistant: {command}"
    return subprocess.run([str(CLI), *args], cwd=project, capture_output=True, text=True, timeout=900)


def test_add_examples_to_a_myth_as_the_guide_says(project_copy):
    section = guide_section("Add examples to a myth")
    (yaml_block,) = code_blocks(section, "yaml")
    (commands,) = code_blocks(section, "sh")
    (nlu_file,) = re.findall(r"Open `(data/nlu/[\w/]+\.yml)`", section)
    examples = add_examples(project_copy / nlu_file, "myth_spying", yaml_block)
    assert len(examples) >= 2

    outputs = []
    for command in commands.strip().splitlines():
        done = run_guide_command(project_copy, command)
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


def test_add_a_faq_topic_as_the_guide_says(project_copy):
    """The topic file from the guide is all a new question needs: validate finds nothing to fix in it (and
    nothing new anywhere); without its answer, validate names the problem the guide tells staff to expect.

    The real data is edited often, so the project copy is compared with itself before the topic is added
    rather than expected to be free of problems at every moment; tests/test_content.py requires that."""
    section = guide_section("Add a question and its answer (a new FAQ topic)")
    topic_block, story_block = (textwrap.dedent(block) for block in code_blocks(section, "yaml"))
    (topic,) = set(re.findall(r"`data/nlu/faq/(\w+)\.yml`", section))
    topic_file = project_copy / "data" / "nlu" / "faq" / f"{topic}.yml"
    assert not topic_file.exists(), f"the guide's example topic {topic} already exists: pick another example"
    before = {str(problem) for problem in validate(project_copy)}

    # Step 2: the file as the guide shows it; step 4: its conversation test names the same topic.
    topic_file.write_text(topic_block, encoding="utf-8")
    data = yaml.safe_load(topic_block)
    assert [block["intent"] for block in data["nlu"]] == [f"faq/{topic}"]
    assert list(data["responses"]) == [f"utter_faq/{topic}"]
    (story,) = yaml.safe_load(story_block)
    assert [step.get("intent") or step.get("action") for step in story["steps"]] == [
        f"faq/{topic}",
        "utter_faq",
    ]

    # The last step, as far as validate: the new topic adds no problem (and so passes when the project does).
    assert "Run `prevent-assistant validate`" in section
    done = run_guide_command(project_copy, "prevent-assistant validate")
    after = set(done.stdout.splitlines()) - {"No problems found."}
    assert after == before, "the guide's topic changed what validate reports:\n" + "\n".join(after ^ before)
    assert done.returncode == (1 if before else 0)

    # Without its answer, validate names the problem in the words the guide quotes.
    topic_file.write_text(topic_block[: topic_block.index("\nresponses:")] + "\n", encoding="utf-8")
    done = run_guide_command(project_copy, "prevent-assistant validate")
    line = 1 + topic_block.splitlines().index(f"  - intent: faq/{topic}")
    expected = (
        f"data/nlu/faq/{topic}.yml:{line}: the question faq/{topic} has examples but no answer; "
        f"add a response utter_faq/{topic} under responses: in this file"
    )
    assert done.returncode == 1
    assert expected in done.stdout.splitlines(), done.stdout
    assert f"`the question faq/{topic} has examples but no answer`" in " ".join(section.split())


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
