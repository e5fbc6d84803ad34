from harness.backends.lead import LeadBackend
from harness.records import Request


def test_lead_k_takes_the_first_k_sentences():
    article = "Headline without a stop\n\nFirst sentence. Second one. Third one. Fourth one."
    request = Request("a", "summary", "a", "ignored prompt", 10, article=article)
    (out,) = LeadBackend(3).generate([request], lambda _batch: None)
    assert out.raw_output == "Headline without a stop First sentence. Second one."
    assert out.new_tokens == 0
    assert LeadBackend(3).tasks == frozenset({"summary"})
