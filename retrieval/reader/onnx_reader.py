"""The trained reader at run time: int8 ONNX through ONNX Runtime, the packaged model's own
tokenizer.json, and nothing else (no torch, nothing downloaded, no shared data).

The weights and their JSON (recipe hash, layers, max tokens, data counts, metrics) are
committed in retrieval/reader/weights/ and rebuilt by `make reader`
(retrieval/reader/recipe).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.embedder import packaged_model_path
from retrieval.reader.text import coverage, question_terms

log = logging.getLogger(__name__)

ONNX_FILE = "reader-int8.onnx"
SETTINGS_FILE = "reader.json"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class ReaderError(RuntimeError):
    """The reader's weights are missing or unusable (a broken install, not bad input)."""


class OnnxReader:
    """Scores (question, text) pairs with the int8 cross-encoder; loads lazily, once.

    Thread-safe: only loading takes the lock; ONNX Runtime sessions and `tokenizers`
    tokenizers may be used from several threads at once (callers use asyncio.to_thread).
    Texts are scored `batch_size` at a time, padded to the longest pair of their batch.
    Dynamic int8 quantisation picks one activation scale per run, so a text's logit moves
    slightly with the texts batched beside it (up to ~0.1); the same question and texts always
    give the same logits.
    """

    def __init__(
        self,
        weights_dir: Path = WEIGHTS_DIR,
        model_path: Path | None = None,
        batch_size: int = 32,
        threads: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        self.weights_dir = Path(weights_dir)
        self.model_path = Path(model_path) if model_path else None
        if batch_size <= 0 or threads <= 0:
            raise ReaderError(f"batch size and threads must be positive ({batch_size}, {threads})")
        self.batch_size = batch_size
        self.threads = threads
        self._max_tokens = max_tokens  # None: the weights' own (benchmarks try shorter cuts)
        self.settings: dict = {}
        self._session = None
        self._tokenizer = None
        self._wants_coverage = False
        self._lock = threading.Lock()

    @property
    def max_tokens(self) -> int:
        self.load()
        return self._max_tokens or int(self.settings["max_tokens"])

    def load(self) -> None:
        """Load now rather than on the first score (start-up, benchmarks)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is None:
                self._load_locked()

    def _load_locked(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        onnx_path = self.weights_dir / ONNX_FILE
        try:
            settings = json.loads((self.weights_dir / SETTINGS_FILE).read_text())
            max_tokens = self._max_tokens or int(settings["max_tokens"])
        except (OSError, ValueError, KeyError) as error:
            raise ReaderError(f"no usable reader settings in {self.weights_dir}: {error}") from None
        model_path = self.model_path or packaged_model_path()
        tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        # As the recipe trained (recipe/train.py tokenizer_for): pairs cut at max_tokens,
        # the longer of question and text first, padded to the longest pair of a batch.
        tokenizer.enable_truncation(max_tokens, strategy="longest_first")
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ReaderError(f"cannot load the reader at {onnx_path}: {error}") from None
        self.settings = settings
        self._wants_coverage = "coverage" in {i.name for i in session.get_inputs()}
        self._tokenizer = tokenizer
        self._session = session  # last: a set session means "ready"
        log.info("loaded reader %s (%s layers)", onnx_path, settings.get("layers"))

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One float32 logit per sentence, in order; higher = more likely to answer."""
        out = np.zeros(len(sentences), dtype=np.float32)
        if not sentences:
            return out
        self.load()
        terms = question_terms(question)
        for start in range(0, len(sentences), self.batch_size):
            chunk = list(sentences[start : start + self.batch_size])
            encodings = self._tokenizer.encode_batch([(question, text) for text in chunk])
            feed = {
                name: np.array([getattr(e, field) for e in encodings], dtype=np.int64)
                for name, field in (
                    ("input_ids", "ids"),
                    ("attention_mask", "attention_mask"),
                    ("token_type_ids", "type_ids"),
                )
            }
            if self._wants_coverage:
                feed["coverage"] = np.array([coverage(terms, t) for t in chunk], dtype=np.float32)
            out[start : start + len(chunk)] = self._session.run(["logits"], feed)[0]
        return out


def load_reader(weights_dir: Path | None = None) -> OnnxReader:
    """The committed reader (or one at `weights_dir`), not yet loaded: the first score loads."""
    return OnnxReader(weights_dir or WEIGHTS_DIR)
