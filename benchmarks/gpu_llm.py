"""LoRA-DPO training throughput on Llama-3-8B dimensions: TRL's DPOTrainer step (what
``socialpref llm train`` runs), socialpref's own step, and the paper code's style.

All steps train the same randomly initialised bf16 model (LlamaConfig with Llama-3-8B
dimensions: hidden 4096, intermediate 14336, 32 layers, 32 heads, 8 KV heads, vocabulary
128,256) with the same LoRA adapters (r=8, alpha=32, dropout 0.1, q_proj/v_proj), AdamW and
bf16 autocast, on token sequences of at most 512 tokens with HH-RLHF-like lengths and the
paper's uniform reference (no reference forward):

- reference style (as the paper's code): batches of 2 pairs; chosen and rejected forwarded
  separately, each padded to its batch maximum; sequence log-probs from a full-vocabulary
  float32 ``log_softmax`` of the logits.
- TRL: ``DPOTrainer.training_step`` (socialpref's :class:`UniformReferenceDPOTrainer`) on
  batches from TRL's collator: one forward for both sides, TRL's tiled LM head.
- socialpref: one forward for both sides, sequence log-probs from the hidden states in chunks
  (:mod:`socialpref.llm.logprobs`).

TRL and socialpref run on the same length-bucketed batches for each configuration (batch
size, gradient checkpointing). Warm against warm: every path runs its batches once untimed,
then the same batches are timed. Throughput counts real (non-padding) tokens of both sides,
optimizer step included. A time budget (``--budget-s``, default 480) skips the configurations
that would not fit, so one run stays under 10 minutes on one H100/H200. Prints one JSON line.
``--smoke``: a tiny config on CPU, to check that the script runs.

Run: ``PYTHONPATH=. python3 benchmarks/gpu_llm.py`` (GPU) or ``... --smoke`` (CPU).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socialpref.llm.batching import bucketed_batches
from socialpref.llm.losses import preference_loss
from socialpref.llm.models import CausalLMScorer, enable_gradient_checkpointing
from socialpref.llm.trainer import collate_pairs

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "hh_synthetic"
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
Triple = tuple[list[int], list[int], list[int]]  # prompt, chosen completion, rejected completion


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


def hh_like_pairs(n: int, vocab: int, max_len: int, rng: np.random.Generator) -> list[Triple]:
    """Pairs sharing a prompt, lengths log-normal like HH-RLHF dialogues, both sides <= max_len."""
    pairs: list[Triple] = []
    while len(pairs) < n:
        prompt = int(np.clip(rng.lognormal(np.log(110), 0.7), 8, max_len))
        r1, r2 = np.clip(rng.lognormal(np.log(60), 0.8, size=2), 2, max_len).astype(int)
        if prompt + max(r1, r2) > max_len:
            continue  # the length filter of the paper
        pairs.append(
            (
                rng.integers(3, vocab, size=prompt).tolist(),
                rng.integers(3, vocab, size=r1).tolist(),
                rng.integers(3, vocab, size=r2).tolist(),
            )
        )
    return pairs


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def reference_step(model: Any, batch: list[Triple], device: torch.device) -> int:
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
        chosen = logp([p + c for p, c, _ in batch])
        rejected = logp([p + r for p, _, r in batch])
        loss = preference_loss(chosen, rejected)
    loss.backward()
    return sum(2 * len(p) + len(c) + len(r) for p, c, r in batch)


def fast_step(scorer: Any, batch: list[Triple], device: torch.device) -> int:
    """socialpref's step: one concatenated forward, chunked log-probs from hidden states."""
    ids, mask = collate_pairs([p + c for p, c, _ in batch], [p + r for p, _, r in batch], 0, device)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        s = scorer(ids, mask)
        b = len(batch)
        loss = preference_loss(s[:b], s[b:])
    loss.backward()
    return int(mask.sum())


def make_trl(model: Any, device: torch.device, out: str) -> Any:
    """TRL's DPO trainer (uniform reference) around ``model``, for calling its training step."""
    import datasets
    import trl

    from socialpref.llm.tiny import build_tiny_llama, corpus_texts
    from socialpref.llm.trainer import REF_COLUMNS, UniformReferenceDPOTrainer

    tok_dir = build_tiny_llama(Path(out) / "tok", corpus_texts(CORPUS)[:200])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tok_dir)
    rows = {"prompt": ["a b"] * 2, "chosen": [" c"] * 2, "rejected": [" d e"] * 2}
    rows.update({c: [0.0, 0.0] for c in REF_COLUMNS})
    args = trl.DPOConfig(
        output_dir=out, bf16=device.type == "cuda", use_cpu=device.type == "cpu",
        activation_checkpointing=False, disable_dropout=False, report_to="none", beta=1.0,
        max_length=None,
    )  # fmt: skip
    trainer = UniformReferenceDPOTrainer(
        model=model, args=args, train_dataset=datasets.Dataset.from_dict(rows), processing_class=tok
    )
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer.train's loop
    return trainer


def trl_batches(batches: list[list[Triple]]) -> list[dict[str, Any]]:
    """TRL's collated batches (chosen rows first) with zero reference log-probs."""
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    collate = DataCollatorForPreference(pad_token_id=0)
    return [
        collate(
            [
                {"prompt_ids": p, "chosen_ids": c, "rejected_ids": r, "ref_chosen_logps": 0.0,
                 "ref_rejected_logps": 0.0}
                for p, c, r in b
            ]
        )
        for b in batches
    ]  # fmt: skip


def trl_step(trainer: Any, batch: dict[str, Any], device: torch.device) -> int:
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        trainer.training_step(trainer.model, batch)
    return int(batch["attention_mask"].sum())


def measure(step: Any, batches: list[Any], opt: Any, device: torch.device) -> dict[str, float]:
    """Run every batch once untimed (kernels loaded, allocator warm for every shape), then time
    the same batches again: warm against warm."""

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
    tokens = sum(run(batch) for batch in batches)
    _sync(device)
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return {
        "real_tokens_per_s": tokens / seconds,
        "seconds_per_step": seconds / len(batches),
        "real_tokens_per_step": tokens / len(batches),
        "timed_steps": len(batches),
        "peak_memory_gib": peak,
    }


def trainer_check(device: torch.device) -> dict[str, Any]:
    """End-to-end check of ``run_llm_experiment`` on ``device`` (bf16 on CUDA): a tiny Llama with a
    tokenizer trained on the synthetic corpus, DPO (base reference, max-info) and a reward model."""
    from socialpref.llm.config import LLMTrainConfig
    from socialpref.llm.experiment import run_llm_experiment
    from socialpref.llm.models import quiet_transformers
    from socialpref.llm.tiny import build_tiny_llama, corpus_texts

    quiet_transformers()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_llama(Path(tmp) / "tiny", corpus_texts(CORPUS), hidden=64)
        for objective, dataset, reference in (
            ("dpo", "max-info", "base"),
            ("reward", "anonymous", "uniform"),
        ):
            config = LLMTrainConfig(
                objective=objective, dataset=dataset, reference=reference, per_device_train_batch_size=8,
                learning_rate=1e-3, max_train_pairs=128, device=device.type, gradient_checkpointing=True,
                report_to="none", logging_steps=1,
            )  # fmt: skip
            res = run_llm_experiment(
                model_dir, CORPUS, config, Path(tmp) / f"{objective}-{reference}", seeds=[0, 1]
            ).to_dict()
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
    parser.add_argument("--steps", type=int, default=6, help="Timed steps per configuration.")
    parser.add_argument("--ref-steps", type=int, default=10, help="Timed reference-style steps.")
    parser.add_argument(
        "--budget-s", type=float, default=480.0, help="Skip configurations after this many seconds."
    )
    parser.add_argument(
        "--no-trainer-check", action="store_true", help="Skip the tiny end-to-end trainer run."
    )
    parser.add_argument(
        "--fast",
        default="16:on,16:0.5,8:off",
        help="Configurations batch:checkpointing (off, on or a fraction of layers), run by TRL and socialpref.",
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
    pool = hh_like_pairs(4096, dims["vocab_size"], 512, np.random.default_rng(0))
    ref_batches = [pool[2 * i : 2 * i + 2] for i in range(args.ref_steps)]

    def reference_run() -> dict[str, Any]:
        enable_gradient_checkpointing(model, 0.0)
        out = measure(lambda b: reference_step(model, b, device), ref_batches, opt, device)
        out["batch_pairs"] = 2
        print(f"reference {out}", file=sys.stderr, flush=True)
        return out

    ref_runs = [reference_run()]
    scorer = CausalLMScorer(model)
    tmp = tempfile.TemporaryDirectory()
    trainer = make_trl(model, device, tmp.name)
    lengths = np.asarray([len(p) + max(len(c), len(r)) for p, c, r in pool])
    runs: list[dict[str, Any]] = []
    for spec in args.fast.split(","):
        if time.perf_counter() - t_start > args.budget_s:
            runs.append({"config": spec, "skipped": "time budget"})
            continue
        bsz, how = int(spec.split(":")[0]), spec.split(":")[1]
        ckpt = {"on": 1.0, "off": 0.0}[how] if how in ("on", "off") else float(how)
        n_ckpt = enable_gradient_checkpointing(model, ckpt)
        order = bucketed_batches(lengths, bsz, np.random.default_rng(1), bucket_batches=64)
        batches = [[pool[j] for j in idx] for idx in order if len(idx) == bsz][: args.steps]
        run: dict[str, Any] = {"batch_pairs": bsz, "gradient_checkpointing": ckpt,
                               "checkpointed_layers": n_ckpt}  # fmt: skip
        for name, step, data in (
            ("socialpref", lambda b: fast_step(scorer, b, device), batches),
            ("trl", lambda b: trl_step(trainer, b, device), trl_batches(batches)),
        ):
            try:
                run[name] = measure(step, data, opt, device)
            except torch.OutOfMemoryError:
                run[name] = {"error": "out of memory"}
                opt.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()
        ok = all("error" not in run[k] for k in ("socialpref", "trl"))
        if ok:
            run["socialpref_over_trl"] = (
                run["socialpref"]["real_tokens_per_s"] / run["trl"]["real_tokens_per_s"]
            )
        runs.append(run)
        print(f"config {run}", file=sys.stderr, flush=True)
    ref_runs.append(reference_run())  # again after the others: order effects show up here
    ref = {
        "batch_pairs": 2,
        "real_tokens_per_s": float(np.mean([r["real_tokens_per_s"] for r in ref_runs])),
        "runs_real_tokens_per_s": [r["real_tokens_per_s"] for r in ref_runs],
        "peak_memory_gib": ref_runs[0]["peak_memory_gib"],
    }
    result: dict[str, Any] = {
        "benchmark": "gpu_llm",
        "smoke": bool(args.smoke),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "model_dims": dims,
        "lora": {"r": 8, "alpha": 32, "dropout": 0.1, "targets": ["q_proj", "v_proj"]},
        "torch": torch.__version__,
        "build_seconds": build_s,
        "reference": ref,
        "configs": runs,
    }
    done = [r for r in runs if "socialpref_over_trl" in r]
    for name in ("socialpref", "trl"):
        best = max((r[name]["real_tokens_per_s"] for r in done), default=None)
        result[f"best_{name}_tokens_per_s"] = best
        result[f"best_{name}_over_reference"] = best / ref["real_tokens_per_s"] if best else None
    if not args.no_trainer_check:
        del model, scorer, opt, trainer
        if device.type == "cuda":
            torch.cuda.empty_cache()
        result["trainer_check"] = trainer_check(device)
    tmp.cleanup()
    result["total_seconds"] = time.perf_counter() - t_start
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
