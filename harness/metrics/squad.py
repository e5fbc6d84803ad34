"""Scoring SQuAD-format files exactly as the official scripts do (evaluate-v1.1.py, -v2.0.py).

Why a separate module: qa.py scores one answer of our own eval sets; this scores a whole
SQuAD dev file against a `{question_id: answer}` predictions file, so the harness's numbers can
be checked against published ones to the digit (tests/metrics/test_squad.py does that).

What the official scripts do, and what is reused from qa.py:
- Normalisation is the same in v1.1 and v2.0 (qa.normalize_answer).
- EM is the same in both (qa.exact_match).
- F1: v1.1 is qa.token_f1. v2.0 differs when either side has no tokens: 1 if both are empty,
  else 0 (qa.token_f1 gives 0 for both empty); that is `_f1_v2` below.
- v2.0 drops gold answers that normalise to nothing, and an unanswerable question (no gold
  answers) gets the single gold "" so that only an empty prediction is right; v1.1 keeps
  every gold answer as it is.
- A question scores the max over its gold answers; the totals are 100 * sum / total, summed in
  file order as the scripts do, so even the last float digit agrees.
- A question with no prediction scores 0 and counts in the total (v1.1's rule). The v2.0
  script instead skips it from the overall total and then fails with a KeyError on the
  HasAns/NoAns split, so it has no usable rule of its own; we use v1.1's for both and report
  the count as `missing`. Predictions for ids not in the gold file are ignored, as in both
  scripts, and counted as `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.jsonfile import json_type, read_json
from harness.metrics.qa import exact_match, normalize_answer, token_f1
from harness.squad_format import looks_like_squad, read_squad_file

__all__ = ["SquadGold", "load_predictions", "load_squad_gold", "read_json", "score_squad"]


@dataclass(frozen=True)
class SquadGold:
    """The gold side of a SQuAD file: what scoring needs and nothing else (no contexts)."""

    path: Path
    version: str
    """"1.1" or "2.0": which official script's rules apply."""
    answers: dict[str, list[str]]
    """question id -> gold answer texts, in file order (an unanswerable v2.0 question: [])."""
    unanswerable: frozenset[str]
    """v2.0 ids with no gold answer (always empty for v1.1)."""


def load_predictions(path: str | Path) -> dict[str, str]:
    """Read a `{question_id: answer}` JSON file, the official scripts' prediction format.

    Anything else (a list, a number as an answer, null) raises a one-line HarnessError: the
    official scripts would crash or silently score garbage on it.
    """
    path = Path(path)
    data = read_json(path, "predictions")
    if not isinstance(data, dict):
        raise HarnessError(
            f"{path}: predictions must be a JSON object {{question_id: answer}}, got {json_type(data)}"
        )
    if looks_like_squad(data):
        raise HarnessError(f"{path}: this is a SQuAD gold file, not predictions {{question_id: answer}}; are the two files swapped?")
    for qid, answer in data.items():
        if not isinstance(answer, str):
            raise HarnessError(
                f"{path}: predictions must map question ids to answer strings; {qid!r} has {json_type(answer)}"
            )
    return data


def load_squad_gold(path: str | Path) -> SquadGold:
    """Read a SQuAD v1.1 or v2.0 dev file: question id -> gold answer texts, unanswerable ids.

    v2.0 is recognised by `"version": "v2.0"` or any question carrying `is_impossible`. As in
    evaluate-v2.0.py, a question is unanswerable when its `answers` list is empty (the official
    files keep the distractor spans in `plausible_answers`, which is never scored).
    `answer_start` and the contexts are not needed and not checked. The file is read and
    validated by `harness.squad_format` (the importer's reader too); a file that is not SQuAD
    format raises a one-line HarnessError with the JSON path of the first problem.
    """
    squad = read_squad_file(path, what="SQuAD gold")
    answers = {question.id: list(question.answers) for question in squad.questions()}
    unanswerable = frozenset(qid for qid, texts in answers.items() if not texts)
    return SquadGold(path=squad.path, version=squad.version, answers=answers, unanswerable=unanswerable)


def _f1_v2(prediction: str, gold: str) -> float:
    """evaluate-v2.0.py's compute_f1: differs from qa.token_f1 only when a side has no tokens.

    There "no answer" agrees with "no answer": F1 1 when both are empty, 0 when only one is.
    qa.token_f1 (v1.1) gives 0 for both empty, which would score every correct abstention 0.
    """
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    return token_f1(prediction, gold)


def _question_scores(gold: SquadGold, qid: str, prediction: str) -> tuple[float, float]:
    """(EM, F1) of one question under the rules of the gold file's version."""
    if gold.version == "1.1":
        golds, f1 = gold.answers[qid], token_f1
    else:
        # evaluate-v2.0.py: golds that normalise to nothing are dropped; none left -> [""]
        golds = [text for text in gold.answers[qid] if normalize_answer(text)] or [""]
        f1 = _f1_v2
    return max(exact_match(prediction, g) for g in golds), max(f1(prediction, g) for g in golds)


def _percent(exact: dict[str, float], f1: dict[str, float], ids: list[str]) -> tuple[float, float]:
    """100 * mean over `ids`, summed in the given (file) order like make_eval_dict."""
    return 100.0 * sum(exact[k] for k in ids) / len(ids), 100.0 * sum(f1[k] for k in ids) / len(ids)


def score_squad(gold: SquadGold, predictions: dict[str, str]) -> dict:
    """Official-script scores of `predictions` against `gold`, in percent.

    Keys: `exact_match`, `f1`, `total` (gold questions), `missing` (gold questions with no
    prediction, scored 0), `missing_ids` (those ids, in file order), `extra` (predictions for
    ids the gold file does not have, ignored). For v2.0 also `HasAns_exact`, `HasAns_f1`,
    `HasAns_total`, `NoAns_exact`, `NoAns_f1`, `NoAns_total` (the official output's names;
    a group with no questions is left out, as the script does).
    """
    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    missing_ids = []
    for qid in gold.answers:
        if qid in predictions:
            exact[qid], f1[qid] = _question_scores(gold, qid, predictions[qid])
        else:
            exact[qid], f1[qid] = 0.0, 0.0
            missing_ids.append(qid)
    ids = list(gold.answers)
    result: dict = {}
    result["exact_match"], result["f1"] = _percent(exact, f1, ids)
    result["total"] = len(ids)
    result["missing"] = len(missing_ids)
    result["missing_ids"] = missing_ids
    result["extra"] = sum(1 for qid in predictions if qid not in gold.answers)
    if gold.version == "2.0":
        groups = {"HasAns": [k for k in ids if k not in gold.unanswerable], "NoAns": [k for k in ids if k in gold.unanswerable]}
        for name, group in groups.items():
            if group:
                result[f"{name}_exact"], result[f"{name}_f1"] = _percent(exact, f1, group)
                result[f"{name}_total"] = len(group)
    return result
