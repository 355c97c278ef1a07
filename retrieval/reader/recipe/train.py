"""Fine-tune the bottom layers of the packaged all-MiniLM-L6-v2 as a cross-encoder: the question
and one sentence in one input ("[CLS] question [SEP] text [SEP]"), a linear head on the pooled
output plus a trained weight times the share of question words the text holds, one logit. Listwise loss: softmax cross-entropy over each group's positive and its
hard negatives. AdamW, linear warm-up then linear decay, fixed seed, deterministic kernels.

Training-time only: imports torch and transformers, which the product's reader never does.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.reader.recipe.data import Group
from retrieval.reader.recipe.settings import RecipeSettings
from retrieval.reader.text import coverage, question_terms

log = logging.getLogger(__name__)


def tokenizer_for(model_path: Path, max_tokens: int):
    """The packaged model's tokenizer, cutting question + text pairs at `max_tokens` (the
    longer of the two loses tokens first) and padding to the longest pair of a batch: the
    same settings as the shipped OnnxReader (retrieval/reader/onnx_reader.py)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def build_model(model_path: Path, settings: RecipeSettings):
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(
        str(model_path), num_hidden_layers=settings.layers, attn_implementation="eager"
    )
    return CrossEncoder(encoder, settings.pooling, settings.lexical, torch)


def CrossEncoder(encoder, pooling: str, lexical: float, torch):  # noqa: N802 (a class made where torch is imported)
    class _CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)
            # The head starts at zero, so the untrained model ranks by word coverage alone
            # (about what the product's sentence choice reaches) and training adds reading.
            torch.nn.init.zeros_(self.head.weight)
            torch.nn.init.zeros_(self.head.bias)
            self.lexical = torch.nn.Parameter(torch.tensor(float(lexical)))
            self.pooling = pooling

        def forward(self, input_ids, attention_mask, token_type_ids, coverage):
            tokens = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            if self.pooling == "cls":
                pooled = tokens[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1) + self.lexical * coverage

    return _CrossEncoder()


def encode_pairs(tokenizer, question: str | Sequence[str], texts: Sequence[str]):
    """input_ids, attention_mask, token_type_ids (int64 arrays) for each (question, text)."""
    questions = [question] * len(texts) if isinstance(question, str) else list(question)
    encodings = tokenizer.encode_batch(list(zip(questions, texts, strict=True)))
    return tuple(
        np.array([getattr(e, field) for e in encodings], dtype=np.int64)
        for field in ("ids", "attention_mask", "type_ids")
    )


def train(groups: list[Group], model_path: Path, settings: RecipeSettings):
    """The trained model (torch module, eval mode). Groups are shuffled with the seed."""
    import torch

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(settings.seed)
    tokenizer = tokenizer_for(model_path, settings.max_tokens)
    model = build_model(model_path, settings)
    if settings.freeze_embeddings:
        # Most of the 30522 word vectors see no gradient in a few thousand groups; freezing
        # them all saves AdamW's pass over 11.7M weights per step and changes little.
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    head = [*model.head.parameters(), model.lexical]
    body = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    optimiser = torch.optim.AdamW(
        [
            {"params": body, "lr": settings.learning_rate},
            {"params": head, "lr": settings.head_learning_rate},
        ],
        weight_decay=settings.weight_decay,
    )
    per_step = settings.groups_per_step
    steps = settings.epochs * ((len(groups) + per_step - 1) // per_step)
    warmup = max(1, int(steps * settings.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / (steps - warmup))),
    )
    size = 1 + settings.negatives
    model.train()
    step, started, running = 0, time.monotonic(), 0.0
    for epoch in range(settings.epochs):
        for batch in _batches(groups, per_step, tokenizer, rng):
            questions = [g.question for g in batch for _ in range(size)]
            texts = [t for g in batch for t in (g.positive, *g.negatives)]
            ids, mask, types = (
                torch.from_numpy(a) for a in encode_pairs(tokenizer, questions, texts)
            )
            covered = torch.tensor(
                [coverage(question_terms(q), t) for q, t in zip(questions, texts, strict=True)],
                dtype=torch.float32,
            )
            logits = model(ids, mask, types, covered).view(len(batch), size)
            loss = torch.nn.functional.cross_entropy(
                logits, torch.zeros(len(batch), dtype=torch.long)
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 20 == 0 or step == steps:
                elapsed = time.monotonic() - started
                log.info(
                    "epoch %d step %d/%d loss %.3f (%.1f groups/s, %.0f s)",
                    epoch + 1,
                    step,
                    steps,
                    running,
                    step * per_step / elapsed,
                    elapsed,
                )
    model.eval()
    return model


def _batches(groups: list[Group], per_step: int, tokenizer, rng: random.Random):
    """The groups shuffled, then batched with groups of similar length (each batch is padded
    to its longest pair), the batches shuffled again."""
    order = list(groups)
    rng.shuffle(order)
    batches = []
    window = 50 * per_step
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda g: _longest(tokenizer, g))
        batches += [chunk[i : i + per_step] for i in range(0, len(chunk), per_step)]
    rng.shuffle(batches)
    return batches


def _longest(tokenizer, group: Group) -> int:
    texts = (group.positive, *group.negatives)
    return max(len(e.ids) for e in tokenizer.encode_batch([(group.question, t) for t in texts]))
