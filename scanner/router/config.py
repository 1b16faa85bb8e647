"""The router stage's options (``ScanConfig.router``; None switches the stage off)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_FORWARDS", "RouterOptions"]

MAX_FORWARDS = 256  # forwards listed per router: a home router holds a handful


@dataclass(frozen=True, slots=True)
class RouterOptions:
    gateways: tuple[str, ...] = ()  # --gateway: addresses, or description URLs (the lab)
    search: bool = True  # SSDP multicast search on the attached networks (off with --no-ssdp)
    timeout: float = 2.0  # listening for SSDP and NAT-PMP answers
    request_timeout: float = 3.0  # one HTTP request to the router
    deadline: float = 30.0  # the whole read of one router
    max_forwards: int = MAX_FORWARDS
    enabled: bool = True  # False: the stage runs but reads nothing and adds no section
    passive: bool = False  # --passive: nothing is sent, so the router is not read
