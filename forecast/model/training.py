"""Fit the risk model on past cut-offs and evaluate it on later ones, against a baseline."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from forecast.model.examples import Example, labelled, time_split
from forecast.model.features import FEATURES, History
from forecast.model.logistic import RiskModel

REGULARISATION = 0.03  # inverse strength: a few hundred correlated examples overfit at 1.0
BASELINE = "days_since_effective_contact"  # the trivial ranking: longest silence first


class TrainingError(ValueError):
    """The history cannot train a model (too few examples, or one class only)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How to cut the history: label horizon, cut-off spacing, share held out, top-k."""

    horizon_days: float = 7.0
    step_days: float = 1.0
    test_share: float = 0.3
    k: int = 10
    first_cutoff_days: float = 14.0  # after the first stay: some history for stage medians


def data_hash(examples: Sequence[Example]) -> str:
    """A short digest of the training examples (features and labels): the version's data part."""
    digest = hashlib.sha256()
    for ex in examples:
        line = f"{ex.snapshot.opportunity_id}|{ex.snapshot.at.isoformat()}|{int(ex.lost)}|"
        digest.update((line + ",".join(f"{v:.6g}" for v in ex.snapshot.vector())).encode())
    return digest.hexdigest()[:12]


def _matrix(examples: Sequence[Example]) -> tuple[Any, Any]:
    x = np.array([ex.snapshot.vector() for ex in examples], dtype=float)
    return x, np.array([int(ex.lost) for ex in examples])


def precision_at_k(examples: Sequence[Example], scores: Sequence[float], k: int) -> float:
    """Mean over cut-offs of the share lost among the k highest-scored deals open then."""
    by_cutoff: dict[datetime, list[tuple[float, bool]]] = defaultdict(list)
    for ex, score in zip(examples, scores, strict=True):
        by_cutoff[ex.snapshot.at].append((score, ex.lost))
    shares = []
    for ranked in by_cutoff.values():
        top = sorted(ranked, key=lambda item: -item[0])[:k]
        shares.append(sum(lost for _, lost in top) / len(top))
    return float(np.mean(shares)) if shares else 0.0


def _scores(
    examples: Sequence[Example], score: Callable[[Example], float], k: int
) -> dict[str, float]:
    values = [score(ex) for ex in examples]
    labels = [int(ex.lost) for ex in examples]
    auc = roc_auc_score(labels, values) if 0 < sum(labels) < len(labels) else float("nan")
    return {
        "auc": round(float(auc), 4),
        "precision_at_k": round(precision_at_k(examples, values, k), 4),
    }


def fit(examples: Sequence[Example], trained_at: datetime, horizon_days: float) -> RiskModel:
    """A standardised logistic regression over the examples, as a RiskModel."""
    x, y = _matrix(examples)
    if len(set(y.tolist())) < 2:
        raise TrainingError(f"{len(examples)} examples with one label only: nothing to learn")
    scaler = StandardScaler().fit(x)
    scales = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    regression = LogisticRegression(C=REGULARISATION, max_iter=1000).fit(
        (x - scaler.mean_) / scales, y
    )
    version = f"{trained_at.strftime('%Y%m%dT%H%M%SZ')}-{data_hash(examples)}"
    return RiskModel(
        version, trained_at, horizon_days, FEATURES, tuple(float(m) for m in scaler.mean_),
        tuple(scales), tuple(float(c) for c in regression.coef_[0]),
        float(regression.intercept_[0]),
    )  # fmt: skip


def train(
    history: History,
    end: datetime,
    trained_at: datetime,
    plan: Plan = Plan(),
) -> RiskModel:
    """Fit on the early cut-offs, evaluate on the later ones, then refit on all of them.

    The evaluation (AUC, precision at k, the baseline's and the base rate) rides along in the
    model's `evaluation`; the model served is fitted on every labelled cut-off.
    """
    if not history.stays:
        raise TrainingError("no opportunity in the history")
    horizon = timedelta(days=plan.horizon_days)
    first = min(s.entered_at for s in history.stays) + timedelta(days=plan.first_cutoff_days)
    split = time_split(first, end, horizon, timedelta(days=plan.step_days), plan.test_share)
    train_set = labelled(history, split.train, horizon)
    test_set = labelled(history, split.test, horizon)
    if not train_set or not test_set:
        raise TrainingError("the history is too short for a time split")
    held_out = fit(train_set, trained_at, plan.horizon_days)
    column = FEATURES.index(BASELINE)
    evaluation = {
        "split_at": split.split.isoformat(),
        "train": {"cutoffs": len(split.train), "examples": len(train_set),
                  "lost": sum(ex.lost for ex in train_set)},
        "test": {"cutoffs": len(split.test), "examples": len(test_set),
                 "lost": sum(ex.lost for ex in test_set)},
        "base_rate": round(sum(ex.lost for ex in test_set) / len(test_set), 4),
        "k": plan.k,
        "model": _scores(test_set, lambda ex: held_out.risk(ex.snapshot), plan.k),
        "baseline": _scores(test_set, lambda ex: ex.snapshot.vector()[column], plan.k),
        "baseline_feature": BASELINE,
        "plan": {"horizon_days": plan.horizon_days, "step_days": plan.step_days,
                 "test_share": plan.test_share},
    }  # fmt: skip
    final = fit(train_set + test_set, trained_at, plan.horizon_days)
    return replace(final, evaluation=evaluation)
