"""A small round-robin HTTP load balancer for the N-instance test, standard library only.

  round_robin_proxy.py PORT_1 PORT_2 ...

Listens on a loopback port the kernel picks and prints `LISTENING <port>` once it accepts
connections. Each request goes to the next backend (127.0.0.1:PORT_i) in turn. A backend that
refuses the connection (a killed instance) is skipped for the next one, as a balancer's
"next upstream on connect error" does; a request that reached a backend which then died is
answered 502, never replayed, since the proxy cannot know what the backend did with it.

Every request is numbered and logged on stdout, so a test can see which instance holds or
received what: `BEGIN <method> <path> <backend> <n>` once it is sent to a backend, and
`ROUTE <method> <path> <backend or -> <status> <webhook-id or -> <n>` once it is answered.

Lifetime: exits when its stdin reaches end of file (the test process let go of it or ended).
"""
import http.client
import http.server
import itertools
import socket
import sys
import threading

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


def main():
    backends = [int(port) for port in sys.argv[1:]]
    if not backends:
        sys.exit("usage: round_robin_proxy.py PORT...")
    turn = itertools.count()
    lock = threading.Lock()
    log_lock = threading.Lock()

    def log(line):
        with log_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            with lock:
                first = next(turn)
            number = first
            webhook = self.headers.get("webhook-id") or "-"
            for step in range(len(backends)):
                index = (first + step) % len(backends)
                connection = http.client.HTTPConnection("127.0.0.1", backends[index], timeout=60)
                try:
                    connection.connect()
                except OSError:
                    connection.close()
                    continue
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    log(f"BEGIN {self.command} {self.path} {index} {number}")
                    response = connection.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    log(f"ROUTE {self.command} {self.path} {index} 502 {webhook} {number}")
                    return self.reply(502, f"backend {index} failed mid-request: {error}".encode())
                connection.close()
                log(f"ROUTE {self.command} {self.path} {index} {response.status} {webhook} {number}")
                return self.reply(response.status, payload, response.getheaders())
            log(f"ROUTE {self.command} {self.path} - 502 {webhook} {number}")
            return self.reply(502, b"no backend accepted the connection")

        def reply(self, status, payload, headers=()):
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"LISTENING {server.server_address[1]}")
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
