"""The reader: a cross-encoder that sees a question and one sentence together and scores how
likely the sentence answers it (issue 20). Trained here (retrieval/reader/recipe, `make
reader`); shipped as int8 ONNX in retrieval/reader/weights with a JSON of its recipe hash,
layers, max tokens, training data counts and metrics.

The interface callers rely on:

- `load_reader(weights_dir=None) -> OnnxReader`: the committed weights unless told otherwise;
  nothing loads until the first score.
- `Reader.score(question, sentences) -> numpy.ndarray`: float32, one logit per sentence in
  the same order, higher = more likely to answer. The logit already holds the words'
  evidence: the network's reading plus a trained weight times the share of the question's
  words the sentence holds (retrieval/reader/text.py `coverage`). Thread-safe (callers use
  asyncio.to_thread), loads once, batches internally, cuts each pair at the weights' max
  tokens (question + text together).
- `reader_text(sentence, title="", previous="") -> str`: build each text to score with it,
  passing the article's title and the sentence before; the recipe trains through the same
  function, so callers never change when a recipe starts (or stops) using the context.

Importing this package imports onnxruntime and tokenizers only when a reader loads; never
torch (the recipe does, at training time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from retrieval.reader.onnx_reader import OnnxReader, ReaderError, load_reader
from retrieval.reader.text import reader_text


class Reader(Protocol):
    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray: ...


__all__ = ["OnnxReader", "Reader", "ReaderError", "load_reader", "reader_text"]
