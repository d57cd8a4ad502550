"""LoRA-DPO training throughput on Llama-3-8B dimensions: socialpref's step vs a reference-style step.

Both steps train the same randomly initialised bf16 model (LlamaConfig with Llama-3-8B
dimensions: hidden 4096, intermediate 14336, 32 layers, 32 heads, 8 KV heads, vocabulary
128,256) with the same LoRA adapters (r=8, alpha=32, dropout 0.1, q_proj/v_proj), AdamW and
bf16 autocast, on token sequences of at most 512 tokens with HH-RLHF-like lengths.

- reference style (as the paper's code): batches of 2 pairs; chosen and rejected forwarded
  separately, each padded to its batch maximum; sequence log-probs from a full-vocabulary
  float32 ``log_softmax`` of the logits.
- socialpref: length-bucketed larger batches, chosen and rejected in one forward, sequence
  log-probs from the hidden states in chunks (:mod:`socialpref.llm.logprobs`), optionally
  with gradient checkpointing.

Throughput counts real (non-padding) tokens of both sides, optimizer step included. Prints
one JSON line. ``--smoke``: a tiny config on CPU, to check that the script runs.

Run: ``PYTHONPATH=. python3 benchmarks/gpu_llm.py`` (GPU) or ``... --smoke`` (CPU).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

import numpy as np
import torch

from socialpref.llm.batching import bucketed_batches
from socialpref.llm.losses import preference_loss
from socialpref.llm.models import CausalLMScorer, enable_gradient_checkpointing
from socialpref.llm.trainer import collate_pairs

LLAMA3_8B = dict(
    hidden_size=4096,
    intermediate_size=14336,
    num_hidden_layers=32,
    num_attention_heads=32,
    num_key_value_heads=8,
    vocab_size=128256,
    max_position_embeddings=8192,
    rope_theta=500000.0,
)
TINY = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    vocab_size=512,
    max_position_embeddings=1024,
)


def build_model(dims: dict[str, Any], device: torch.device) -> Any:
    """A random bf16 Llama built directly on ``device``, skipping the default initialisation."""
    import peft
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.models.llama import modeling_llama

    config = LlamaConfig(
        **dims, pad_token_id=0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False
    )
    config.use_cache = False
    original = modeling_llama.LlamaPreTrainedModel._init_weights
    modeling_llama.LlamaPreTrainedModel._init_weights = lambda self, module: None  # type: ignore[method-assign]
    old_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(old_dtype)
        modeling_llama.LlamaPreTrainedModel._init_weights = original  # type: ignore[method-assign]
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02, generator=gen)
    lora = peft.LoraConfig(task_type=peft.TaskType.CAUSAL_LM, r=8, lora_alpha=32, lora_dropout=0.1)
    return peft.get_peft_model(model, lora)


def hh_like_pairs(
    n: int, vocab: int, max_len: int, rng: np.random.Generator
) -> list[tuple[list[int], list[int]]]:
    """Pairs sharing a prompt, lengths log-normal like HH-RLHF dialogues, both sides <= max_len."""
    pairs: list[tuple[list[int], list[int]]] = []
    while len(pairs) < n:
        prompt = int(np.clip(rng.lognormal(np.log(110), 0.7), 8, max_len))
        r1, r2 = np.clip(rng.lognormal(np.log(60), 0.8, size=2), 2, max_len).astype(int)
        if prompt + max(r1, r2) > max_len:
            continue  # the length filter of the paper
        p = rng.integers(3, vocab, size=prompt).tolist()
        pairs.append(
            (
                p + rng.integers(3, vocab, size=r1).tolist(),
                p + rng.integers(3, vocab, size=r2).tolist(),
            )
        )
    return pairs


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def reference_step(
    model: Any, batch: list[tuple[list[int], list[int]]], device: torch.device
) -> int:
    """The paper code's style: two forwards, full-vocabulary float32 log-softmax."""

    def logp(seqs: list[list[int]]) -> torch.Tensor:
        width = max(map(len, seqs))
        ids = torch.zeros(len(seqs), width, dtype=torch.long)
        mask = torch.zeros(len(seqs), width, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        ids, mask = ids.to(device), mask.to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits
        lp = logits[:, :-1].float().log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        return (lp * mask[:, 1:]).sum(-1)

    with torch.autocast(device.type, dtype=torch.bfloat16):
        chosen = logp([c for c, _ in batch])
        rejected = logp([r for _, r in batch])
        loss = preference_loss(chosen, rejected)
    loss.backward()
    return sum(len(c) + len(r) for c, r in batch)


def fast_step(scorer: Any, batch: list[tuple[list[int], list[int]]], device: torch.device) -> int:
    """socialpref's step: one concatenated forward, chunked log-probs from hidden states."""
    ids, mask = collate_pairs([c for c, _ in batch], [r for _, r in batch], 0, device)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        s = scorer(ids, mask)
        b = len(batch)
        loss = preference_loss(s[:b], s[b:])
    loss.backward()
    return int(mask.sum())


def measure(
    step: Any, batches: list[Any], warmup: int, opt: Any, device: torch.device
) -> dict[str, float]:
    """Time ``batches[warmup:]`` after running all the batches once untimed.

    The untimed pass loads every kernel and fills the caching allocator for every batch shape
    that is timed, so both styles are measured in their steady state (a cold first pass over
    new shapes ran 2-3x slower for the reference style on an H100).
    """

    def run(batch: Any) -> int:
        n = int(step(batch))
        opt.step()
        opt.zero_grad(set_to_none=True)
        return n

    for batch in batches:
        run(batch)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _sync(device)
    t0 = time.perf_counter()
    tokens = sum(run(batch) for batch in batches[warmup:])
    _sync(device)
    seconds = time.perf_counter() - t0
    timed = len(batches) - warmup
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return {
        "real_tokens_per_s": tokens / seconds,
        "seconds_per_step": seconds / timed,
        "real_tokens_per_step": tokens / timed,
        "timed_steps": timed,
        "peak_memory_gib": peak,
    }


def trainer_check(device: torch.device) -> dict[str, Any]:
    """End-to-end check of the library trainer on ``device`` (bf16 on CUDA): a tiny Llama with a
    tokenizer trained on the synthetic corpus, DPO (base reference, max-info) and a reward model."""
    import gzip
    import tempfile
    from pathlib import Path

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from socialpref.llm.experiment import run_llm_experiment
    from socialpref.llm.models import quiet_transformers
    from socialpref.llm.trainer import LLMTrainConfig

    quiet_transformers()
    corpus = Path(__file__).resolve().parents[1] / "data" / "hh_synthetic"
    texts = []
    for path in sorted(corpus.glob("*/train.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                texts += [row["chosen"], row["rejected"]]
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(
        texts, trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "<unk>", "<s>", "</s>"])
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = LlamaConfig(
            **{**TINY, "vocab_size": tk.get_vocab_size()},
            pad_token_id=tok.pad_token_id,
            tie_word_embeddings=False,
        )
        torch.manual_seed(0)
        LlamaForCausalLM(cfg).save_pretrained(tmp)
        tok.save_pretrained(tmp)
        for objective, dataset, reference in (
            ("dpo", "max-info", "base"),
            ("reward", "anonymous", "uniform"),
        ):
            config = LLMTrainConfig(
                objective=objective, dataset=dataset, reference=reference, batch_size=8, learning_rate=1e-3,
                max_train_pairs=128, device=device.type, gradient_checkpointing=True,
            )  # fmt: skip
            res = run_llm_experiment(tmp, corpus, config, seeds=[0, 1]).to_dict()
            out[f"{objective}/{dataset}/{reference}"] = {
                "accuracies": [s["accuracy"] for s in res["seeds"]],
                "loss_first": res["seeds"][0]["loss_first"],
                "bf16": res["environment"]["bf16"],
                "device": res["environment"]["device"],
            }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="Tiny config on CPU.")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6, help="Timed steps per fast configuration.")
    parser.add_argument(
        "--ref-steps", type=int, default=10, help="Timed steps per reference measurement."
    )
    parser.add_argument(
        "--no-trainer-check", action="store_true", help="Skip the tiny end-to-end trainer run."
    )
    parser.add_argument(
        "--fast",
        default="16:on,16:0.5,24:on",
        help="Fast-path configurations: batch:checkpointing, checkpointing off, on or a fraction of layers.",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    device = torch.device("cpu" if args.smoke else "cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("CUDA is not available; use --smoke for the CPU check.")
    dims = TINY if args.smoke else LLAMA3_8B
    t_start = time.perf_counter()
    model = build_model(dims, device)
    model.train()
    build_s = time.perf_counter() - t_start
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=3e-5, weight_decay=1e-3
    )
    rng = np.random.default_rng(0)
    pool = hh_like_pairs(4096, dims["vocab_size"], 512, rng)
    n_ref = args.warmup + args.ref_steps
    ref_batches = [pool[2 * i : 2 * i + 2] for i in range(n_ref)]

    def reference_run() -> dict[str, Any]:
        enable_gradient_checkpointing(model, 0.0)
        out = measure(
            lambda b: reference_step(model, b, device), ref_batches, args.warmup, opt, device
        )
        out["batch_pairs"] = 2
        real = sum(len(c) + len(r) for b in ref_batches[args.warmup :] for c, r in b)
        padded = sum(
            len(b) * (max(len(c) for c, _ in b) + max(len(r) for _, r in b))
            for b in ref_batches[args.warmup :]
        )
        out["real_token_share"] = real / padded
        print(f"reference {out}", file=sys.stderr, flush=True)
        return out

    ref_runs = [reference_run()]
    scorer = CausalLMScorer(model)
    lengths = np.asarray([max(len(c), len(r)) for c, r in pool])
    fast_runs = []
    for spec in args.fast.split(","):
        bsz, how = int(spec.split(":")[0]), spec.split(":")[1]
        ckpt = {"on": 1.0, "off": 0.0}.get(how) if how in ("on", "off") else float(how)
        n_ckpt = enable_gradient_checkpointing(model, ckpt)
        order = bucketed_batches(lengths, bsz, np.random.default_rng(1), bucket_batches=64)
        batches = [[pool[j] for j in idx] for idx in order if len(idx) == bsz][
            : args.warmup + args.steps
        ]
        timed = batches[args.warmup :]
        real = sum(len(c) + len(r) for b in timed for c, r in b)
        padded = sum(
            2 * len(b) * (-(-max(max(len(c), len(r)) for c, r in b) // 8) * 8) for b in timed
        )
        run: dict[str, Any] = {
            "batch_pairs": bsz,
            "gradient_checkpointing": ckpt,
            "checkpointed_layers": n_ckpt,
            "real_token_share": real / padded,
        }
        try:
            run.update(
                measure(lambda b: fast_step(scorer, b, device), batches, args.warmup, opt, device)
            )
        except torch.OutOfMemoryError:
            run["error"] = "out of memory"
            opt.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
        fast_runs.append(run)
        print(f"fast {run}", file=sys.stderr, flush=True)
    ref_runs.append(reference_run())  # again after the fast path: order effects show up here
    ref = dict(ref_runs[0])
    ref["real_tokens_per_s"] = float(np.mean([r["real_tokens_per_s"] for r in ref_runs]))
    ref["seconds_per_step"] = float(np.mean([r["seconds_per_step"] for r in ref_runs]))
    ref["runs_real_tokens_per_s"] = [r["real_tokens_per_s"] for r in ref_runs]
    ref["peak_memory_gib"] = (
        max((r["peak_memory_gib"] or 0.0) for r in ref_runs) if device.type == "cuda" else None
    )
    ok = [r for r in fast_runs if "error" not in r]
    best = max(ok, key=lambda r: r["real_tokens_per_s"]) if ok else None
    result = {
        "benchmark": "gpu_llm",
        "smoke": bool(args.smoke),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "model_dims": dims,
        "lora": {"r": 8, "alpha": 32, "dropout": 0.1, "targets": ["q_proj", "v_proj"]},
        "torch": torch.__version__,
        "build_seconds": build_s,
        "reference": ref,
        "fast": fast_runs,
        "best_fast": best,
        "speedup": best["real_tokens_per_s"] / ref["real_tokens_per_s"] if best else None,
    }
    if not args.no_trainer_check:
        del model, scorer, opt
        if device.type == "cuda":
            torch.cuda.empty_cache()
        result["trainer_check"] = trainer_check(device)
    result["total_seconds"] = time.perf_counter() - t_start
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
