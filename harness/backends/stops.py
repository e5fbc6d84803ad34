"""Stop strings, applied to a finished output by every backend the same way."""

from __future__ import annotations


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """The text before the first stop string. Generation stops at one, but a batch may run past
    it (hf) and servers differ on whether the stop string itself is returned (openai)."""
    positions = [text.find(s) for s in stop if s and s in text]
    return text[: min(positions)] if positions else text
