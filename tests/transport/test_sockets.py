"""Listening sockets: a taken port is one clear error, and accepted connections send without Nagle's
delay (without it a keep-alive request waited ~40 ms for the client's delayed ACK)."""

from __future__ import annotations

import socket

import pytest

from instantly_mcp.errors import ConfigError
from instantly_mcp.sockets import listen_socket, tcp_listener


def test_accepted_connections_have_nagle_off() -> None:
    with tcp_listener("127.0.0.1", 0) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"


def test_a_taken_port_names_the_flag_and_the_fix() -> None:
    with tcp_listener("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"--port {port}: cannot listen on 127.0.0.1: .*choose another port"):
            listen_socket("127.0.0.1", port, "--port")
