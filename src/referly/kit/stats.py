"""Statistics that know no domain: the Wilson score interval of a proportion."""

from __future__ import annotations

import math


def wilson_bounds(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of ``p̂ = successes / n`` (``0 <= successes <= n``, ``n > 0``).

    ``(p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``, without continuity correction: within [0, 1],
    exactly 0 at the low end when ``successes = 0``, exactly 1 at the high end when ``successes = n``, and
    never on the wrong side of ``p̂`` by a rounding.
    """
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == n else min(1.0, max(p, centre + half))
    return low, high
