"""Quality of every shipped GAN, scored now: `bench_gan.py`'s table without its two 10-minute training loops.

    python bench/run.py gan_shipped
"""
from __future__ import annotations

from bench_gan import shipped_rows


def run() -> list[dict]:
    return shipped_rows()
