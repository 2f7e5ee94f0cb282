"""Training's view of the Feedback and Preference Collections: the item a row grades and its target.

The schema (columns, validation, blank-text rules) is :mod:`judgeforge.data.collections`; these helpers read
one row through it, naming ``record`` and every bad field when it is invalid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgeforge.data.collections import CollectionKind, FeedbackRow, PreferenceRow
from judgeforge.prompts import TemplateSet
from judgeforge.records import DirectItem, PairItem

__all__ = ["CollectionKind", "feedback_item", "feedback_target", "preference_item", "preference_target"]


def feedback_item(row: Mapping[str, Any], record: object) -> DirectItem:
    """The direct-assessment item of a Feedback Collection row."""
    return FeedbackRow.from_row(row, record).item()


def preference_item(row: Mapping[str, Any], record: object) -> PairItem:
    """The pairwise item of a Preference Collection row."""
    return PreferenceRow.from_row(row, record).item()


def feedback_target(row: Mapping[str, Any], template_set: TemplateSet, record: object) -> str:
    """The training target of a Feedback Collection row."""
    return FeedbackRow.from_row(row, record).target(template_set)


def preference_target(row: Mapping[str, Any], template_set: TemplateSet, record: object) -> str:
    """The training target of a Preference Collection row."""
    return PreferenceRow.from_row(row, record).target(template_set)
