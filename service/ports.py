"""Picking TCP ports for listeners started a moment later (brokers, workers' web servers).

A port the kernel hands out for ``bind(0)`` lies in its ephemeral range, the one outgoing
connections take their local ports from: between the pick and the listener's bind, a client
connection (a Kafka client's, on a busy test machine) can take it.  Ports are picked below that
range instead, where only another listener can.
"""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LISTEN_PORTS = (10_000, 32_768)  # where listening ports are picked, unless that is ephemeral


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of local ports for outgoing connections (Linux; else the usual)."""
    try:
        low, high = map(int, EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return 32_768, 60_999
    return low, high


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports free on ``host`` right now, outside the kernel's ephemeral
    range: a port picked there is also what an outgoing connection (a Kafka client's) may take
    before the listener binds it, a port below it only another listener can."""
    low, high = ephemeral_ports()
    start, stop = LISTEN_PORTS
    if start < low < stop:
        stop = low
    elif low <= start <= high:
        start, stop = high + 1, 65_536
    chosen: list[int] = []
    candidates = random.SystemRandom().sample(range(start, stop), min(stop - start, 200 + count))
    for port in candidates:
        if len(chosen) == count:
            break
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, port))
            chosen.append(port)
    if len(chosen) < count:  # (a crowded range: the kernel picks the rest)
        socks = []
        try:
            for _ in range(count - len(chosen)):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind((host, 0))
                socks.append(sock)
            chosen += [sock.getsockname()[1] for sock in socks]
        finally:
            for sock in socks:
                sock.close()
    return chosen
