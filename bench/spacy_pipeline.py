"""Build the spaCy pipeline that the DIET configurations in bench/nlu_configs/ load through ``SpacyNLP``.

The assistant itself no longer uses it (its classifier makes its own features, docs/nlu-quality.md); it is
kept so that `python -m bench.nlu` can re-run the comparison that chose that classifier, and is built by
it on demand. No pretrained English model can be downloaded on the machines this runs on, so the pipeline
is assembled from ``spacy.blank("en")``: a lookup lemmatizer (tables from ``spacy-lookups-data``, copied
into the pipeline so nothing is fetched at run time) and an entity ruler with the patterns in
``bench/nlu_configs/entity_patterns.yml``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import spacy
import yaml
from spacy.language import Language

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATTERNS = ROOT / "bench" / "nlu_configs" / "entity_patterns.yml"
DEFAULT_OUTPUT = ROOT / ".build" / "spacy" / "en_prevent"


def load_patterns(path: Path) -> list[dict[str, str]]:
    """Turn the ``label: [phrases]`` file into entity-ruler patterns, rejecting malformed entries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected 'label: [phrases]' at the top level")
    patterns = []
    for label, phrases in data.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ValueError(f"{path}: '{label}' must be a list of non-empty phrases")
        patterns.extend({"label": str(label), "pattern": phrase.strip()} for phrase in phrases)
    return patterns


def build(patterns: list[dict[str, str]]) -> Language:
    """Assemble the blank English pipeline with lemmatizer and entity ruler."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # LOWER: people rarely capitalise in chat ("far right", "channel panel").
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    ruler.add_patterns(patterns)
    nlp.meta["name"] = "prevent"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity ruler (project-built)"
    return nlp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", type=Path, default=DEFAULT_PATTERNS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        patterns = load_patterns(args.patterns)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"error: cannot read entity patterns: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    build(patterns).to_disk(args.output)
    print(f"spaCy pipeline with {len(patterns)} entity patterns written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
