"""`python -m harness score`: score outputs made elsewhere, without generating anything.

- qa: SQuAD-format gold (v1.1 or v2.0) and `{question_id: answer}` predictions, scored exactly
  like the official scripts (metrics/squad.py).
- summary: one summary per line against one or more reference files (one reference per line
  each), with the same ROUGE options as a run; means with seeded bootstrap intervals, and
  ROUGE-1.5.5's own averaging (`--rouge155-average`) when asked.
Prints JSON (and writes it to `--output`); every result carries its scorer signature.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.atomic import write_atomic
from harness.errors import HarnessError
from harness.metrics.stats import mean_ci
from harness.scoring import QA_SIGNATURE, ci_signature


def _read_lines(path: str) -> list[str]:
    file = Path(path)
    if not file.is_file():
        raise HarnessError(f"{path}: file not found")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HarnessError(f"{path}: not UTF-8 text") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    if not lines:
        raise HarnessError(f"{path}: the file is empty; it needs one summary per line")
    return lines


def score_qa(gold_path: str, predictions_path: str) -> dict:
    from harness.metrics.squad import load_predictions, load_squad_gold, score_squad

    gold = load_squad_gold(gold_path)
    result = score_squad(gold, load_predictions(predictions_path))
    return {"task": "qa", "squad_version": gold.version, **result, "signature": QA_SIGNATURE}


def score_summaries(predictions_path: str, reference_paths: list[str], options, resamples: int, seed: int, rouge155: bool = False, processes: int = 1) -> dict:
    from harness.metrics.rouge import signature
    from harness.metrics.rouge_corpus import score_corpus

    predictions = _read_lines(predictions_path)
    references = []
    for path in reference_paths:
        lines = _read_lines(path)
        if len(lines) != len(predictions):
            raise HarnessError(
                f"{path}: {len(lines)} lines but {predictions_path} has {len(predictions)}; "
                "line i of every file must belong to the same item"
            )
        references.append(lines)
    per_item = score_corpus(predictions, [list(refs) for refs in zip(*references)], options, processes=processes)
    result = {"task": "summary", "n": len(predictions), "references_per_item": len(reference_paths), "scores": {}}
    for rouge_type in options.rouge_types:
        result["scores"][rouge_type] = {
            part: mean_ci([getattr(item[rouge_type], field) for item in per_item], resamples, seed)
            for part, field in (("precision", "precision"), ("recall", "recall"), ("f", "fmeasure"))
        }
    if rouge155:
        from harness.metrics.rouge155 import rouge155_averages

        items = {f"{i:06d}": (p, list(refs)) for i, (p, refs) in enumerate(zip(predictions, zip(*references)))}
        averages = rouge155_averages(items, options, resamples)
        result["rouge155_average"] = {t: {part: avg._asdict() for part, avg in a._asdict().items()} for t, a in averages.items()}
    result["signature"] = f"{signature(options)}|{ci_signature(resamples, seed)}"
    return result


def write_result(result: dict, output: str | None) -> str:
    text = json.dumps(result, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    if output:
        write_atomic(Path(output), text)
    return text


def _jsonable(value):
    if hasattr(value, "_asdict"):
        return value._asdict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
