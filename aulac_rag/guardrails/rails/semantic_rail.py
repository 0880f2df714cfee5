"""``semantic``: the learned classifier over the question's embedding (see ``guardrails/classifier.py``).

One rule covers the categories that are about meaning. The group with the highest
score over its threshold decides: ``escalate`` (self-harm, medical emergency, crime in
progress, child safety), ``block`` (domain harm, injection, violence) or ``scope``
(out of scope, answered with ``scope_message``). The reply is the message of the most
likely category of that group (``messages``), or the rule's own message.

A score between ``borderline`` × threshold and the threshold marks the question as
borderline; the LLM judge, when a sandbox has one, is asked only then.

The model is loaded from ``<sandbox>/<model_file>`` or the home's guard cache when its
examples hash and embedder match; otherwise it is trained at load (``train_at_load``)
or the rail fails, and with it the guard: no model, no answer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from aulac_rag.embeddings.base import Embedder
from aulac_rag.errors import GuardrailError
from aulac_rag.guardrails.classifier import (
    CATEGORIES,
    CATEGORY_GROUPS,
    MODEL_VERSION,
    Example,
    SemanticModel,
    ThresholdSettings,
    TrainingSet,
    build_training_set,
    prepare_text,
    read_examples,
    shared_example_files,
    train,
    unmask,
)
from aulac_rag.guardrails.rails.base import GuardInput, InputRail, RailContext, RuleParams, RuleSpec
from aulac_rag.guardrails.types import Action, RuleDecision

log = logging.getLogger(__name__)

_GROUP_ACTION: dict[str, Action] = {"escalate": "escalate", "block": "block", "scope": "block"}
_GROUP_ORDER = ("escalate", "block", "scope")


#: Replies per category when the policy's ``messages`` has none (Vietnamese, with the national hotlines).
DEFAULT_MESSAGES: dict[str, str] = {
    "self_harm": (
        "Bạn không đơn độc. Nếu bạn đang nghĩ đến việc làm hại bản thân, hãy gọi ngay cấp cứu 115 hoặc đến cơ sở y tế "
        "gần nhất, gọi đường dây hỗ trợ tâm lý Ngày Mai 096 306 1414, và nói chuyện với một người bạn tin tưởng ngay bây giờ."
    ),
    "medical_emergency": (
        "Đây có thể là tình huống cấp cứu. Hãy gọi ngay 115 hoặc đưa người bệnh đến cơ sở y tế gần nhất; "
        "không tự điều trị tại nhà. Đường dây nóng Bộ Y tế: 1900 9095."
    ),
    "crime_in_progress": (
        "Có thể bạn đang bị lừa đảo, đe dọa hoặc xâm nhập tài khoản. Không cung cấp mã OTP, mã PIN, mật khẩu và không "
        "chuyển tiền theo yêu cầu; gọi ngay tổng đài của ngân hàng để khóa tài khoản/thẻ, và báo công an qua số 113 "
        "hoặc đến cơ quan công an gần nhất."
    ),
    "child_safety": (
        "Nếu một trẻ em đang gặp nguy hiểm, bị bạo lực, xâm hại hoặc mất liên lạc, hãy gọi ngay Tổng đài quốc gia bảo vệ "
        "trẻ em 111 (miễn phí, 24/7) và công an 113; nếu có thương tích, gọi cấp cứu 115."
    ),
    "violence": "Tôi không thể hỗ trợ việc làm hại người khác. Nếu bạn đang rất bức xúc hoặc bị đe dọa, hãy tìm người tin cậy hoặc gọi công an 113.",
    "injection": (
        "Xin lỗi, tôi không thể làm theo yêu cầu thay đổi, vượt qua hoặc tiết lộ hướng dẫn hệ thống. "
        "Bạn hãy đặt câu hỏi trong phạm vi của trợ lý."
    ),
    "domain_harm": "Tôi không thể hỗ trợ yêu cầu này vì có thể gây hại hoặc vi phạm pháp luật, quy định.",
    "out_of_scope": "Xin lỗi, câu hỏi này nằm ngoài phạm vi của trợ lý.",
}


class SemanticParams(RuleParams):
    examples: str = "guard_examples"
    shared: bool = True
    #: the bundled sandboxes whose in-scope examples count as out of scope here
    out_of_scope_from: list[str] = Field(default_factory=list)
    #: the bundled sandboxes whose benign and sensitive examples count as allowed here (the general template)
    benign_from: list[str] = Field(default_factory=list)
    model_file: str = "guard_model.npz"
    messages: dict[str, str] = Field(default_factory=dict)
    scope_message: str | None = None
    check_scope: bool = True
    thresholds: dict[str, float] = Field(default_factory=dict)
    borderline: float = Field(0.5, ge=0.0, le=1.0)
    #: allowed-group probability from which a domain-harm block rule is overruled (None: never)
    veto_rules_at: float | None = Field(0.9, ge=0.5, le=1.0)
    train_at_load: bool = True
    training: ThresholdSettings = Field(default_factory=ThresholdSettings)


def bundled_example_folder(name: str) -> Path:
    """The guard examples folder of bundled sandbox ``name``."""
    from aulac_rag.sandbox import bundled_dir

    return bundled_dir() / name / "guard_examples"


class SemanticRail(InputRail[SemanticParams]):
    """Learned categories over the question embedding (see the module docstring)."""

    Params = SemanticParams
    cost: ClassVar[str] = "model"
    #: runs even after a rule has blocked: a "blocked" request may be a crisis that must escalate
    always_run: ClassVar[bool] = True

    def __init__(self, spec: RuleSpec, params: SemanticParams, context: RailContext) -> None:
        super().__init__(spec, params, context)
        self.p = params
        unknown = sorted(set(params.messages) - set(CATEGORIES))
        if unknown:
            raise GuardrailError(f"messages: unknown categories {unknown}; known: {', '.join(CATEGORIES)}")
        self._model: SemanticModel | None = None
        self._lock = threading.Lock()

    # --- the model -------------------------------------------------------------
    def sources(self) -> list[tuple[str, Path]]:
        """(role, file) of every examples file this rail trains on, in a fixed order."""
        out: list[tuple[str, Path]] = []
        if self.p.shared:
            out += [("shared", p) for p in shared_example_files()]
        if self.context.folder is not None and (self.context.folder / self.p.examples).is_dir():
            out += [("own", p) for p in sorted((self.context.folder / self.p.examples).glob("*.jsonl"))]
        for name in self.p.out_of_scope_from:
            folder = bundled_example_folder(name)
            if (folder / "benign.jsonl").is_file():
                out.append(("out_of_scope", folder / "benign.jsonl"))
        for name in self.p.benign_from:
            folder = bundled_example_folder(name)
            out += [("allowed", folder / f) for f in ("benign.jsonl", "sensitive_info.jsonl") if (folder / f).is_file()]
        return out

    def digest(self) -> str:
        """Hash of the example files' bytes and the training settings: which data made a model."""
        h = hashlib.sha256(f"v{MODEL_VERSION}\x00{self.p.training.model_dump_json()}".encode())
        for role, path in self.sources():
            try:
                h.update(f"\x00{role}\x00{path.name}\x00".encode() + path.read_bytes())
            except OSError as exc:
                raise GuardrailError(f"{path}: cannot read guard examples: {exc}") from exc
        return h.hexdigest()

    def training_set(self, digest: str | None = None) -> TrainingSet:
        """The merged examples; ``digest`` when the caller has already hashed the files."""
        groups: dict[str, list[Example]] = {"shared": [], "own": [], "out_of_scope": [], "allowed": []}
        for role, path in self.sources():
            groups[role] += read_examples(path)
        if not groups["own"] and not groups["shared"]:
            raise GuardrailError(f"no guard examples in {self.context.folder}/{self.p.examples} and shared examples are off")
        others = [e for e in groups["out_of_scope"] if e.label == "benign"]
        shared = groups["shared"] + [e for e in groups["allowed"] if e.label in ("benign", "sensitive_info")]
        return build_training_set(groups["own"], shared, others, digest=digest or self.digest())

    def _embedder(self) -> Embedder:
        embedder = self.context.embedder() if self.context.embedder is not None else None
        if embedder is None:
            raise GuardrailError("the semantic guard needs the sandbox's embedder, and none is available")
        return embedder

    def _cache_path(self, digest: str, embedder_id: str) -> Path | None:
        if self.context.cache_dir is None:
            return None
        key = hashlib.sha256(f"{digest}\x00{embedder_id}".encode()).hexdigest()[:20]
        return self.context.cache_dir / f"semantic-{key}.npz"

    def candidates(self, digest: str, embedder_id: str) -> list[Path]:
        out = []
        if self.context.folder is not None:
            out.append(self.context.folder / self.p.model_file)
        cached = self._cache_path(digest, embedder_id)
        if cached is not None:
            out.append(cached)
        return out

    def model(self) -> SemanticModel:
        with self._lock:
            if self._model is None:
                self._model = self._load_or_train()
            return self._model

    def _load_or_train(self) -> SemanticModel:
        embedder = self._embedder()
        embedder_id = _embedder_id(embedder)
        digest = self.digest()
        for path in self.candidates(digest, embedder_id):
            if not path.is_file():
                continue
            try:
                model = SemanticModel.load(path)
            except GuardrailError as exc:  # an older format or a damaged file: like a stale model
                log.warning("%s", exc)
                continue
            if model.digest == digest and model.embedder_id == embedder_id:
                return model
            log.info("guard model %s is stale (examples or embedder changed)", path)
        if not self.p.train_at_load:
            raise GuardrailError(
                f"the semantic guard model is missing or stale for embedder {embedder_id!r}; "
                f"run 'aulac guard train <sandbox>'"
            )
        log.warning("training the semantic guard (embedder %s); 'aulac guard train' prebuilds it", embedder_id)
        return self.rebuild(digest=digest)[0]

    def rebuild(self, *, prefer_folder: bool = False, digest: str | None = None) -> tuple[SemanticModel, Path | None, int]:
        """Train from the example files and save the model: beside them when ``prefer_folder`` and the
        folder is writable (``aulac guard train``), else in the home's cache. (model, where, examples)."""
        embedder = self._embedder()
        digest = digest or self.digest()
        data = self.training_set(digest)
        model = self.fit(data, embedder)
        folder_model = self.context.folder / self.p.model_file if self.context.folder is not None else None
        cache = self._cache_path(digest, model.embedder_id)
        use_folder = prefer_folder and folder_model is not None and os.access(folder_model.parent, os.W_OK)
        target = folder_model if use_folder else cache
        if target is not None:
            model.save(target)
        return model, target, len(data)

    def fit(self, data: TrainingSet, embedder: Embedder) -> SemanticModel:
        """Fit on ``data``; training vectors are cached by content hash under the home's cache."""
        from aulac_rag.embeddings.cache import CachedPassageEmbedder

        embedder_id = _embedder_id(embedder)
        if self.context.cache_dir is None:
            return train(data, embedder.embed_queries, embedder_id, self.p.training)
        cache = CachedPassageEmbedder(embedder, self.context.cache_dir.parent / "embeddings.sqlite")
        try:
            return train(data, cache.embed_queries, embedder_id, self.p.training)
        finally:
            cache.close()

    # --- decision --------------------------------------------------------------
    def threshold(self, model: SemanticModel, group: str) -> float:
        return float(self.p.thresholds.get(group, model.thresholds.get(group, 0.5)))

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """(category probabilities, group scores) for ``text`` (PII masks read as plain words)."""
        model = self.model()
        embedder = self._embedder()
        prepared = prepare_text(unmask(text))
        vector = np.asarray(embedder.embed_query(prepared), dtype=np.float64)
        probs = model.probabilities(vector, [prepared])[0]
        return dict(zip(model.classes, (float(p) for p in probs), strict=True)), model.group_scores(probs)

    def check(self, item: GuardInput) -> RuleDecision | None:
        if self.context.embedder is None:  # explicit rules-only mode (see guardrails.rail_context)
            return None
        model = self.model()
        categories, groups = self.scores(item.redacted)
        details: dict[str, object] = {
            "scores": {g: round(s, 4) for g, s in groups.items()},
            "top": max(categories, key=categories.__getitem__),
        }
        item.allow_score = 1.0 - sum(groups.values())
        item.veto_at = self.p.veto_rules_at
        for group in _GROUP_ORDER:
            if group == "scope" and not self.p.check_scope:
                continue
            t = self.threshold(model, group)
            if groups[group] >= t:
                members = [c for c in model.classes if CATEGORY_GROUPS[c] == group]
                category = max(members, key=categories.__getitem__)
                message = self.p.messages.get(category) or (self.p.scope_message if group == "scope" else None)
                return RuleDecision(
                    id=f"{self.spec.id}.{category}",
                    action=_GROUP_ACTION[group],
                    message=message or DEFAULT_MESSAGES.get(category) or self.spec.message,
                    details={**details, "category": category, "threshold": t},
                )
            if groups[group] >= t * self.p.borderline:
                item.borderline.append(f"{self.spec.id}.{group}")
        return None


def _embedder_id(embedder: object) -> str:
    return str(getattr(embedder, "model_id", type(embedder).__name__))
