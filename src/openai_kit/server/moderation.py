"""``keyword-moderation``: flags text that contains words from small per-category keyword lists.

A deterministic stand-in for a moderation model, good for testing how code reacts to flagged input.
"""

from __future__ import annotations

import re
from typing import Any

CATEGORIES: dict[str, tuple[str, ...]] = {
    "harassment": ("idiot", "stupid", "loser", "moron"),
    "harassment/threatening": ("i will hurt you", "watch your back"),
    "hate": ("hate all",),
    "hate/threatening": ("exterminate",),
    "illicit": ("shoplift", "steal a", "counterfeit"),
    "illicit/violent": ("build a bomb", "make a weapon"),
    "self-harm": ("self-harm", "hurt myself"),
    "self-harm/intent": ("i want to hurt myself",),
    "self-harm/instructions": ("how to hurt myself",),
    "sexual": ("explicit sex",),
    "sexual/minors": ("sexual minor",),
    "violence": ("kill", "murder", "attack", "stab"),
    "violence/graphic": ("gore", "dismember"),
}


def classify(text: str, *, has_image: bool = False) -> dict[str, Any]:
    lowered = text.lower()
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for name, words in CATEGORIES.items():
        hits = sum(1 for w in words if re.search(r"\b" + re.escape(w), lowered))
        score = 0.0 if hits == 0 else min(0.99, 0.6 + 0.15 * hits)
        scores[name] = score if hits else 0.0001
        categories[name] = hits > 0
        kinds = ["text"]
        if has_image and name in (
            "self-harm",
            "self-harm/intent",
            "self-harm/instructions",
            "sexual",
            "violence",
            "violence/graphic",
        ):
            kinds.append("image")
        applied[name] = kinds
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }
