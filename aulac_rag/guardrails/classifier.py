"""The semantic guard classifier: logistic regression over sentence embeddings.

Rules are precise on patterns (identifiers, spelled-out jailbreaks) but learn phrasing,
not meaning. This classifier learns the *categories* that are about meaning (a crisis
told without a keyword, a harmful request phrased politely, an injection hidden in a
story) from labelled Vietnamese examples:

- the shared cross-domain examples shipped with the package (``guardrails/examples/``);
- the sandbox's own ``guard_examples/*.jsonl``;
- the in-scope ``benign`` examples of the *other* bundled sandboxes, as ``out_of_scope``.

Every example is also added with its diacritics removed (how many people type on a
phone), so the model sees both forms, and is PII-masked the way questions are. Features
are the embedder's *query* vector of the normalized text (the same vector retrieval
computes for the question; the embedder's query cache shares it) and hashed character
and word n-grams of the diacritic-free text, so at answer time the guard costs one
hashing pass and one sparse matrix product.

Training is deterministic (fixed folds and seed, sorted examples). Per-group thresholds
are chosen on grouped out-of-fold probabilities, each bounded by a false-positive budget
on allowed examples; escalation gets the widest budget (recall first).
A trained model is a small ``.npz`` (no pickle) keyed by the examples' content hash
and the embedder's ``model_id``; a stale or missing model is retrained, never ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aulac_rag.errors import GuardrailError
from aulac_rag.text.normalize import fold_diacritics, normalize_text

log = logging.getLogger(__name__)

MODEL_VERSION = 2

Group = Literal["allow", "scope", "block", "escalate"]

#: Every category the classifier knows and the group (hence action) it belongs to.
CATEGORY_GROUPS: dict[str, Group] = {
    "benign": "allow",
    "sensitive_info": "allow",
    "out_of_scope": "scope",
    "domain_harm": "block",
    "injection": "block",
    "violence": "block",
    "self_harm": "escalate",
    "medical_emergency": "escalate",
    "crime_in_progress": "escalate",
    "child_safety": "escalate",
}
CATEGORIES = tuple(CATEGORY_GROUPS)
GROUPS: tuple[Group, ...] = ("scope", "block", "escalate")


class Example(BaseModel):
    """One labelled example (a line of an examples ``.jsonl`` file; other keys, e.g. ``register``, are kept out)."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    label: Literal[
        "benign",
        "sensitive_info",
        "out_of_scope",
        "domain_harm",
        "injection",
        "violence",
        "self_harm",
        "medical_emergency",
        "crime_in_progress",
        "child_safety",
    ]
    weight: float = 1.0


def read_examples(path: Path, source: str | None = None) -> list[Example]:
    """Examples of one JSONL file; a bad line is a GuardrailError naming file and line."""
    out: list[Example] = []
    name = source or str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GuardrailError(f"{name}: cannot read guard examples: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Example.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise GuardrailError(f"{name}:{number}: invalid guard example: {str(exc).splitlines()[0]}") from None
    return out


def shared_example_files() -> list[Path]:
    """The cross-domain example files shipped with the package (found with importlib.resources)."""
    folder = resources.files("aulac_rag.guardrails").joinpath("examples")
    files = sorted((item for item in folder.iterdir() if item.name.endswith(".jsonl")), key=lambda p: p.name)
    return [Path(str(item)) for item in files]


@dataclass
class TrainingSet:
    """Texts, labels and weights ready for fitting, with the hash that identifies them."""

    texts: list[str]
    labels: list[str]
    weights: list[float]
    digest: str

    def __len__(self) -> int:
        return len(self.texts)


def prepare_text(text: str) -> str:
    """The text the classifier embeds: normalized like a retrieval query."""
    return normalize_text(text)


#: PII masks read back as the words they stand for: the classifier never saw "[SĐT]" in training,
#: and a masked phone number must not make an ordinary question look like a risk.
_MASK_WORDS = {
    "[CCCD]": "số căn cước", "[CMND]": "số chứng minh", "[SĐT]": "số điện thoại", "[EMAIL]": "email",
    "[BHYT]": "mã thẻ bảo hiểm y tế", "[MST]": "mã số thuế", "[STK]": "số tài khoản", "[HỌ TÊN]": "tên",
    "[ĐỊA CHỈ]": "địa chỉ",
}  # fmt: skip
_MASK_RE = re.compile("|".join(re.escape(m) for m in _MASK_WORDS))


def unmask(text: str) -> str:
    """``text`` with PII masks replaced by plain words (what the classifier reads)."""
    return _MASK_RE.sub(lambda m: _MASK_WORDS[m.group(0)], text)


class FeatureSettings(BaseModel):
    """Lexical features next to the embedding: hashed character and word n-grams of the diacritic-free text.

    Stateless (hashing), so a model is its coefficients alone. The n-grams carry the
    framing the embedding blurs ("là gì", "bị phạt thế nào" vs "giúp tôi", "tối nay").
    """

    model_config = ConfigDict(extra="forbid")

    char_features: int = Field(2**15, ge=0)
    char_ngrams: tuple[int, int] = (2, 4)
    word_features: int = Field(2**14, ge=0)
    word_ngrams: tuple[int, int] = (1, 2)


def _lexical(texts: Sequence[str], settings: FeatureSettings) -> Any:
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer

    def pre(t: str) -> str:
        return fold_diacritics(t.lower())

    parts = []
    if settings.char_features:
        parts.append(HashingVectorizer(analyzer="char_wb", ngram_range=settings.char_ngrams, n_features=settings.char_features,
                                       alternate_sign=False, norm="l2", preprocessor=pre).transform(texts))
    if settings.word_features:
        parts.append(HashingVectorizer(analyzer="word", ngram_range=settings.word_ngrams, n_features=settings.word_features,
                                       alternate_sign=False, norm="l2", preprocessor=pre, token_pattern=r"(?u)\b\w+\b").transform(texts))
    return sparse.hstack(parts).tocsr() if parts else sparse.csr_matrix((len(texts), 0))


def features(vectors: np.ndarray, texts: Sequence[str], settings: FeatureSettings) -> Any:
    """[embedding | char n-grams | word n-grams] as one sparse matrix."""
    from scipy import sparse

    return sparse.hstack([sparse.csr_matrix(np.atleast_2d(vectors)), _lexical(texts, settings)]).tocsr()


def build_training_set(
    own: Sequence[Example],
    shared: Sequence[Example] = (),
    out_of_scope: Sequence[Example] = (),
    *,
    fold: bool = True,
    out_of_scope_weight: float = 0.5,
    digest: str = "",
) -> TrainingSet:
    """Merge example sources, add diacritic-free copies, drop duplicates, sort deterministically."""
    rows: dict[tuple[str, str], float] = {}
    from aulac_rag.guardrails.pii import PiiDetector

    detector = PiiDetector()

    def add(text: str, label: str, weight: float) -> None:
        text = prepare_text(unmask(detector.mask(text)))  # what the rail reads at answer time: masked, then as words
        if not text:
            return
        key = (text, label)
        rows[key] = max(rows.get(key, 0.0), weight)
        if fold:
            bare = fold_diacritics(text)
            if bare != text:
                rows[(bare, label)] = max(rows.get((bare, label), 0.0), weight)

    for e in [*shared, *own]:
        add(e.text, e.label, e.weight)
    own_texts = {prepare_text(e.text) for e in own}
    for e in out_of_scope:
        if prepare_text(e.text) not in own_texts:
            add(e.text, "out_of_scope", e.weight * out_of_scope_weight)
    # a text labelled twice keeps the label of the riskiest group (escalate > block > scope > allow)
    rank = {"allow": 0, "scope": 1, "block": 2, "escalate": 3}
    by_text: dict[str, tuple[str, float]] = {}
    for (text, label), weight in rows.items():
        current = by_text.get(text)
        if current is None or rank[CATEGORY_GROUPS[label]] > rank[CATEGORY_GROUPS[current[0]]]:
            by_text[text] = (label, weight)
    texts = sorted(by_text)
    labels = [by_text[t][0] for t in texts]
    weights = [by_text[t][1] for t in texts]
    digest = digest or hashlib.sha256(
        json.dumps([texts, labels, weights], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    return TrainingSet(texts, labels, weights, digest)


class ThresholdSettings(BaseModel):
    """How the model is fitted and its per-group thresholds chosen on out-of-fold probabilities.

    A group's threshold is the score that at most ``max_allow_fpr[group]`` of the allowed
    examples (benign and sensitive-but-benign, out of fold) reach, kept inside
    [``min_threshold``, ``max_threshold``]. Escalation gets the widest budget: recall first.
    """

    model_config = ConfigDict(extra="forbid")

    max_allow_fpr: dict[str, float] = Field(default_factory=lambda: {"escalate": 0.03, "block": 0.02, "scope": 0.02})
    max_threshold: dict[str, float] = Field(default_factory=lambda: {"escalate": 0.6, "block": 0.7, "scope": 0.8})
    min_threshold: dict[str, float] = Field(default_factory=lambda: {"escalate": 0.15, "block": 0.2, "scope": 0.3})
    folds: int = Field(5, ge=2, le=10)
    C: float = Field(16.0, gt=0)
    seed: int = 13
    features: FeatureSettings = Field(default_factory=FeatureSettings)


@dataclass
class SemanticModel:
    """A trained classifier: sklearn's LogisticRegression rebuilt from stored arrays."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    thresholds: dict[str, float]
    embedder_id: str
    digest: str
    dim: int
    metrics: dict[str, Any] = field(default_factory=dict)
    feature_settings: FeatureSettings = field(default_factory=FeatureSettings)
    _estimator: Any = None

    @property
    def estimator(self) -> Any:
        if self._estimator is None:
            from sklearn.linear_model import LogisticRegression

            est = LogisticRegression()
            est.classes_ = np.asarray(self.classes)
            est.coef_ = self.coef
            est.intercept_ = self.intercept
            est.n_features_in_ = self.coef.shape[1]
            self._estimator = est
        return self._estimator

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per (embedding, text), columns in ``classes`` order."""
        return np.asarray(self.estimator.predict_proba(features(vectors, texts, self.feature_settings)))

    def group_scores(self, probabilities: np.ndarray) -> dict[str, float]:
        """Summed probability of each group for one row."""
        out: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
        for cls, p in zip(self.classes, probabilities, strict=True):
            group = CATEGORY_GROUPS[cls]
            if group != "allow":
                out[group] += float(p)
        return out

    # --- storage -----------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "version": MODEL_VERSION,
            "classes": self.classes,
            "thresholds": self.thresholds,
            "embedder_id": self.embedder_id,
            "digest": self.digest,
            "dim": self.dim,
            "metrics": self.metrics,
            "features": self.feature_settings.model_dump(mode="json"),
        }
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, coef=self.coef.astype(np.float16), intercept=self.intercept.astype(np.float32),
                            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode(), dtype=np.uint8))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SemanticModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                coef, intercept = np.asarray(data["coef"], dtype=np.float64), np.asarray(data["intercept"], dtype=np.float64)
        except (OSError, ValueError, KeyError) as exc:
            raise GuardrailError(f"{path}: not a guard model ({exc}); rebuild it with 'aulac guard train'") from exc
        if meta.get("version") != MODEL_VERSION:
            raise GuardrailError(f"{path}: guard model version {meta.get('version')} (expected {MODEL_VERSION}); rebuild it")
        return cls(
            classes=list(meta["classes"]), coef=coef, intercept=intercept, thresholds=dict(meta["thresholds"]),
            embedder_id=meta["embedder_id"], digest=meta["digest"], dim=int(meta["dim"]), metrics=meta.get("metrics", {}),
            feature_settings=FeatureSettings.model_validate(meta.get("features", {})),
        )


EmbedFn = Callable[[list[str]], np.ndarray]


def _group_of(labels: Iterable[str]) -> np.ndarray:
    return np.asarray([CATEGORY_GROUPS[x] for x in labels])


def choose_thresholds(
    oof: np.ndarray, classes: list[str], labels: Sequence[str], settings: ThresholdSettings
) -> tuple[dict[str, float], dict[str, Any]]:
    """Per-group thresholds from out-of-fold probabilities, with the OOF rates they give."""
    groups = _group_of(labels)
    col_group = _group_of(classes)
    thresholds: dict[str, float] = {}
    metrics: dict[str, Any] = {}
    allow = groups == "allow"
    for group in GROUPS:
        score = oof[:, col_group == group].sum(axis=1)
        positive = groups == group
        low, high = settings.min_threshold.get(group, 0.0), settings.max_threshold.get(group, 1.0)
        if not positive.any() or not allow.any():
            thresholds[group] = high
            continue
        t = float(np.quantile(score[allow], 1.0 - settings.max_allow_fpr.get(group, 0.02)))
        t = min(max(t, low), high)
        thresholds[group] = round(t, 4)
        metrics[group] = {
            "threshold": round(t, 4),
            "oof_recall": round(float((score[positive] >= t).mean()), 4),
            "oof_allow_fpr": round(float((score[allow] >= t).mean()), 4),
        }
    return thresholds, metrics


def train(
    data: TrainingSet, embed: EmbedFn, embedder_id: str, settings: ThresholdSettings | None = None
) -> SemanticModel:
    """Fit the classifier on ``data`` (deterministic) and choose its thresholds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    settings = settings or ThresholdSettings()
    if len(set(data.labels)) < 2:
        raise GuardrailError("guard examples need at least two categories to train a classifier")
    vectors = np.asarray(embed(data.texts), dtype=np.float64)
    X = features(vectors, data.texts, settings.features)
    y = np.asarray(data.labels)
    w = np.asarray(data.weights, dtype=np.float64)

    def estimator() -> Any:
        return LogisticRegression(C=settings.C, max_iter=3000, class_weight="balanced", random_state=settings.seed)

    counts = {c: int((y == c).sum()) for c in sorted(set(data.labels))}
    folds = min(settings.folds, min(counts.values()))
    if folds >= 2:
        # a text and its diacritic-free copy stay in one fold, so out-of-fold scores are honest
        groups = np.unique([fold_diacritics(t) for t in data.texts], return_inverse=True)[1]
        oof = cross_val_predict(
            estimator(), X, y, cv=GroupKFold(n_splits=folds), groups=groups, method="predict_proba",
            params={"sample_weight": w},
        )
        classes = sorted(set(data.labels))
        thresholds, metrics = choose_thresholds(oof, classes, data.labels, settings)
    else:  # too few examples of some category for cross-validation: the capped defaults
        thresholds, metrics = dict(settings.max_threshold), {"note": "too few examples per category for cross-validation"}
    final = estimator().fit(X, y, sample_weight=w)
    metrics["examples"] = counts
    return SemanticModel(
        classes=[str(c) for c in final.classes_],
        coef=np.asarray(final.coef_, dtype=np.float64),
        intercept=np.asarray(final.intercept_, dtype=np.float64),
        thresholds=thresholds,
        embedder_id=embedder_id,
        digest=data.digest,
        dim=vectors.shape[1],
        metrics=metrics,
        feature_settings=settings.features,
    )
