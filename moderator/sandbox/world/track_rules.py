"""Twilio's track rules, shared by subscribe rules and recording rules: validation and matching.

A rule is a JSON object with `type` ("include" or "exclude") and either `all: true` alone, or
filters — `publisher` (identity or PA… SID), `track` (name or MT… SID), `kind` — that must all
match. Rules are evaluated in order and the last rule that matches a track decides: an
`include` subscribes (or records) it, an `exclude` does not; a track no rule matches is left
out. That is how Twilio's examples read ("include all, then exclude Alice's video"; "exclude
all, then include the presenter"). Refusals use Twilio's codes: 53215 for subscribe rules and
53120 for recording rules (an empty list, a rule without type, `all` that is not true or not
alone, a bad kind, more than 20 rules).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.records import Participant, Track

__all__ = ["MAX_RULES", "RECORDING", "SUBSCRIBE", "RuleSet", "included", "parse_rules"]

MAX_RULES = 20
RULE_TYPES = ("include", "exclude")
PRIORITIES = ("low", "standard", "high")


@dataclass(frozen=True)
class RuleSet:
    """What one family accepts: its error code, kinds, and whether `priority` is allowed."""

    code: int
    label: str
    kinds: tuple[str, ...]
    priority: bool


SUBSCRIBE = RuleSet(53215, "Subscribe Rule", ("audio", "video", "data"), priority=True)
RECORDING = RuleSet(53120, "Recording Rule", ("audio", "video"), priority=False)


def _invalid(rule_set: RuleSet, why: str) -> ApiError:
    return ApiError(400, rule_set.code, f"Invalid {rule_set.label}(s): {why}")


def _check_rule(rule_set: RuleSet, rule: Any) -> dict[str, Any]:
    if not isinstance(rule, Mapping):
        raise _invalid(rule_set, "every rule must be a JSON object")
    allowed = {"type", "all", "publisher", "track", "kind"} | (
        {"priority"} if rule_set.priority else set()
    )
    unknown = sorted(set(rule) - allowed)
    if unknown:
        raise _invalid(rule_set, f"unknown field(s) {', '.join(unknown)}")
    if rule.get("type") not in RULE_TYPES:
        raise _invalid(rule_set, "a rule must contain a type field: include or exclude")
    if "all" in rule:
        if rule["all"] is not True or len(rule) != 2:
            raise _invalid(rule_set, "a rule with all must have all=true and only a type")
        return {"type": rule["type"], "all": True}
    filters = {key: rule[key] for key in ("publisher", "track", "kind") if key in rule}
    if not filters:
        raise _invalid(rule_set, "a rule needs all, or at least one of publisher, track, kind")
    for key, value in filters.items():
        if not isinstance(value, str) or not value:
            raise _invalid(rule_set, f"{key} must be a non-empty string")
    if "kind" in filters and filters["kind"] not in rule_set.kinds:
        raise _invalid(rule_set, f"kind must be one of {', '.join(rule_set.kinds)}")
    checked: dict[str, Any] = {"type": rule["type"], **filters}
    if "priority" in rule:
        if rule["type"] != "include" or rule["priority"] not in PRIORITIES:
            raise _invalid(rule_set, "priority is low, standard or high, on include rules only")
        checked["priority"] = rule["priority"]
    return checked


def parse_rules(rule_set: RuleSet, raw: str | None) -> list[dict[str, Any]]:
    """The `Rules` form field (a JSON array) checked as Twilio does, in Twilio's order."""
    if raw is None or raw == "":
        raise _invalid(rule_set, "Rules is required")
    try:
        rules = json.loads(raw)
    except ValueError as exc:
        raise _invalid(rule_set, "Rules must be a JSON-encoded array") from exc
    if not isinstance(rules, list):
        raise _invalid(rule_set, "Rules must be a JSON-encoded array")
    if not rules:
        raise _invalid(rule_set, "an empty set of rules [] is not allowed")
    if len(rules) > MAX_RULES:
        raise _invalid(rule_set, f"a maximum of {MAX_RULES} rules is allowed, got {len(rules)}")
    return [_check_rule(rule_set, rule) for rule in rules]


def _matches(rule: Mapping[str, Any], publisher: Participant, track: Track) -> bool:
    if rule.get("all"):
        return True
    if "publisher" in rule and rule["publisher"] not in (publisher.identity, publisher.sid):
        return False
    if "track" in rule and rule["track"] not in (track.name, track.sid):
        return False
    return "kind" not in rule or rule["kind"] == track.kind


def included(rules: Sequence[Mapping[str, Any]], publisher: Participant, track: Track) -> bool:
    """True when the last rule matching `track` (published by `publisher`) is an include."""
    decision = False
    for rule in rules:
        if _matches(rule, publisher, track):
            decision = rule["type"] == "include"
    return decision
