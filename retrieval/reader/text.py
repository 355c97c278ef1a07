"""What the reader reads: the question as the first text, one sentence (with its context) as
the second. Training (retrieval/reader/recipe) and the product build the second text with the
same function, so the model sees at run time exactly what it was trained on."""

from __future__ import annotations

from retrieval.text_terms import content_terms, stem

# The tokenizer cuts each question + text pair here (longest first, so a long question cannot
# push the sentence out). Read from the weights' JSON at run time; this is the recipe's value.
MAX_TOKENS = 96


def reader_text(sentence: str, title: str = "", previous: str = "") -> str:
    """The text the reader scores against a question, for one candidate sentence.

    `title` (the article's) and `previous` (the sentence before it in its passage) are taken
    so callers never change when a later recipe uses them; the shipped recipe reads the
    sentence alone (benchmarks/README.md "The reader (issue 20)" has the comparison).
    """
    del (
        title,
        previous,
    )  # see the docstring: kept in the signature, unused by these weights
    return " ".join(sentence.split())


def question_terms(question: str) -> frozenset[str]:
    """The question's content words, stemmed: what `coverage` looks for."""
    return frozenset(stem(t) for t in content_terms(question))


def coverage(terms: frozenset[str], text: str) -> float:
    """The share of the question's terms the text holds: the lexical evidence the model adds
    its reading to (a second input of the network, weighted by a trained scalar)."""
    if not terms:
        return 0.0
    return len(terms & {stem(t) for t in content_terms(text)}) / len(terms)
