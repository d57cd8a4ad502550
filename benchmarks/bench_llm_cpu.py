"""DPO training step on CPU: socialpref's step against TRL's ``DPOTrainer`` step, same tiny model.

Both steps train LoRA adapters (r=8, alpha=32, dropout 0.1, q_proj/v_proj) on the same tiny
random Llama (hidden 32, 2 layers, a 400-token BPE tokenizer trained on the synthetic corpus in
``data/hh_synthetic``), with AdamW, float32, on the same relabelled pairs in the same batches
of 8 pairs, with the paper's uniform reference (no reference forward):

- socialpref: :class:`~socialpref.llm.models.CausalLMScorer` (one forward for both sides,
  chunked log-probabilities from the hidden states) and
  :func:`~socialpref.llm.losses.preference_loss`;
- TRL: ``DPOTrainer.training_step`` on batches from TRL's own collator (one forward for both
  sides, TRL's fused LM head, its metrics), with the reference log-probabilities given as
  zeros (see :mod:`socialpref.llm.hf`).

Throughput counts real (non-padding) tokens of both sides per second, optimizer step
included. Every round times each step on every batch once, in alternating order, after one
untimed warm-up pass of each over all batches; the script prints the median and range over
rounds, the ratio of the medians, and the median and range of the per-round ratios.

Run: ``.venv/bin/python benchmarks/bench_llm_cpu.py [--rounds 5] [--batches 12]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "hh_synthetic"
sys.path.insert(0, str(REPO))  # the repository root: benchmarks

from benchmarks.claims import Claim, add_argument, record, write  # noqa: E402


def _setup(tmp: Path, n_pairs: int, batch: int) -> dict[str, Any]:
    import peft
    import torch

    from socialpref.llm.config import LLMTrainConfig
    from socialpref.llm.models import load_tokenizer, quiet_transformers
    from socialpref.llm.preference_data import build_preference_dataset
    from socialpref.llm.tiny import build_tiny_llama, corpus_texts
    from socialpref.llm.trainer import make_trainer

    quiet_transformers()
    model_dir = build_tiny_llama(tmp / "tiny", corpus_texts(CORPUS))
    tok = load_tokenizer(model_dir)
    data = build_preference_dataset(CORPUS, tok, "anonymous", seed=0).head(n_pairs)
    config = LLMTrainConfig(
        per_device_train_batch_size=batch, learning_rate=1e-4, device="cpu", report_to="none"
    )
    trl_trainer = make_trainer(model_dir, data, config, tmp / "trl-out", seed=0, tokenizer=tok)
    trl_batches = list(trl_trainer.get_train_dataloader())
    trl_trainer.create_optimizer()
    trl_trainer.current_gradient_accumulation_steps = 1  # set by Trainer.train's loop

    from socialpref.llm.models import CausalLMScorer, add_lora, load_model

    torch.manual_seed(0)
    own_model = add_lora(load_model(model_dir, "dpo", torch.float32, tok.pad_token_id), "dpo")
    scorer = CausalLMScorer(own_model)
    own_opt = torch.optim.AdamW(
        [p for p in own_model.parameters() if p.requires_grad], lr=1e-4, weight_decay=1e-3
    )
    assert isinstance(own_model, peft.PeftModel)
    own_batches = [
        (b["input_ids"], b["attention_mask"]) for b in trl_batches
    ]  # the same token ids, so both steps see the same sequences
    return {
        "trl": trl_trainer,
        "trl_batches": trl_batches,
        "scorer": scorer,
        "own_opt": own_opt,
        "own_batches": own_batches,
    }


def _trl_pass(s: dict[str, Any]) -> tuple[int, float]:
    trainer = s["trl"]
    tokens = 0
    t0 = time.perf_counter()
    for b in s["trl_batches"]:
        trainer.training_step(trainer.model, b)
        trainer.optimizer.step()
        trainer.optimizer.zero_grad(set_to_none=True)
        tokens += int(b["attention_mask"].sum())
    return tokens, time.perf_counter() - t0


def _own_pass(s: dict[str, Any]) -> tuple[int, float]:
    from socialpref.llm.losses import preference_loss

    scorer, opt = s["scorer"], s["own_opt"]
    scorer.train()
    tokens = 0
    t0 = time.perf_counter()
    for ids, mask in s["own_batches"]:
        scores = scorer(ids, mask)
        b = ids.shape[0] // 2
        preference_loss(scores[:b], scores[b:]).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        tokens += int(mask.sum())
    return tokens, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=12, help="Batches timed per round.")
    parser.add_argument("--batch-size", type=int, default=8, help="Pairs per batch.")
    add_argument(parser)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    with tempfile.TemporaryDirectory() as tmp:
        s = _setup(Path(tmp), args.batches * args.batch_size, args.batch_size)
        _own_pass(s)  # untimed warm-up of both paths over every batch shape
        _trl_pass(s)
        rates: dict[str, list[float]] = {"socialpref": [], "trl": []}
        spent: dict[str, list[float]] = {"socialpref": [], "trl": []}
        for r in range(args.rounds):
            order = (("socialpref", _own_pass), ("trl", _trl_pass))
            for name, fn in order if r % 2 == 0 else order[::-1]:
                tokens, seconds = fn(s)
                rates[name].append(tokens / seconds)
                spent[name].append(seconds)
            print(
                f"round {r}: socialpref {rates['socialpref'][-1]:,.0f} tok/s, "
                f"trl {rates['trl'][-1]:,.0f} tok/s",
                file=sys.stderr,
            )
    med = {k: statistics.median(v) for k, v in rates.items()}
    # per round, both steps ran back to back: their ratio is less exposed to load drifting
    # between rounds (the machine is shared) than the ratio of the medians
    per_round = [a / b for a, b in zip(rates["socialpref"], rates["trl"], strict=True)]
    result = {
        "benchmark": "bench_llm_cpu",
        "torch_threads": torch.get_num_threads(),
        "rounds": args.rounds,
        "batches_per_round": args.batches,
        "batch_pairs": args.batch_size,
        "real_tokens_per_s": {
            k: {"median": med[k], "min": min(v), "max": max(v)} for k, v in rates.items()
        },
        "ratio_socialpref_over_trl": med["socialpref"] / med["trl"],
        "ratio_per_round": {
            "median": statistics.median(per_round),
            "min": min(per_round),
            "max": max(per_round),
        },
    }
    print(
        f"socialpref step {med['socialpref']:,.0f} real tokens/s "
        f"(range {min(rates['socialpref']):,.0f}-{max(rates['socialpref']):,.0f}); "
        f"TRL DPOTrainer step {med['trl']:,.0f} (range {min(rates['trl']):,.0f}-{max(rates['trl']):,.0f}); "
        f"ratio socialpref/TRL {result['ratio_socialpref_over_trl']:.2f} (medians over {args.rounds} rounds); "
        f"per-round ratio median {statistics.median(per_round):.2f} "
        f"(range {min(per_round):.2f}-{max(per_round):.2f})"
    )
    print(json.dumps(result))
    record(
        Claim.from_times(
            f"LoRA DPO training step on CPU, tiny Llama, {args.batches} batches of "
            f"{args.batch_size} pairs",
            "socialpref's step (CausalLMScorer + preference_loss)",
            spent["socialpref"],
            "TRL DPOTrainer.training_step",
            spent["trl"],
            note="training runs TRL's step; this is socialpref's own step",
        )
    )
    write(args.claims)
    return result


if __name__ == "__main__":
    main()
