"""The serving loop shared by the test peers that are scripts (the IMDS, container and SSO emulators, the STS fault
proxy)."""

import argparse
import os
import sys
import threading
from http.server import ThreadingHTTPServer


def serve(server, *, exit_with_stdin: bool, port_file: str | None = None) -> int:
    """Announces the port (on stdout, and atomically in `port_file` if given), then serves until interrupted or,
    with `exit_with_stdin`, until stdin closes, so that a peer dies with the test process that started it."""
    server.daemon_threads = True
    port = server.server_address[1]
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(port_file + ".tmp", port_file)
    print(f"listening on {port}", flush=True)
    if exit_with_stdin:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            server.shutdown()
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def main(handler, description: str) -> int:
    """The command line of an emulator script: `--port` (0: any free one), `--port-file`, `--exit-with-stdin`; serves
    `handler` on loopback with ``serve``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--exit-with-stdin", action="store_true")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    return serve(server, exit_with_stdin=args.exit_with_stdin, port_file=args.port_file)
