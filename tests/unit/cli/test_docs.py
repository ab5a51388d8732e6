"""The docs command's server: a browser leaving mid-answer costs the terminal nothing."""

from __future__ import annotations

import functools
import http.server
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from cli.docs import _Page


def test_a_client_gone_mid_answer_prints_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "index.html"
    page.write_bytes(b"<p>" + b"x" * 8_000_000 + b"</p>")  # more than the socket buffers take
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Page, page=page))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        for _ in range(3):
            client = socket.create_connection(server.server_address[:2])
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            client.recv(1024)  # the answer has started
            # close with a reset, as a browser tab closed mid-download does
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        time.sleep(0.5)
    finally:
        server.shutdown()
        server.server_close()
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out, captured.err
