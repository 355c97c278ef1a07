"""The trained cross-encoder to int8 ONNX, and the JSON that describes it.

Every MatMul and the word-embedding Gather are quantised (dynamic, per-channel weights): the
embedding matrix alone is 30522 x 384 floats, 47 MB, and the committed file must stay under
25 MB. Written under temporary names and renamed, so a failed export never leaves half a model.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

from retrieval.reader.onnx_reader import ONNX_FILE, SETTINGS_FILE

TOKEN_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def export_int8(model, weights_dir: Path) -> Path:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    weights_dir.mkdir(parents=True, exist_ok=True)
    target = weights_dir / ONNX_FILE
    sample = torch.ones((2, 8), dtype=torch.int64)
    with tempfile.TemporaryDirectory(dir=weights_dir) as work:
        fp32, prepared, int8 = (Path(work) / n for n in ("fp32.onnx", "prep.onnx", "int8.onnx"))
        # The tracer warns about the legacy exporter and the attention mask's Python branches,
        # both fixed at trace time for this model.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (sample, sample, torch.zeros_like(sample), torch.zeros(2)),
                str(fp32),
                input_names=[*TOKEN_INPUTS, "coverage"],
                output_names=["logits"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in TOKEN_INPUTS}
                | {"coverage": {0: "batch"}, "logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,  # needs no onnxscript; quantises well (index/embedding/onnx_int8.py)
            )
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(
            prepared,
            int8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
        os.replace(int8, target)
    return target


def write_settings(weights_dir: Path, description: dict) -> Path:
    path = weights_dir / SETTINGS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
    return path
