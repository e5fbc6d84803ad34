from harness.config import QAPostprocess
from harness.postprocess import clean_answer, clean_summary


def test_answer_keeps_first_nonempty_line_and_strips_prefixes():
    rules = QAPostprocess()
    assert clean_answer("\n\n Answer: Singapore\nQuestion: next?", rules) == "Singapore"
    assert clean_answer("A: answer: 2019", rules) == "2019"
    assert clean_answer("", rules) == ""


def test_rules_can_be_turned_off():
    rules = QAPostprocess(first_line=False, strip_prefixes=())
    assert clean_answer(" Answer: x\ny ", rules) == "Answer: x\ny"
    assert clean_summary("  A summary.\n") == "A summary."
