"""Coverage and density on spaCy's tokens (`scoring: {summary_stats: {tokenizer: spacy}}`).

Two routes that do not go through harness/metrics/summary_stats.py:
- `_helm_coverage_density`: what HELM computes, rebuilt here from its sources. HELM
  (stanford-crfm/helm src/helm/benchmark/metrics/summarization_metrics.py) strips the completion
  and calls SummEval's `DataStatsMetric().evaluate_example(pred, input)`; SummEval
  (Yale-LILY/SummEval evaluation/summ_eval/data_stats_metric.py, MIT; unchanged in the summ-eval
  0.892 wheel HELM installs) takes `[tok.text for tok in _en(text, disable=["tagger", "parser",
  "ner", "textcat"])]` and hands both lists to Newsroom's `Fragments(summary, text, case=False)`
  (lil-lab/newsroom newsroom/analyze/fragments.py, Copyright 2018 Max Grusky, Apache-2.0;
  copied into SummEval's data_stats_utils.py), which lower-cases with `str(t).lower()`, matches
  with `_match` and divides by the summary's token count. `_newsroom_lengths` re-implements
  `_match` in its own shape (the scan skips to the end of every match it meets, as there).
  `_en` is en_core_web_sm there and `spacy.blank("en")` here: the same tokenizer
  (harness/metrics/spacy_tokens.py says how that was checked).
- SummEval's own published expected values (evaluation/tests/test_data_stats.py at commit
  07a38004ae0cc5c1971794616bbfa044c5702a37) for its test texts (evaluation/summ_eval/
  test_util.py, same commit; MIT, Copyright (c) 2021 Alex Fabbri, Wojciech Kryściński, Bryan
  McCann, Caiming Xiong, Richard Socher, and Dragomir Radev). They were computed in 2020 with
  spaCy 2.2, which did not split a hyphen after a digit ("28-year-old": 28-year - old; spaCy 3,
  and so HELM today: 28 - year - old). With that one infix rule put back, the harness's fragment
  statistics reproduce every published digit; with spaCy 3's rules the numbers are HELM's.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import spacy
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.config import QAPostprocess, Scoring
from harness.metrics.spacy_tokens import spacy_tokens
from harness.metrics.summary_stats import fragment_statistics, summary_statistics
from harness.records import Article, Generation, Reference, Request
from harness.scoring import describe, score

from validation_data import vendored

ROOT = Path(__file__).resolve().parents[2]

# SummEval evaluation/summ_eval/test_util.py (see the module docstring): ARTICLE, CANDS, REFS
SUMMEVAL_ARTICLE = (
    'A 28-year-old chef who had recently moved to San Francisco was found dead in the stairwell of a local mall this week. '
    "But the victim's brother says he can't think of anyone who would want to hurt him, saying, "
    '"Things were finally going well for him." The body found at the Westfield Mall Wednesday morning was identified as 28-year-old San Francisco resident Frank Galicia, '
    "the San Francisco Medical Examiner's Office said. The San Francisco Police Department said the death was ruled a homicide and an investigation is ongoing.\n"
    "The victim's brother, Louis Galicia, told ABC station KGO in San Francisco that Frank, previously a line cook in Boston, "
    "had landed his dream job as line chef at San Francisco's Sons & Daughters restaurant six months ago.\n"
    'Louis Galicia said Frank initially stayed in hostels, but recently, "Things were finally going well for him."\n'
    '"He found an apartment, he was dating a girl," Louis Galicia told KGO.\n'
    'Louis Galicia said he could not think of anyone who would want to hurt his younger brother.\n'
    '"He was a kind spirit with a big heart. His way of connecting with the family was always making us a dish, making us dinner," Louis Galicia said. '
    '"He never wanted to be in any kind of altercation. He was the brother that went with the flow."\n'
    '"With everything else that\'s going wrong with the world, he was that diamond in the rough that was shining bright every day," he said.\n'
    'Anyone with information is asked to call the SFPD Tip Line at 415-575-4444.'
)
SUMMEVAL_CANDS = [
    "28-year-old chef found dead in San Francisco mall",
    "A 28-year-old chef who recently moved to San Francisco was found dead in the staircase of a local shopping center.",
    'The victim\'s brother said he cannot imagine anyone who would want to harm him,"Finally, it went uphill again at him."',
]
SUMMEVAL_REFS = [
    "28-Year-Old Chef Found Dead at San Francisco Mall",
    "A 28-year-old chef who had recently moved to San Francisco was found dead in the stairwell of a local mall this week.",
    'But the victim\'s brother says he can\'t think of anyone who would want to hurt him, saying, "Things were finally going well for him."',
]


# --- HELM's route, rebuilt from its sources ------------------------------------------------------


@cache
def _en():
    return spacy.blank("en")


def _summeval_tokens(text: str, nlp=None) -> list[str]:
    """SummEval's tokens, then Newsroom's normalize(case=False)."""
    doc = (nlp or _en())(text, disable=["tagger", "parser", "ner", "textcat"])
    return [str(token).lower() for token in [tok.text for tok in doc]]


def _common_run(a: list[str], i: int, b: list[str], j: int) -> int:
    run = 0
    while i + run < len(a) and j + run < len(b) and a[i + run] == b[j + run]:
        run += 1
    return run


def _newsroom_lengths(a: list[str], b: list[str]) -> list[int]:
    """Lengths of Newsroom's `Fragments._match` fragments of summary `a` in text `b`."""
    lengths, i = [], 0
    while i < len(a):
        longest, j = 0, 0
        while j < len(b):
            run = _common_run(a, i, b, j)  # 0 when a[i] != b[j]
            longest = max(longest, run)
            j += max(run, 1)  # past the whole match, not to its second token
        if longest:
            lengths.append(longest)
        i += max(longest, 1)
    return lengths


def _helm_coverage_density(pred: str, text: str, nlp=None) -> tuple[float, float]:
    summary, article = _summeval_tokens(pred.strip(), nlp), _summeval_tokens(text, nlp)
    lengths = _newsroom_lengths(summary, article)
    if not summary:
        return 0, 0
    return sum(lengths) / len(summary), sum(n**2 for n in lengths) / len(summary)


# --- texts -----------------------------------------------------------------------------------------

CRAFTED = [
    # (summary, article): paragraph breaks, contractions, times, abbreviations, numbers, spacing
    ("Talks resumed.\n\nThey met again.", "Talks resumed.\n\nThey met again on Friday."),
    ("Talks resumed. They met again.", "Talks resumed.\n\nThey met again on Friday."),
    ("They don't agree, and won't.", "They do not agree. They won't, officials said."),
    ("The U.S. said at 10:30 a.m. that GDP grew 3.5% to $2,000bn.", "At 10:30 a.m. the U.S. said GDP grew 3.5% to $2,000bn in the U.K. and U.S."),
    ("It's 4-5 June in Seoul-Tokyo talks.", "On June 4-5, Seoul-Tokyo talks; it's late."),
    ("double  space\tand tab", "double  space and\ttab"),
    ("THE CAFÉ's owner", "The café's owner said"),
    ("Mr. Kim's e-mail: kim@example.com, see https://example.com/a?b=c.", "Mr. Kim's e-mail is kim@example.com; https://example.com/a?b=c has more."),
    ("", "An article."),
    ("Nothing here matches", ""),
]


def _korea() -> tuple[str, list[str]]:
    eval_set = yaml.safe_load((ROOT / "references" / "korea.yaml").read_text())["articles"][0]
    article = (ROOT / "references" / eval_set["text_file"]).read_text()
    return article, [reference["text"] for reference in eval_set["references"]]


def _pairs() -> list[tuple[str, str, str]]:
    article, references = _korea()
    paragraphs = [p for p in article.split("\n") if p.strip()]
    pairs = [(f"korea-reference-{i}", ref, article) for i, ref in enumerate(references)]
    pairs.append(("korea-lead-3-joined-by-spaces", " ".join(paragraphs[:3]), article))
    pairs.append(("korea-lead-3-as-in-article", "\n\n".join(paragraphs[:3]), article))
    summeval = json.loads(vendored("summeval/summeval_rouge155_cases.json").read_text())
    pairs.append(("summeval-pair", summeval["single_pair"]["summary"], summeval["single_pair"]["reference"]))
    batch = summeval["batch_3_pairs"]
    pairs += [(f"summeval-batch-{i}", s, r) for i, (s, r) in enumerate(zip(batch["summaries"], batch["references"]))]
    pairs += [(f"summeval-cand-{i}", c, SUMMEVAL_ARTICLE) for i, c in enumerate(SUMMEVAL_CANDS)]
    pairs += [(f"summeval-ref-{i}", r, SUMMEVAL_ARTICLE) for i, r in enumerate(SUMMEVAL_REFS)]
    pairs += [(f"crafted-{i}", s, a) for i, (s, a) in enumerate(CRAFTED)]
    return pairs


PAIRS = _pairs()


# --- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "summary", "article"), PAIRS, ids=[p[0] for p in PAIRS])
def test_spacy_coverage_and_density_equal_helms(name, summary, article):
    stats = summary_statistics(summary, article, tokenizer="spacy")
    assert (stats["coverage"], stats["density"]) == _helm_coverage_density(summary, article)


def test_the_routes_differ_where_the_tokenizers_do():
    # the equality above means something: on these texts the builtin tokens give other numbers
    differ = [name for name, s, a in PAIRS if summary_statistics(s, a)["density"] != summary_statistics(s, a, tokenizer="spacy")["density"]]
    assert {"crafted-0", "crafted-2", "crafted-3", "korea-reference-2", "korea-lead-3-joined-by-spaces", "summeval-cand-2"} <= set(differ)


def test_only_coverage_and_density_change():
    article, references = _korea()
    builtin, spacy_stats = summary_statistics(references[2], article), summary_statistics(references[2], article, tokenizer="spacy")
    for key in builtin:
        if key not in ("coverage", "density"):
            assert spacy_stats[key] == builtin[key], key


def test_hand_computed_spacy_tokens():
    # "\n\n" is a token: 7 tokens (talks resumed . \n\n they met .), all one fragment -> density 7;
    # the builtin tokens drop white space: 6 tokens, density 6
    spacy_stats = summary_statistics("Talks resumed.\n\nThey met.", "Talks resumed.\n\nThey met.", tokenizer="spacy")
    assert spacy_stats["coverage"] == 1.0 and spacy_stats["density"] == 7.0
    assert summary_statistics("Talks resumed.\n\nThey met.", "Talks resumed.\n\nThey met.")["density"] == 6.0
    # joined by a space where the article breaks the paragraph: fragments "talks resumed ." and
    # "they met ." (3 + 3 of 6 tokens) -> density (9 + 9) / 6
    joined = summary_statistics("Talks resumed. They met.", "Talks resumed.\n\nThey met.", tokenizer="spacy")
    assert joined["coverage"] == 1.0 and joined["density"] == 3.0
    # they do n't agree vs they do not agree: "they do" (2) and "agree" (1) of 4 tokens
    contraction = summary_statistics("They don't agree", "They do not agree", tokenizer="spacy")
    assert contraction["coverage"] == 3 / 4 and contraction["density"] == (2**2 + 1) / 4
    # the u.s. said / at 10:30 a.m. / grew 3.5 %: one fragment each, of 3, 3 and 3 tokens
    assert summary_statistics("The U.S. said", "The U.S. said", tokenizer="spacy")["density"] == 3.0
    assert summary_statistics("The U.S. said", "The U.S. said")["density"] == 6.0  # the u . s . said
    assert summary_statistics("at 10:30 a.m.", "at 10:30 a.m.", tokenizer="spacy")["density"] == 3.0
    assert summary_statistics("grew 3.5%", "grew 3.5%", tokenizer="spacy")["density"] == 3.0
    assert spacy_tokens("They don't.\n\nThe U.S. at 10:30 a.m. grew 3.5%") == [
        "they", "do", "n't", ".", "\n\n", "the", "u.s.", "at", "10:30", "a.m.", "grew", "3.5", "%"]


def test_summeval_published_values_with_spacy_2_hyphen_rule():
    from spacy.lang.char_classes import ALPHA, HYPHENS
    from spacy.lang.en.punctuation import TOKENIZER_INFIXES
    from spacy.util import compile_infix_regex

    spacy_3_rule = r"(?<=[{a}0-9])(?:{h})(?=[{a}])".format(a=ALPHA, h=HYPHENS)
    spacy_2_rule = r"(?<=[{a}])(?:{h})(?=[{a}])".format(a=ALPHA, h=HYPHENS)
    assert spacy_3_rule in TOKENIZER_INFIXES
    nlp = spacy.blank("en")
    nlp.tokenizer.infix_finditer = compile_infix_regex([spacy_2_rule if rule == spacy_3_rule else rule for rule in TOKENIZER_INFIXES]).finditer

    article = _summeval_tokens(SUMMEVAL_ARTICLE, nlp)
    results = []
    for cand in SUMMEVAL_CANDS:
        summary = _summeval_tokens(cand, nlp)
        coverage, density = fragment_statistics(summary, article)  # the harness's fragments
        results.append({"coverage": coverage, "density": density, "compression": len(article) / len(summary), "summary_length": len(summary)})
    # test_single
    assert results[0] == {"coverage": 1.0, "density": 3.0, "compression": 31.9, "summary_length": 10}
    # test_corpus: evaluate_batch sums with a Counter, then divides by float(len(input_texts))
    total: Counter = Counter()
    for result in results:
        total.update(result)
    means = {key: value / float(len(SUMMEVAL_CANDS)) for key, value in total.items()}
    assert means == {"coverage": 0.8631884057971014, "density": 3.8892753623188407, "compression": 19.50985507246377, "summary_length": 19.333333333333332}


def test_helm_today_splits_the_hyphen_after_a_digit():
    # spaCy 3: 28 - year - old chef found dead in san francisco mall (12 tokens); fragments
    # "28 - year - old chef" (6), "found dead in" (3), "san francisco" (2), "mall" (1)
    stats = summary_statistics(SUMMEVAL_CANDS[0], SUMMEVAL_ARTICLE, tokenizer="spacy")
    assert stats["coverage"] == 1.0 and stats["density"] == (6**2 + 3**2 + 2**2 + 1) / 12


def test_a_run_scores_the_stripped_summary_and_records_the_tokenizer():
    article, references = _korea()
    raw = "\n  " + references[1] + "\n\n"  # the harness strips the output, as HELM strips the completion
    request = Request("korea", "summary", "korea", "prompt", 120)
    item = score("m", Generation(request, raw, 10, 0.1), Article("korea", article, (Reference("headline", references[0]),), ()), Scoring(), QAPostprocess())
    assert (item.stats["coverage"], item.stats["density"]) == _helm_coverage_density(raw, article)
    record = describe(Scoring())["summary_stats"]
    assert record["setting"] == "auto" and record["tokenizer"] == f"spacy-{spacy.__version__}-en"
    assert "spaCy's English tokenizer" in record["description"]
    assert describe(Scoring())["signature"]["summary_stats"] == f"tokens=spacy-{spacy.__version__}-en"  # compare does not refuse on it
    assert describe(Scoring(summary_stats={"tokenizer": "builtin"}))["signature"]["summary_stats"] == "tokens=builtin"


WORDS = ["The", "the", "U.S.", "don't", "can't", "10:30", "a.m.", "3.5", "%", "$", "2,000", "28-year-old", "Seoul's", ".", ",", '"', "talks", "(", ")", "é", "Kim"]
SEPARATORS = [" ", " ", " ", "", "\n", "\n\n", "  ", "\t"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=40), st.data())
def test_any_text_equals_helms(article_parts, data):
    article = "".join(word + sep for word, sep in article_parts)
    # a summary partly copied from the article (long fragments), partly new
    start = data.draw(st.integers(0, len(article)))
    copied = article[start : start + data.draw(st.integers(0, 80))]
    extra = "".join(w + s for w, s in data.draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=8)))
    summary = (copied + " " + extra).strip()
    stats = summary_statistics(summary, article, tokenizer="spacy")
    assert (stats["coverage"], stats["density"]) == _helm_coverage_density(summary, article)
