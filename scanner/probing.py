"""The probe stage of one host: every open port's probe and its follow-ups, the host probes,
and, once the host is identified, each service's refining steps; all looked up in the probe
registry, bounded by the scan's socket semaphore and the host's own."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Mapping

from scanner.config import ScanConfig
from scanner.context import ProbeContext
from scanner.match.engine import SignatureSet
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.probe.banner import sniff
from scanner.registry import HostProbe, PortJob, ProbeRegistry
from scanner.work import HostWork

__all__ = ["HostProber"]


class HostProber:
    def __init__(
        self,
        ctx: ProbeContext,
        signatures: SignatureSet,
        config: ScanConfig,
        registry: ProbeRegistry,
        *,
        port_protocols: Mapping[int, Protocol],
        sockets: asyncio.Semaphore,
    ) -> None:
        self.ctx = ctx
        self.signatures = signatures
        self.config = config
        self.registry = registry
        self.port_protocols = port_protocols
        self.sockets = sockets

    async def probe_host(self, work: HostWork, per_host: asyncio.Semaphore) -> None:
        """Every open port's probe and follow-ups, and every host probe, at once."""

        async def probe(port: int) -> None:
            async with per_host, self.sockets:
                result, job = await self._probe_port(work.ip, port)
            work.services.append(result)
            for follow_up in self.registry.port_probe(job.protocol).follow_ups:
                async with per_host, self.sockets:
                    extra = await follow_up(job, result)
                if extra is not None:
                    work.services.append(extra)

        async def host_probe(entry: HostProbe) -> None:
            async with per_host, self.sockets:
                results = await entry.run(self._job(work.ip))
            work.services.extend(results)
            work.host_results.extend((entry, r) for r in results)

        async with asyncio.TaskGroup() as group:
            for port in work.open_ports:
                group.create_task(probe(port))
            for entry in self.registry.host_probes:
                group.create_task(host_probe(entry))

    async def refine(self, work: HostWork, per_host: asyncio.Semaphore) -> None:
        """Each service's steps that need the identification (vendor routes, stream checks)."""
        for index, found in enumerate(work.services):
            entry = self.registry.entry(found.protocol)
            if entry is None or found.transport != "tcp":
                continue
            svc = found
            for step in entry.refine:
                async with per_host, self.sockets:
                    svc = await step(self._job(work.ip, svc.port, svc.protocol), svc, work.ident)
            work.services[index] = svc

    def _job(self, ip: str, port: int = 0, protocol: Protocol = Protocol.TCP) -> PortJob:
        return PortJob(self.ctx, self.signatures, self.config, ip, port, protocol)

    async def _probe_port(self, ip: str, port: int) -> tuple[ServiceResult, PortJob]:
        cfg = self.config
        protocol: Protocol | None = None
        job = self._job(ip, port)
        try:
            async with asyncio.timeout(cfg.timeouts.probe):
                protocol = self.port_protocols.get(port) or await sniff(self.ctx, ip, port)
                job = self._job(ip, port, protocol or Protocol.TCP)
                probe = self.registry.port_probe(protocol).probe
                assert probe is not None  # port_probe() only returns entries that probe
                return await probe(job), job
        except TimeoutError:
            reason = f"the probe did not finish within {cfg.timeouts.probe:g}s"
            status = ProbeStatus.TIMEOUT
            debug = None
        except Exception as exc:  # probes never crash the scan  # noqa: BLE001
            reason = f"internal error in the probe: {type(exc).__name__}"
            status = ProbeStatus.ERROR
            debug = traceback.format_exc()
        failed = ServiceResult(
            port=port, protocol=protocol or Protocol.TCP, status=status, reason=reason, debug=debug
        )
        return failed, job
