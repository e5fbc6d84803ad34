"""Scores one generation against its article's references or gold answers.

The join between generations and the eval set lives here, so metrics stay pure functions of
strings and backends never see a reference.
"""

from __future__ import annotations

from harness.config import QAPostprocess, Scoring
from harness.metrics.qa import qa_scores
from harness.metrics.rouge import rouge
from harness.metrics.sentences import SPLITTER_NAME
from harness.postprocess import clean_answer, clean_summary
from harness.records import Article, Generation, ScoredItem


def describe(scoring: Scoring) -> dict:
    """How the numbers are computed, recorded in every report."""
    stem = "porter" if scoring.use_stemmer else "none"
    return {
        "rouge_types": list(scoring.rouge_types),
        "use_stemmer": scoring.use_stemmer,
        "sentence_splitter": SPLITTER_NAME,
        "multi_reference": "max",
        "rouge": f"rouge-score, stem={stem}, rougeLsum sentences split by {SPLITTER_NAME}, best F over references",
        "qa": "SQuAD v1.1 normalisation (lower-case, no punctuation, no a/an/the), max over accepted answers",
    }


def score(model: str, generation: Generation, article: Article, scoring: Scoring, qa_rules: QAPostprocess) -> ScoredItem:
    request = generation.request
    if request.task == "summary":
        output = clean_summary(generation.raw_output)
        scores, trace = rouge(output, [r.text for r in article.references], scoring.rouge_types, scoring.use_stemmer)
        trace = {"best_reference": {k: article.references[i].id for k, i in trace["best_reference"].items()}}
    else:
        question = next(q for q in article.questions if q.id == request.item_id)
        output = clean_answer(generation.raw_output, qa_rules)
        scores, trace = qa_scores(output, question.answers)
    return ScoredItem(model=model, generation=generation, output=output, scores=scores, trace=trace)
