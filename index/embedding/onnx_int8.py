"""The packaged all-MiniLM-L6-v2 through ONNX Runtime with int8 weights: several times faster
than torch on a small shared CPU, with vectors very close to torch's (figures in
benchmarks/README.md "Answer quality" and "Performance").

The ONNX file is made once, from the packaged weights, into the data directory: the model is
exported with torch (mean pooling inside the graph, exactly as sentence-transformers pools),
then its matrix multiplications are quantised to int8 with ONNX Runtime's dynamic
quantisation. Nothing is downloaded. Texts are tokenised with the model's own tokenizer.json,
cut at 256 tokens like the sentence-transformers config.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.embedding.embedder import DIMENSION, MODEL_NAME
from index.embedding.sentence_vectors import Span, pool_sentences
from index.errors import StoreError

log = logging.getLogger(__name__)

# sentence_bert_config.json of the packaged model: longer texts are cut, as torch cuts them.
MAX_TOKENS = 256
ONNX_FILE = "minilm-int8.onnx"
# Bumped when the export changes, so an old file in a data directory is made again.
EXPORT_VERSION = 2  # 2: the token embeddings are an output too (sentence vectors)


class OnnxInt8Embedder:
    """Embedder protocol over an int8 ONNX export of the model; loads lazily, once.

    Thread-safe: ONNX Runtime sessions and `tokenizers` tokenizers may be used from several
    threads at once once configured, so only loading takes the lock. A question embedded
    while a large ingest batch runs therefore waits for CPU, not for the whole batch.
    """

    # A different name from torch's: int8 vectors are close to the fp32 ones but not equal,
    # and the vector index refuses to mix vectors of two models in one index.
    model_name = f"{MODEL_NAME}@onnx-int8"
    dimension = DIMENSION

    def __init__(self, model_path: Path, data_dir: Path, batch_size: int = 64) -> None:
        self.model_path = Path(model_path)
        for needed in ("config.json", "tokenizer.json"):
            if not (self.model_path / needed).exists():
                raise StoreError(f"no embedding model at {self.model_path} (missing {needed})")
        if batch_size <= 0:
            raise StoreError(f"embedding batch size must be positive, got {batch_size}")
        self.onnx_path = Path(data_dir) / "models" / ONNX_FILE
        self.batch_size = batch_size  # texts tokenised together; each still runs alone
        self._session = None
        self._tokenizer = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Export (first time only) and load the model now rather than on the first encode."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._session is not None:
            return
        import onnxruntime
        from tokenizers import Tokenizer

        if not _is_current(self.onnx_path):
            export_int8(self.model_path, self.onnx_path)
        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        # tokenizer.json ships cutting at 128 and padding to 128; texts run one at a time
        # (see encode), so no padding at all, and the cut is the model's 256.
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per run, and texts spread over a pool (see encode): on a 2-core machine
        # shared with FAISS, SQLite and other work, a run's second thread mostly waits for a
        # core, which made a question slower and halved passages/s (benchmarks/README.md
        # "Performance").
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(
                str(self.onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise StoreError(
                f"cannot load {self.onnx_path}: {error}; delete it to export again"
            ) from None
        self._tokenizer = tokenizer
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="onnx")
        self._session = session  # last: encode() takes a set session to mean "ready"
        log.info("loaded int8 ONNX embedding model %s", self.onnx_path)

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        if self._session is None:
            self.load()
        # Each text runs on its own. Dynamic quantisation picks one activation scale per run,
        # so in a padded batch a text's vector would depend on its neighbours (no longer
        # quite its vector alone): the embedding cache and question-vs-passage comparisons need the
        # same text to give the same vector. Runs release the GIL, so the pool uses every core.
        for start in range(0, len(texts), self.batch_size):
            encodings = self._tokenizer.encode_batch(texts[start : start + self.batch_size])
            if len(encodings) == 1:
                out[start] = self._run(encodings[0])
            else:
                out[start : start + len(encodings)] = list(self._pool.map(self._run, encodings))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, as `encode` gives it, and one vector per span of it, pooled
        from the same forward pass (index/embedding/sentence_vectors.py)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sentences: list[np.ndarray] = []
        if not texts:
            return out, sentences
        if self._session is None:
            self.load()
        for start in range(0, len(texts), self.batch_size):
            encodings = self._tokenizer.encode_batch(texts[start : start + self.batch_size])
            runs = list(self._pool.map(self._run_with_tokens, encodings))
            for row, (encoding, (vector, tokens)) in enumerate(
                zip(encodings, runs, strict=True), start
            ):
                out[row] = vector
                pooled, missing = pool_sentences(tokens, encoding.offsets, sentence_spans[row])
                if missing:  # past the 256-token cut (rare): those sentences on their own
                    text = texts[row]
                    alone = [text[a:b] for a, b in (sentence_spans[row][i] for i in missing)]
                    pooled[missing] = self.encode(alone)
                sentences.append(pooled)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12), sentences

    def _feed(self, encoding) -> dict[str, np.ndarray]:
        return {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }

    def _run(self, encoding) -> np.ndarray:
        """The mean-pooled (not yet normalised) vector of one tokenised text."""
        return self._session.run(["embedding"], self._feed(encoding))[0][0]

    def _run_with_tokens(self, encoding) -> tuple[np.ndarray, np.ndarray]:
        """The pooled vector and every token's output embedding, from one run."""
        vector, tokens = self._session.run(["embedding", "tokens"], self._feed(encoding))
        return vector[0], tokens[0]


def export_int8(model_path: Path, onnx_path: Path) -> None:
    """Export the model to ONNX with mean pooling, quantise it to int8, and move it into place.

    Written under a temporary name and renamed, so a crash never leaves half a model that a
    later start would load.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from transformers import AutoModel

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to int8 ONNX at %s (once)", model_path, onnx_path)
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
    model.eval()
    pooled = _with_mean_pooling(model)
    sample = torch.ones((2, 8), dtype=torch.int64)
    with tempfile.TemporaryDirectory(dir=onnx_path.parent) as work:
        fp32 = Path(work) / "fp32.onnx"
        prepared = Path(work) / "prepared.onnx"
        int8 = Path(work) / "int8.onnx"
        # The tracer warns about the legacy exporter and about Python branches in the
        # attention mask code; both are fixed at trace time for this model, so keep the log clean.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                pooled,
                (sample, sample, torch.zeros_like(sample)),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding", "tokens"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "token_type_ids": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                    "tokens": {0: "batch", 1: "tokens"},
                },
                opset_version=17,
                # The TorchScript exporter needs no extra package (the dynamo one needs
                # onnxscript) and gives a graph ONNX Runtime quantises well.
                dynamo=False,
            )
        # Per-channel weight scales keep the vectors close to torch's; one scale per matrix
        # (the default) loses much more (benchmarks/README.md "Performance"). Only the weight
        # MatMuls: quantising the embedding Gather as well costs accuracy and gains nothing.
        # The pre-processing ONNX Runtime asks for (graph clean-up, shapes); its symbolic shape
        # pass cannot follow this graph's dynamic axes and is skipped.
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(
            prepared,
            int8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        _mark_version(int8)
        os.replace(int8, onnx_path)


def _with_mean_pooling(model):
    """The transformer wrapped so the graph returns the mean-pooled vector and the token
    embeddings it pooled (sentence vectors are pooled from those)."""
    import torch  # only when exporting: a running bot on int8 never imports torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            # sentence-transformers Pooling(mean): padding excluded, divisor clamped.
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9), tokens

    return MeanPooled(model)


def _mark_version(path: Path) -> None:
    import onnx

    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = "newsbot_export_version", str(EXPORT_VERSION)
    onnx.save(model, str(path))


def _is_current(path: Path) -> bool:
    if not path.exists():
        return False
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # a truncated or foreign file: export again
        return False
    props = {p.key: p.value for p in model.metadata_props}
    return props.get("newsbot_export_version") == str(EXPORT_VERSION)
