"""The topic classifier's scikit-learn pipeline, and how it is kept in a trained model as plain arrays.

Why not pickle, joblib or skops: a model file that can run code when loaded is a risk for a model that staff
train and deploy, and skops, Rasa 3.6's safe format, is pinned at 0.9.0, which has published code-execution
advisories (docs/security-advisories.md) and took six of the Rasa server's eight seconds of model loading
(it scans every loaded module, TensorFlow's thousands included, for each type it trusts). The fitted
pipeline is just numbers and strings: each vectorizer's terms (in column order) and IDF weights, and the
classifier's classes, coefficients and intercepts. They are saved with `numpy.savez` and read back with
`allow_pickle=False`, so loading can only ever produce arrays.

The hyperparameters are not stored: they come from the component's config, as at training, and the layout
of the pipeline is defined once, in `new`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

VECTORIZERS = ("words", "characters")


def new(config: dict[str, Any]) -> Pipeline:
    """Word 1-2-grams and character 2-5-grams inside word boundaries, TF-IDF, one-vs-rest liblinear."""
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                        (
                            "characters",
                            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                        ),
                    ]
                ),
            ),
            (
                "classifier",
                LogisticRegression(C=config["C"], solver="liblinear", random_state=config["random_state"]),
            ),
        ]
    )


def _vectorizers(model: Pipeline) -> dict[str, TfidfVectorizer]:
    return dict(model.named_steps["features"].transformer_list)


def save(model: Pipeline, path: Path) -> None:
    """Write the fitted pipeline's arrays to `path` (an .npz file)."""
    arrays: dict[str, np.ndarray] = {}
    for name, vectorizer in _vectorizers(model).items():
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        arrays[f"{name}_terms"] = np.array(terms, dtype=str)
        arrays[f"{name}_idf"] = vectorizer.idf_
    classifier: LogisticRegression = model.named_steps["classifier"]
    arrays["classes"] = np.array(classifier.classes_, dtype=str)
    arrays["coef"] = classifier.coef_
    arrays["intercept"] = classifier.intercept_
    with path.open("wb") as file:
        np.savez(file, **arrays)


def load(path: Path, config: dict[str, Any]) -> Pipeline:
    """A pipeline built by `new(config)` with the fitted arrays from `path` put back."""
    with np.load(path, allow_pickle=False) as arrays:
        model = new(config)
        for name, vectorizer in _vectorizers(model).items():
            vectorizer.vocabulary_ = {str(term): index for index, term in enumerate(arrays[f"{name}_terms"])}
            vectorizer.fixed_vocabulary_ = False
            vectorizer.idf_ = arrays[f"{name}_idf"]
        classifier: LogisticRegression = model.named_steps["classifier"]
        classifier.classes_ = arrays["classes"]
        classifier.coef_ = arrays["coef"]
        classifier.intercept_ = arrays["intercept"]
        classifier.n_features_in_ = classifier.coef_.shape[1]
    return model
