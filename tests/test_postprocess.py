"""The QA answer rules one by one, their order and their trace; every expectation is worked out by
hand from the rule's definition (harness/postprocess.py)."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.config import QAPostprocess
from harness.metrics.qa import qa_scores
from harness.postprocess import STEPS, TRAILING_PUNCTUATION, clean_answer, clean_summary, extract_answer, extraction_steps


def test_answer_keeps_first_nonempty_line_and_strips_prefixes():
    rules = QAPostprocess()
    assert clean_answer("\n\n Answer: Singapore\nQuestion: next?", rules) == "Singapore"
    assert clean_answer("A: answer: 2019", rules) == "2019"
    assert clean_answer("", rules) == ""


def test_rules_can_be_turned_off():
    rules = QAPostprocess(first_line=False, strip_prefixes=())
    assert clean_answer(" Answer: x\ny ", rules) == "Answer: x\ny"
    assert clean_summary("  A summary.\n") == "A summary."


def test_the_default_rules_record_the_steps_that_changed_the_answer():
    answer, steps = extract_answer("\n\n Answer: Singapore\nQuestion: next?", QAPostprocess())
    assert answer == "Singapore"
    assert steps == [
        {"step": "first_line", "before": "Answer: Singapore\nQuestion: next?", "after": "Answer: Singapore"},
        {"step": "strip_prefixes", "before": "Answer: Singapore", "after": "Singapore"},
    ]
    # white space at the ends is not a step, and a rule that changes nothing leaves no entry
    assert extract_answer("  Singapore \n", QAPostprocess()) == ("Singapore", [])


# --- regex -----------------------------------------------------------------------------------


def test_regex_keeps_the_first_whole_match():
    rules = QAPostprocess(regex=r"\d{4}")
    assert extract_answer("The trilateral talks last held in 2019, not 2023.", rules) == (
        "2019",
        [{"step": "regex", "before": "The trilateral talks last held in 2019, not 2023.", "after": "2019", "matched": True}],
    )


def test_regex_keeps_the_group_named_answer_and_strips_it():
    rules = QAPostprocess(regex=r"(?:held|opened) in(?P<answer> *\w+)(\.)?")  # other groups may sit beside `answer`
    assert clean_answer("The talks last held in   2019.", rules) == "2019"
    assert clean_answer("They opened in Jakarta", rules) == "Jakarta"


def test_a_regex_that_matches_the_whole_answer_is_still_recorded():
    assert extract_answer("2019", QAPostprocess(regex=r"\d+")) == ("2019", [{"step": "regex", "before": "2019", "after": "2019", "matched": True}])


def test_no_match_scores_the_empty_answer_and_says_so():
    answer, steps = extract_answer("Seoul, South Korea.", QAPostprocess(regex=r"\d{4}"))
    assert answer == "" and steps == [{"step": "regex", "before": "Seoul, South Korea.", "after": "", "matched": False}]
    scores, trace = qa_scores(answer, ["2019"])
    assert scores == {"exact_match": 0.0, "f1": 0.0, "contains": 0.0} and trace["verdict"] == "empty"
    # nothing to search is no match either, and is recorded as one
    assert extract_answer("", QAPostprocess(regex=r"\d")) == ("", [{"step": "regex", "before": "", "after": "", "matched": False}])


def test_an_answer_group_that_took_no_part_gives_the_empty_answer():
    # the search matches "talks" with the optional group unset: a match, but nothing to keep
    assert extract_answer("The talks", QAPostprocess(regex=r"(?P<answer>\d+)?talks")) == (
        "", [{"step": "regex", "before": "The talks", "after": "", "matched": True}],
    )


def test_regex_is_case_sensitive_unless_the_pattern_says_otherwise():
    assert clean_answer("In Singapore", QAPostprocess(regex=r"in (?P<answer>\w+)")) == ""
    assert clean_answer("In Singapore", QAPostprocess(regex=r"(?i)in (?P<answer>\w+)")) == "Singapore"


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ("(unclosed", "not a valid regular expression (missing ), unterminated subpattern at position 0)"),
        ("", "an empty pattern matches the empty text"),
        (r"held in (\d+)", "the pattern has capturing groups but none named 'answer'"),
        (r"(?P<year>\d+)", "the pattern has capturing groups but none named 'answer'"),
    ],
)
def test_a_bad_pattern_is_a_validation_error_on_the_key(pattern, problem):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        QAPostprocess(regex=pattern)
    (error,) = info.value.errors()
    assert error["loc"] == ("regex",) and problem in error["msg"]


# --- max_words and strip_trailing_punctuation -------------------------------------------------


def test_max_words_cuts_after_the_last_word_kept_and_keeps_the_spacing_inside():
    rules = QAPostprocess(max_words=3)
    assert extract_answer("at the  Shangri-La Dialogue in Singapore", rules) == (
        "at the  Shangri-La", [{"step": "max_words", "before": "at the  Shangri-La Dialogue in Singapore", "after": "at the  Shangri-La"}],
    )
    assert extract_answer("the Shangri-La Dialogue", rules) == ("the Shangri-La Dialogue", [])  # exactly 3: unchanged
    assert clean_answer("Singapore", QAPostprocess(max_words=1)) == "Singapore"
    with pytest.raises(ValueError):
        QAPostprocess(max_words=0)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Singapore.", "Singapore"),
        ("Washington, D.C. .", "Washington, D.C"),
        ("in June?!", "in June"),
        ("Seoul\u2026", "Seoul"),                  # … ellipsis
        ("\u6771\u4eac\u3002", "\u6771\u4eac"),    # 東京。
        ("\u0645\u0627\u0630\u0627\u061f", "\u0645\u0627\u0630\u0627"),  # an Arabic question mark
        ("50%.", "50%"),                           # a symbol is part of the answer
        ("(2019)", "(2019)"),                      # so are brackets ...
        ('"Yes."', '"Yes."'),                      # ... and a closing quote, even after a full stop
        ("?!", ""),
    ],
)
def test_strip_trailing_punctuation(answer, expected):
    assert clean_answer(answer, QAPostprocess(strip_trailing_punctuation=True)) == expected


def test_trailing_punctuation_is_the_documented_set():
    assert set(".,;:!?") <= set(TRAILING_PUNCTUATION) and not set("%\"')]}") & set(TRAILING_PUNCTUATION)


def test_a_long_run_of_dots_inside_an_answer_is_stripped_in_linear_time():
    import time

    text = "." * 200_000 + "x."
    start = time.perf_counter()
    assert clean_answer(text, QAPostprocess(strip_trailing_punctuation=True, first_line=False)) == text[:-1]
    assert time.perf_counter() - start < 1.0


# --- the order, and how the steps interact ------------------------------------------------------


def test_every_step_in_order():
    rules = QAPostprocess(regex=r"(?:in|at) (?P<answer>.+)", max_words=1, strip_trailing_punctuation=True)
    answer, steps = extract_answer(" A: They meet in Singapore, in June.\nQuestion: When?", rules)
    assert answer == "Singapore"
    assert steps == [
        {"step": "first_line", "before": "A: They meet in Singapore, in June.\nQuestion: When?", "after": "A: They meet in Singapore, in June."},
        {"step": "strip_prefixes", "before": "A: They meet in Singapore, in June.", "after": "They meet in Singapore, in June."},
        {"step": "regex", "before": "They meet in Singapore, in June.", "after": "Singapore, in June.", "matched": True},
        {"step": "max_words", "before": "Singapore, in June.", "after": "Singapore,"},
        {"step": "strip_trailing_punctuation", "before": "Singapore,", "after": "Singapore"},
    ]
    assert [s["step"] for s in steps] == list(STEPS) == list(QAPostprocess.model_fields)
    # punctuation after max_words, so the comma the cut leaves at the end goes too; the other order
    # would strip the full stop of "June." and then cut to "Singapore,"
    assert clean_answer("Singapore, in June.", QAPostprocess(max_words=1, strip_trailing_punctuation=True)) == "Singapore"
    assert clean_answer("Singapore, in June.", QAPostprocess(max_words=2, strip_trailing_punctuation=True)) == "Singapore, in"


def test_first_line_runs_before_the_regex():
    raw = "I think\nthe answer is 2019"
    assert extract_answer(raw, QAPostprocess(regex=r"\d{4}")) == (
        "", [{"step": "first_line", "before": raw, "after": "I think"}, {"step": "regex", "before": "I think", "after": "", "matched": False}],
    )
    assert clean_answer(raw, QAPostprocess(regex=r"\d{4}", first_line=False)) == "2019"


def test_prefixes_are_gone_before_the_regex_sees_the_answer():
    rules = QAPostprocess(regex=r"^(?P<answer>\w+)")
    assert clean_answer("Answer: Seoul, South Korea", rules) == "Seoul"
    assert clean_answer("Answer: Seoul, South Korea", rules.model_copy(update={"strip_prefixes": ()})) == "Answer"


# --- the old rules, unchanged ----------------------------------------------------------------------


def _clean_answer_before_extraction_steps(raw: str, rules: QAPostprocess) -> str:
    """clean_answer as it was before regex, max_words and strip_trailing_punctuation (git history),
    kept verbatim as the oracle: configs without the new keys must score the same answers."""
    text = raw.strip()
    if rules.first_line:
        text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    changed = True
    while changed:
        changed = False
        for prefix in rules.strip_prefixes:
            if prefix and text.lower().startswith(prefix.lower()):
                text = text[len(prefix):].strip()
                changed = True
    return text


_PIECES = st.sampled_from(["Answer:", "answer:", "A:", "a:", "Q:", " ", "\n", "\r\n", "\u2028", "\t", "x", "2019", ".", "\u00a0", "", "Ab"])


@settings(max_examples=int(os.environ.get("HARNESS_PROPERTY_EXAMPLES", "100")) * 3, deadline=None, derandomize=True, database=None)
@given(
    raw=st.lists(_PIECES, max_size=12).map("".join) | st.text(max_size=40),
    first_line=st.booleans(),
    prefixes=st.lists(st.sampled_from(["Answer:", "A:", "", "a", "Q:"]), max_size=3).map(tuple),
)
def test_without_the_new_keys_the_answers_are_the_old_ones(raw, first_line, prefixes):
    rules = QAPostprocess(first_line=first_line, strip_prefixes=prefixes)
    answer, steps = extract_answer(raw, rules)
    assert answer == _clean_answer_before_extraction_steps(raw, rules)
    # the steps chain: each starts where the last ended, from the stripped raw output to the answer
    assert [s["before"] for s in steps] == [raw.strip(), *(s["after"] for s in steps)][: len(steps)]
    assert (steps[-1]["after"] if steps else raw.strip()) == answer


# --- reading a stored trace back ----------------------------------------------------------------------


def test_extraction_steps_keeps_only_well_formed_entries():
    good = {"step": "regex", "before": "a", "after": "", "matched": False}
    trace = {"extraction": [good, {"step": "max_words", "before": "a b", "after": "a"}, "junk", {"step": 1, "before": "", "after": ""}, {"step": "x"}]}
    assert extraction_steps(trace) == [good, {"step": "max_words", "before": "a b", "after": "a", "matched": True}]
    assert extraction_steps({"extraction": "first_line"}) == [] == extraction_steps({}) == extraction_steps(None)
