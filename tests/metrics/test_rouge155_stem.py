"""The rouge155 stemmer (ROUGE-1.5.5.pl -m) on hand-picked words, and how it is chosen.

Each expectation is worked out by hand from the script's rules (its WordNet table, then sub stem);
test_rouge155_stem_oracle.py checks the same code against the Perl script itself.
"""

import pytest
from nltk.stem.porter import PorterStemmer

from harness.config import load_config
from harness.errors import HarnessError
from harness.metrics.rouge import RougeOptions, rouge, signature
from harness.metrics.rouge155_stem import Rouge155Stemmer, exceptions, morph_stem, porter_stem
from harness.metrics.tokenize import DefaultTokenizer, UnicodeTokenizer, get_tokenizer

NLTK = PorterStemmer()


@pytest.mark.parametrize(
    ("word", "lemma", "nltk"),
    [
        ("children", "child", "children"),
        ("went", "go", "went"),
        ("goes", "go", "goe"),
        ("geese", "goose", "gees"),
        ("mice", "mouse", "mice"),
        ("feet", "foot", "feet"),
        ("leaves", "leaf", "leav"),
        ("crying", "cry", "cri"),
        ("dying", "die", "die"),  # the table answers before the stemmer, which would give "dy"
        ("taxes", "tax", "tax"),  # "taxes tax taxis": the first lemma
        ("installed", "instal", "instal"),  # "installed instal install"
        ("best", "well", "best"),  # adj.exc says good, adv.exc well: the later file (tools/wordnet_exceptions.py)
        ("better", "well", "better"),
        ("comics", "comic_strip", "comic"),  # one token with an underscore: the script keeps it
    ],
)
def test_exception_list_hits_are_the_lemma_unstemmed(word, lemma, nltk):
    assert exceptions()[word] == lemma
    assert morph_stem(word) == lemma
    assert NLTK.stem(word) == nltk


@pytest.mark.parametrize(
    ("word", "perl", "nltk", "why"),
    [
        ("agreement", "agreem", "agreement", "step 4: -ement stem 'agr' has m=1, -ment stem 'agree' m=1, then -ent: 'agreem' has m=2"),
        ("movement", "movem", "movement", "likewise: -ment leaves 'move' (m=1), -ent leaves 'movem' (m=2)"),
        ("argument", "argum", "argument", "-ment leaves 'argu' (m=1), -ent leaves 'argum' (m=2)"),
        ("news", "new", "news", "step 1a drops the s; nltk keeps 'news' as a special word"),
        ("dies", "di", "die", "step 1a: -ies -> -i; nltk's extension keeps 'die' for a 4-letter word"),
        ("skies", "ski", "sky", "step 1a: -ies -> -i; nltk lists 'skies'"),
        ("proceed", "proce", "proceed", "step 1b: -eed with m('proc')=1 -> 'procee'; step 5 drops the e of an m=1 non-cvc stem"),
        ("flying", "fly", "fli", "step 1c needs a vowel before the y, and 'fl' has none"),
        ("hopefully", "hopefulli", "hope", "no step-2 rule ends in -ulli; nltk adds -fulli -> -ful"),
        ("ying", "ying", "ying", "an initial y is a consonant (upper-cased while stemming), so 'Y' is no vowel for -ing"),
        ("yelling", "yell", "yell", "-ing goes, the double l stays (l is excluded from undoubling)"),
    ],
)
def test_porter_variant_where_it_differs_from_nltk(word, perl, nltk, why):
    assert word not in exceptions()
    assert porter_stem(word) == perl, why
    assert morph_stem(word) == perl
    assert NLTK.stem(word) == nltk


def test_tokens_of_three_letters_or_fewer_are_never_looked_up():
    # "men", "ran" and "saw" are in the table, but the script stems only tokens longer than 3
    stemmer = Rouge155Stemmer()
    for word, lemma in (("men", "man"), ("ran", "run"), ("saw", "see")):
        assert exceptions()[word] == lemma
        assert stemmer.token(word) == word
    assert stemmer.token("went") == "go"


def test_default_tokenizer_with_rouge155_gives_the_scripts_tokens():
    text = "The Children WENT to see the comics, 2,000 mice in the 1990s!"
    assert DefaultTokenizer(True, "rouge155").tokenize(text) == ["the", "child", "go", "to", "see", "the", "comic_strip", "2", "000", "mouse", "in", "the", "1990"]
    assert DefaultTokenizer(True).tokenize(text) == ["the", "children", "went", "to", "see", "the", "comic", "2", "000", "mice", "in", "the", "1990"]
    assert DefaultTokenizer(False, "rouge155").tokenize(text) == DefaultTokenizer(False).tokenize(text)  # no stemming: no change


def test_only_ascii_letters_are_lower_cased_with_rouge155():
    # Python lower-cases "İ" (U+0130) to "i" + a combining dot and the Kelvin sign to "k", the
    # only two such characters; the script's tr/A-Z/a-z/ leaves both as bytes that separate words
    dotted_i, kelvin = "\u0130", "\u212a"
    assert DefaultTokenizer(True, "rouge155").tokenize(f"{dotted_i}zmir 300 {kelvin}") == ["zmir", "300"]
    assert DefaultTokenizer(True).tokenize(f"{dotted_i}zmir 300 {kelvin}") == ["i", "zmir", "300", "k"]
    assert DefaultTokenizer(False, "rouge155").tokenize(f"{dotted_i}zmir 300 {kelvin}") == ["i", "zmir", "300", "k"]  # rouge-score's without stemming


def test_unicode_tokenizer_stems_ascii_words_with_rouge155():
    assert UnicodeTokenizer(True, "rouge155").tokenize("Children went to 서울 and 東京") == ["child", "go", "to", "서울", "and", "東", "京"]


def test_unknown_stemmer_is_refused():
    with pytest.raises(ValueError, match="stemmer must be one of"):
        RougeOptions(stemmer="snowball")
    with pytest.raises(ValueError, match="unknown stemmer 'snowball'"):
        get_tokenizer("default", True, "snowball")


def test_rouge_with_rouge155_matches_irregular_forms():
    # prediction the/child/go/home, reference a/child/go/home: 3 of 4 unigrams each way
    options = RougeOptions(("rouge1",), stemmer="rouge155")
    scores, _ = rouge("The children went home", ["A child goes home"], options)
    assert scores["rouge1"] == pytest.approx(0.75)
    porter, _ = rouge("The children went home", ["A child goes home"], RougeOptions(("rouge1",)))
    assert porter["rouge1"] == pytest.approx(0.25)  # only "home"


def test_signature_names_the_stemmer_and_porter_keeps_its_old_one():
    assert "|stem=porter-nltk-" in signature(RougeOptions())
    assert signature(RougeOptions()) == signature(RougeOptions(stemmer="porter"))
    assert "|stem=rouge155-wn2.0-1|" in signature(RougeOptions(stemmer="rouge155"))
    assert "|stem=none|" in signature(RougeOptions(use_stemmer=False, stemmer="rouge155"))


CONFIG = "eval_set: ev.yaml\nmodels:\n  - {name: lead-3, backend: lead}\n"


def test_config_chooses_the_stemmer_and_porter_is_the_default(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG)
    assert load_config(path).scoring.rouge_options().stemmer == "porter"
    path.write_text(CONFIG + "scoring: {stemmer: rouge155, multi_reference: model_average, sentence_split: newline}\n")
    options = load_config(path).scoring.rouge_options()
    assert (options.stemmer, options.use_stemmer, options.multi_reference) == ("rouge155", True, "model_average")


def test_config_refuses_an_unknown_stemmer_in_one_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG + "scoring: {stemmer: snowball}\n")
    with pytest.raises(HarnessError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: scoring.stemmer: Input should be 'porter' or 'rouge155'"
