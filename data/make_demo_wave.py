"""Write the SYNTHETIC demo wave ``socialpref/data/ATP W900.sav`` (Pew ATP format, not Pew data).

Deterministic from its seed: ``python data/make_demo_wave.py [--seed 900] [--out PATH]``.
The respondents come from :func:`wavegen.demo_wave` (data/wavegen.py); the file label says
that the data are synthetic. The file is package data: it ships in the wheel, and
``socialpref demo`` reads it with :mod:`importlib.resources`; ``data/demo/ATP W900.sav`` is a
symbolic link to it, the path by which the checkout's examples and tests name it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wavegen import DEMO_RESPONDENTS, DEMO_SEED, demo_wave, write_wave

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "socialpref" / "data" / "ATP W900.sav"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (default 900)")
    parser.add_argument(
        "--respondents", type=int, default=DEMO_RESPONDENTS, help="number of respondents"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .sav path")
    args = parser.parse_args(argv)
    path = write_wave(demo_wave(args.seed, args.respondents), args.out)
    print(
        f"wrote {path} ({path.stat().st_size} bytes, {args.respondents} respondents, seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
