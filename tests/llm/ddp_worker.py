"""One short DPO run with socialpref's TRL trainer, for the multi-process test.

Run as ``python ddp_worker.py MODEL CORPUS OUT PER_DEVICE_BATCH``, alone or under ``torchrun``.
"""

from __future__ import annotations

import sys

from socialpref.llm.config import LLMTrainConfig
from socialpref.llm.models import load_tokenizer, quiet_transformers
from socialpref.llm.trainer import prepare_llm_data, train_llm

# Shared by the test: the settings whose adapter must not depend on the number of processes.
SETTINGS = dict(
    max_train_pairs=24,
    max_test_pairs=8,
    learning_rate=1e-3,
    lora_dropout=0.0,  # dropout masks would come from each process's own generator
    device="cpu",
    report_to="none",
    logging_steps=1,
)


def main(model: str, corpus: str, out: str, per_device: int) -> None:
    quiet_transformers()
    config = LLMTrainConfig(per_device_train_batch_size=per_device, **SETTINGS)  # type: ignore[arg-type]
    tok = load_tokenizer(model)
    data = prepare_llm_data(tok, corpus, max_train_pairs=24, max_test_pairs=8)
    train_llm(model, data, config, 0, out, tok)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
