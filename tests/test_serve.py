"""`ledger serve`'s preview server: a browser that closes a connection mid-file is not reported as a crash."""

from __future__ import annotations

import re
import socket
import struct
import sys
import threading

from pipeline.serve import _server


def test_a_browser_that_leaves_mid_download_prints_no_traceback(tmp_path, capfd):
    """The defect: each file a browser stopped loading printed a 20-line BrokenPipeError traceback."""
    (tmp_path / "big.bin").write_bytes(b"x" * (64 << 20))  # more than the socket buffers hold
    server = _server(tmp_path, 0)
    handled, errors = threading.Event(), []
    handle_error, shutdown_request = server.handle_error, server.shutdown_request

    def noted_error(request, client_address):
        errors.append(type(sys.exc_info()[1]))
        handle_error(request, client_address)

    def noted_end(request):
        shutdown_request(request)
        handled.set()

    server.handle_error, server.shutdown_request = noted_error, noted_end
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address) as browser:
            browser.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert browser.recv(16).startswith(b"HTTP/1.0 200")
            browser.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, as a tab closed
        assert handled.wait(30)
    finally:
        server.shutdown()
        server.server_close()
    assert len(errors) == 1 and issubclass(errors[0], ConnectionError)
    err = capfd.readouterr().err
    assert re.fullmatch(r'127\.0\.0\.1 - - \[[^\]]+\] "GET /big\.bin HTTP/1\.1" 200 -\n', err), err


def test_any_other_error_of_the_server_still_prints(tmp_path, capfd):
    server = _server(tmp_path, 0)
    try:
        try:
            raise ValueError("a fault of the server's own")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 50000))
        try:
            raise BrokenPipeError(32, "Broken pipe")
        except BrokenPipeError:
            server.handle_error(None, ("127.0.0.1", 50001))
    finally:
        server.server_close()
    err = capfd.readouterr().err
    assert "Exception occurred during processing of request from ('127.0.0.1', 50000)" in err
    assert "ValueError: a fault of the server's own" in err
    assert "50001" not in err and "BrokenPipeError" not in err
