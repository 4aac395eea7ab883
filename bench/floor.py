"""The floor: how long the model alone takes to understand a message, in this process, with no server.

`Agent.parse_message` runs the NLU part of the trained graph (spaCy, featurizers, DIET, fallback) on one
text: the work every webhook call must do whatever else happens around it. The webhook's latency over this
floor (the overhead ratio) is the price of everything else on the hot path: HTTP, the conversation lock,
loading and saving the tracker, the dialogue policies and any custom action. A ratio near 1 would leave
nothing to gain outside the model; a large one says where to look first.
"""

from __future__ import annotations

import time
from typing import Any

from bench.stats import summary_ms


async def parse_times(agent: Any, texts: list[str], repeats: int, warmup: int = 20) -> list[float]:
    """Seconds per `parse_message`, over `texts` repeated `repeats` times, after `warmup` untimed calls
    (the first calls build TensorFlow's graph and would otherwise count as latency)."""
    for index in range(warmup):
        await agent.parse_message(texts[index % len(texts)])
    times: list[float] = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            times.append(time.perf_counter() - started)
    return times


async def measure(agent: Any, texts: list[str], repeats: int) -> dict[str, Any]:
    return {"parse_ms": summary_ms(await parse_times(agent, texts, repeats)), "texts": len(texts)}
