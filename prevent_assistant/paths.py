"""Where a project's files live: one home for every path under the project folder.

The servers read the project they were installed from (`PROJECT`); the staff commands take `--project`
and build a `ProjectPaths` for that folder instead, so a copy of the project (a staff member's working
copy, a test's temporary folder) is read and written in full, never half from the installed one.
This module imports nothing but the standard library: the action server and settings.py import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The model `prevent-assistant train` writes and the servers load: models/<MODEL_NAME>.tar.gz.
MODEL_NAME = "prevent"


@dataclass(frozen=True)
class ProjectPaths:
    """The files of the project rooted at `root`, by what they are rather than by how they are spelt."""

    root: Path

    # --- Rasa's own files --------------------------------------------------------------------------------
    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    @property
    def config(self) -> Path:
        """The NLU pipeline and policies (its FallbackClassifier threshold defines "unsure")."""
        return self.root / "config.yml"

    @property
    def endpoints(self) -> Path:
        return self.root / "endpoints.yml"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.yml"

    @property
    def data_dir(self) -> Path:
        """Training data: data/nlu, data/rules, data/stories."""
        return self.root / "data"

    @property
    def nlu_data_dir(self) -> Path:
        return self.data_dir / "nlu"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def model(self) -> Path:
        return self.models_dir / f"{MODEL_NAME}.tar.gz"

    # --- The project's own files -------------------------------------------------------------------------
    @property
    def settings(self) -> Path:
        """Organisation, retention and thresholds (settings.yml)."""
        return self.root / "settings.yml"

    @property
    def content_dir(self) -> Path:
        """Staff-editable wording: content/<name>.yml."""
        return self.root / "content"

    def content(self, name: str) -> Path:
        return self.content_dir / f"{name}.yml"

    @property
    def nlp_dir(self) -> Path:
        """Language data the code reads (redaction patterns...): nlp/<name>.yml."""
        return self.root / "nlp"

    def nlp(self, name: str) -> Path:
        return self.nlp_dir / f"{name}.yml"

    @property
    def widget_dir(self) -> Path:
        return self.root / "widget"

    @property
    def alembic_ini(self) -> Path:
        return self.root / "alembic.ini"

    # --- Tests and results -------------------------------------------------------------------------------
    @property
    def test_stories(self) -> Path:
        return self.root / "tests" / "test_stories.yml"

    @property
    def nlu_holdout(self) -> Path:
        return self.root / "tests" / "nlu_holdout.yml"

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    # --- What the running assistant writes ---------------------------------------------------------------
    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def database_file(self) -> Path:
        """The embedded SQLite database used when DATABASE_URL is not set."""
        return self.var_dir / "prevent.db"

    @property
    def api_token_file(self) -> Path:
        return self.var_dir / "api-token"

    def resolve(self, path: Path) -> Path:
        """A path the user gave, relative to the project (an absolute one is kept as it is)."""
        return self.root / path


# The project these modules were installed from: what the servers read.
PROJECT = ProjectPaths(PROJECT_ROOT)
