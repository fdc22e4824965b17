"""A small OTLP/HTTP trace receiver for the tracing test.

  otlp_receiver.py

Listens on a loopback port the kernel picks and prints `LISTENING <port>` once it accepts
connections. Every `POST /v1/traces` body (binary protobuf, gzip or not) is decoded with the
OpenTelemetry project's own generated classes (`opentelemetry-proto`), so what the server
sends is read by the reference definition of the format, not by our own parser. Each span
is printed as one line, `SPAN <json>`, with the ids in lowercase hex:

  {"trace_id", "span_id", "parent_span_id" ("" for a root), "name", "kind" (SERVER, CLIENT,
   INTERNAL, ...), "status" (UNSET, OK, ERROR), "service" (resource service.name),
   "attributes" {key: value}}

A body that does not decode is answered 400 and printed as `BAD <reason>`.

Lifetime: exits when its stdin reaches end of file (the test process let go of it or ended).
"""
import gzip
import http.server
import json
import sys
import threading

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

LOCK = threading.Lock()


def emit(line):
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def spans_of(request):
    for resource_spans in request.resource_spans:
        resource = {kv.key: value_of(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": trace_pb2.Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                    "status": trace_pb2.Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
                    "service": resource.get("service.name"),
                    "attributes": {kv.key: value_of(kv.value) for kv in span.attributes},
                }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != "/v1/traces":
            return self.answer(404, b"")
        try:
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            request = trace_service_pb2.ExportTraceServiceRequest()
            request.ParseFromString(body)
        except Exception as error:  # any decoding failure is the sender's
            emit(f"BAD {error!r}")
            return self.answer(400, b"")
        for span in spans_of(request):
            emit("SPAN " + json.dumps(span, sort_keys=True))
        self.answer(200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString())

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emit(f"LISTENING {server.server_address[1]}")
    sys.stdin.read()  # the lifeline: end of file means the test is gone
    server.shutdown()


if __name__ == "__main__":
    main()
