"""Turns a raw model output into the text that is scored."""

from __future__ import annotations

from harness.config import QAPostprocess


def clean_summary(raw: str) -> str:
    return raw.strip()


def clean_answer(raw: str, rules: QAPostprocess) -> str:
    """Apply the QA rules: first non-empty line, then strip a leading "Answer:"-like prefix."""
    text = raw.strip()
    if rules.first_line:
        text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    changed = True
    while changed:  # "A: Answer: x" loses both prefixes
        changed = False
        for prefix in rules.strip_prefixes:
            if prefix and text.lower().startswith(prefix.lower()):
                text = text[len(prefix):].strip()
                changed = True
    return text
