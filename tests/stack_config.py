"""Project roots for test stacks that need other channel settings than the project's credentials.yml.

running_stack reads credentials.yml and endpoints.yml from its `project_root`, so a stack with, say,
tight rate limits gets a directory holding edited copies of just those two files, and a link to the built
spaCy pipeline (the model names it by a relative path). Everything else (the model, the actions package,
content/) comes from the installed project as usual.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT


def project_root_with(
    directory: Path,
    rate_limit: dict[str, Any] | None = None,
    endpoints: dict[str, Any] | None = None,
) -> Path:
    """`directory` as a project root: each channel gets `rate_limit`; endpoints.yml gets `endpoints` added."""
    directory.mkdir(parents=True, exist_ok=True)
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    if rate_limit is not None:
        for settings in channels.values():
            settings["rate_limit"] = dict(rate_limit)
    (directory / "credentials.yml").write_text(yaml.safe_dump(channels), encoding="utf-8")
    shutil.copy(ROOT / "endpoints.yml", directory / "endpoints.yml")
    (directory / ".build").symlink_to(ROOT / ".build")
    if endpoints:
        merged = {**yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")), **endpoints}
        (directory / "endpoints.yml").write_text(yaml.safe_dump(merged), encoding="utf-8")
    return directory
