"""A tiny inetd for the real-daemon lab: hand each accepted connection to a program.

inetutils ``telnetd`` has no stand-alone mode: it expects inetd to give it the connected socket
as stdin/stdout (``nowait``). This does exactly that for one port, with the program's argv after
``--``; ``--silent`` instead accepts and holds connections (a vendor control port that says
nothing first, like Xiongmai's DVRIP on 34567). Bounded: at most ``--max-children`` programs at
once, and the whole thing exits after ``--lifetime`` seconds. Lab use only, inside a namespace.

    python -m scanner.lab.inetd --bind 198.18.0.21 --port 23 -- /usr/sbin/telnetd
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Sequence


def serve(bind: str, port: int, argv: Sequence[str], *, max_children: int, lifetime: float) -> None:
    listener = socket.create_server((bind, port), reuse_port=False)
    listener.settimeout(0.5)
    children: list[subprocess.Popen[bytes]] = []
    held: list[tuple[socket.socket, float]] = []
    end = time.monotonic() + lifetime
    print(f"listening {bind}:{port}", flush=True)
    while time.monotonic() < end:
        children = [c for c in children if c.poll() is None]
        now = time.monotonic()
        for sock, since in held:
            if now - since > 30:
                sock.close()
        held = [(s, t) for s, t in held if s.fileno() != -1]
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        if not argv:
            held.append((conn, now))
            continue
        if len(children) >= max_children:
            conn.close()
            continue
        with conn:
            children.append(
                subprocess.Popen(  # noqa: S603  (fixed argv from the lab, no shell)
                    list(argv),
                    stdin=conn.fileno(),
                    stdout=conn.fileno(),
                    stderr=conn.fileno(),
                    close_fds=True,
                )
            )
    for child in children:
        with contextlib.suppress(OSError):
            child.kill()


def main(args: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.lab.inetd")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-children", type=int, default=16)
    parser.add_argument("--lifetime", type=float, default=3600.0)
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("program", nargs="*")
    ns = parser.parse_args(args)
    if not ns.silent and not ns.program:
        parser.error("a program to run (after --), or --silent")
    serve(
        ns.bind,
        ns.port,
        [] if ns.silent else ns.program,
        max_children=ns.max_children,
        lifetime=ns.lifetime,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
