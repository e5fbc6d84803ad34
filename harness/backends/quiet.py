"""Silence transformers' own output (used by model loading and by the GGUF conversion)."""

from __future__ import annotations


def quiet_transformers() -> None:
    """transformers' own progress bars and notices would tear through the run's progress display."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
