"""Vendor control ports that say nothing first (DVRIP 34567, Dahua 37777, Hikvision SDK 8000).

A real device waits for its binary login packet and drops anything else; the lab accepts, reads
and discards (bounded), and closes when the client stops or goes idle.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.lab.wire import LabStream

MAX_DISCARD_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class SilentConfig:
    label: str = ""  # what the real port is, for ``camsweep lab --list`` ("DVRIP", ...)


class SilentServer:
    def __init__(self, config: SilentConfig) -> None:
        self.config = config

    async def serve(self, stream: LabStream) -> None:
        discarded = 0
        while discarded < MAX_DISCARD_BYTES:
            chunk = await stream.read_some(16 * 1024)
            if not chunk:
                return
            discarded += len(chunk)
