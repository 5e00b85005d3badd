"""Listening sockets, bound before anything is announced or served, so that a taken port is one
clear line at start-up instead of a false "serving at" line followed by uvicorn's traceback.

Nagle's algorithm is switched off on the listening socket, and so on every connection it accepts
(Linux copies the option to accepted sockets). asyncio does this itself only for sockets it creates:
on a socket handed to uvicorn it is left on, and a keep-alive request then waits ~40 ms for the
client's delayed ACK between the response's head and its body."""

from __future__ import annotations

import errno
import os
import socket

from instantly_mcp.errors import ConfigError


def tcp_listener(host: str, port: int) -> socket.socket:
    """A bound TCP socket without Nagle's delay (IPv6 when `host` has a colon); raises OSError."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.create_server((host.strip("[]"), port), family=family)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def listen_socket(host: str, port: int, flag: str) -> socket.socket:
    """`tcp_listener`, with a refusal that names the flag to change."""
    try:
        return tcp_listener(host, port)
    except OSError as exc:
        fix = "; choose another port" if exc.errno == errno.EADDRINUSE else ""
        raise ConfigError(f"{flag} {port}: cannot listen on {host}: {os.strerror(exc.errno or 0)}{fix}") from None
