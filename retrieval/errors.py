"""Errors raised by retrieval/: a question that cannot be asked as it is."""


class QuestionError(ValueError):
    """The question is empty, too long or has no searchable words; the message says which."""
