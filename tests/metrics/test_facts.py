"""Key-fact coverage (harness/metrics/facts.py and its scorer): every expectation is worked out
by hand from SQuAD v1.1 normalisation (lower-case, ASCII punctuation deleted, a/an/the deleted,
white space collapsed) and whole-token matching."""

from __future__ import annotations

import pytest

from harness.evalset import load_eval_set
from harness.metrics.facts import fact_recall, key_facts, matched_answer, reference_fact_recall
from harness.metrics.qa import normalize_answer
from harness.metrics.squad import normalize_answer as squad_normalize
from harness.records import Article, Question, Reference
from harness.scorers import SCORERS, scorers_for
from harness.scorers.fact_recall import SCORER, recorded_facts

from conftest import ROOT


def carries(summary: str, *answers: str) -> str | None:
    return matched_answer(normalize_answer(summary), answers)


def test_it_uses_the_squad_normalisation_of_the_official_scripts():
    assert normalize_answer is squad_normalize  # the one squad.py scores SQuAD files with


@pytest.mark.parametrize("summary, answer", [
    ("The Shangri-La Dialogue resumes.", "Shangri-La Dialogue"),
    ("THE SHANGRI-LA DIALOGUE", "shangri-la dialogue"),       # case
    ("They meet at the Shangri-La Dialogue.", "the Shangri-La Dialogue"),  # "the" dropped on both sides
    ("They meet at Shangri-La Dialogue.", "the Shangri-La Dialogue"),
    ("They meet at a Shangri-La Dialogue.", "an Shangri-La Dialogue"),     # a/an/the are all dropped
    ("in Singapore, on June 4-5.", "June 4-5"),              # punctuation: "june 45" on both sides
    ("Singapore!", "Singapore"),
    ("opened in 2019.", "2019"),
])
def test_normalisation_drops_case_punctuation_and_articles(summary, answer):
    assert carries(summary, answer) == answer


@pytest.mark.parametrize("summary, answer", [
    ("the code 20190 was used", "2019"),     # whole tokens: "2019" is not a token of "20190"
    ("in 12019", "2019"),
    ("twenty ministers", "two"),
    ("the Shangri-La", "Shangri-La Dialogue"),  # every token of the answer, not some
    ("Dialogue at Shangri-La", "Shangri-La Dialogue"),  # contiguous and in order
    ("June 4 5", "June 4-5"),                # the hyphen is deleted, not a space: "june 45" vs "june 4 5"
    ("June 4–5", "June 4-5"),                # an en dash is not ASCII punctuation: "4–5" stays a token
    ("New York's mayor", "New York"),         # "york's" -> "yorks", not "york"
    ("New York’s mayor", "New York"),         # a curly apostrophe stays: "york’s"
])
def test_whole_tokens_only(summary, answer):
    assert carries(summary, answer) is None


def test_a_match_may_span_the_whole_summary_or_its_edges():
    assert carries("2019", "2019") == "2019"
    assert carries("2019 was the year", "2019") == "2019"
    assert carries("the year was 2019", "2019") == "2019"
    assert carries("new york", "New York") == "New York"
    assert carries("", "2019") is None


def test_the_first_matching_alias_in_eval_set_order_is_reported():
    answers = ("two more times", "two", "twice", "2")
    assert carries("It must do so twice more, in two drills.", *answers) == "two"  # "two" comes before "twice"
    assert carries("It must do so twice more.", *answers) == "twice"
    assert carries("It must do it two more times.", *answers) == "two more times"
    assert carries("It must do so thrice.", *answers) is None
    assert carries("anything", "...", "the") is None  # answers that normalise to nothing never match


QUESTIONS = (
    Question("city", "Where do the talks open?", ("Singapore",)),
    Question("year", "When were they last held?", ("2019",)),
    Question("next", "Where is the next meeting?", ("in Seoul", "Seoul")),
)


def test_the_trace_has_one_entry_per_question_in_order():
    facts = key_facts("Talks open in Singapore; next in Seoul, not in 20190.", QUESTIONS)
    assert facts == [
        {"question_id": "city", "question": "Where do the talks open?", "answers": ["Singapore"], "matched": "Singapore"},
        {"question_id": "year", "question": "When were they last held?", "answers": ["2019"], "matched": None},
        {"question_id": "next", "question": "Where is the next meeting?", "answers": ["in Seoul", "Seoul"], "matched": "in Seoul"},
    ]
    assert fact_recall(facts) == pytest.approx(2 / 3)


def test_an_article_without_questions_has_no_fact_recall_rather_than_0_or_1():
    assert key_facts("Anything at all.", ()) == []
    assert fact_recall([]) is None


REFERENCES = (Reference("r", "Talks in Singapore."),)


def article(questions=QUESTIONS, references=REFERENCES) -> Article:
    return Article(id="a", text="Talks open in Singapore. They were last held in 2019. The next meeting is in Seoul.",
                   references=tuple(references), questions=tuple(questions))


def test_the_scorer_adds_fact_recall_and_its_trace():
    scores, trace = SCORER.score("Seoul and Singapore.", article(), "a", None)
    assert scores == {"fact_recall": pytest.approx(2 / 3)}
    assert [f["matched"] for f in trace["facts"]] == ["Singapore", None, "Seoul"]  # "in Seoul" does not occur, its alias does


def test_the_scorer_leaves_the_metric_out_for_an_article_without_questions():
    scores, trace = SCORER.score("Seoul and Singapore.", article(questions=()), "a", None)
    assert scores == {} and trace == {"facts": []}  # absent: the mean skips it; never 0


def test_it_is_a_registered_summary_scorer():
    assert SCORERS.get("fact_recall") is SCORER
    assert SCORER in scorers_for("summary") and SCORER not in scorers_for("qa")
    assert SCORER.metrics(None) == ("fact_recall",)
    assert SCORER.signature(None) == "fact_recall:norm=squad-v1.1|match=whole-tokens|answers=any"


def test_the_seed_references_carry_more_facts_the_longer_they_are():
    """The shipped eval set's 15 questions against its three references, by hand:
    headline (24 words): Shangri-La Dialogue, Singapore, June 4-5, Japan = 4;
    three-sentences (70 words): Singapore, 2019, Japan, "two days", "two" (of "two days": the
    remaining-demonstrations alias), Seoul = 6;
    full (149 words): Shangri-La Dialogue, Singapore, June 4-5, 2019, Japan, "two" ("two-day"
    normalises to "twoday", so "two days" misses and "its two main allies" gives "two"), 1910-1945,
    extended deterrence, wartime operational control, "two" again, Seoul = 11."""
    (korea,) = load_eval_set(ROOT / "references" / "korea.yaml")
    yardstick = reference_fact_recall([korea])[korea.id]
    assert {rid: (entry["carried"], entry["facts"]) for rid, entry in yardstick.items()} == {
        "headline": (4, 15), "three-sentences": (6, 15), "full": (11, 15)}
    headline, full_recall = yardstick["headline"]["fact_recall"], yardstick["full"]["fact_recall"]
    assert headline == pytest.approx(4 / 15) and full_recall == pytest.approx(11 / 15) and headline < full_recall
    full = yardstick["full"]["matched"]
    assert (full["dialogue-length"], full["remaining-demonstrations"], full["occupation-years"]) == ("two", "two", "1910-1945")
    assert full["north-korea-demand"] is None  # "wants sanctions eased" is none of its answers
    assert [rid for rid, entry in yardstick.items() if entry["matched"]["talks-venue"]] == ["headline", "full"]


def test_the_yardstick_leaves_out_articles_without_questions_or_references():
    no_questions = article(questions=())
    no_references = Article(id="b", text="x", references=(), questions=QUESTIONS)
    assert reference_fact_recall([no_questions, no_references]) == {}
    assert reference_fact_recall([article()]) == {"a": {"r": {"fact_recall": pytest.approx(1 / 3), "carried": 1, "facts": 3,
                                                                "matched": {"city": "Singapore", "year": None, "next": None}}}}


def test_a_damaged_trace_gives_no_facts_rather_than_an_error():
    good = key_facts("Singapore", QUESTIONS)
    assert recorded_facts({"facts": good}) == good and recorded_facts({"facts": []}) == []
    broken = [{"facts": None}, {"facts": [None]}, {"facts": "city"}, {}, {"facts": [{**good[0], "matched": 3}]},
              {"facts": [{k: v for k, v in good[0].items() if k != "matched"}]}, {"facts": [{**good[0], "answers": [None]}]}]
    assert [recorded_facts(trace) for trace in broken] == [None] * len(broken)
