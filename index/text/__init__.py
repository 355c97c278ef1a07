"""Text into units: articles (ids, URLs, dates, bounds), sentences, passages, near-duplicates."""

from index.text.articles import Article, article_id, http_url, parse_published
from index.text.passages import PassageSpan, chunk_text, passage_sentences
from index.text.sentences import sentence_spans, split_sentences

__all__ = [
    "Article",
    "PassageSpan",
    "article_id",
    "chunk_text",
    "http_url",
    "parse_published",
    "passage_sentences",
    "sentence_spans",
    "split_sentences",
]
