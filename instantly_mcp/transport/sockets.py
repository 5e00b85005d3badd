"""The listening socket, bound before anything is announced or served, so that a taken port is one
clear line at start-up instead of a false "serving at" line followed by uvicorn's traceback."""

from __future__ import annotations

import errno
import os
import socket

from instantly_mcp.errors import ConfigError


def listen_socket(host: str, port: int, flag: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        fix = "; choose another port" if exc.errno == errno.EADDRINUSE else ""
        raise ConfigError(f"{flag} {port}: cannot listen on {host}: {os.strerror(exc.errno or 0)}{fix}") from None
    # Accepted connections inherit it. asyncio sets it only on sockets made with proto=IPPROTO_TCP, which
    # create_server's are not: without it, a response written as headers then body waits for the client's
    # delayed ACK (40 ms) on every keep-alive request after the first.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
