"""Text into units: articles (ids, URLs, dates, bounds), sentences, passages, near-duplicates."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.text.articles": ["Article", "article_id", "http_url", "parse_published"],
        "index.text.passages": ["PassageSpan", "chunk_text", "passage_sentences"],
        "index.text.sentences": ["sentence_spans", "split_sentences"],
    },
)
