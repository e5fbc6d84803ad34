"""harness: evaluate open Hugging Face models on summarization and question answering."""

__version__ = "0.1.0"
