"""A gateway in front of moto_server that checks every request's AWS Signature V4 the way S3
does, because moto itself checks none. Requests whose signature botocore does not reproduce
are refused with S3's 403 SignatureDoesNotMatch; the rest are passed to moto unchanged.

  sigv4_gateway.py [--port P] (--upstream-port U | --with-moto) --access-key K --secret-key S

With --with-moto it runs moto_server itself, in this process, on a port the kernel picks; the
gateway's port is the kernel's pick too unless --port is given. Once both listen it prints one
line, `READY gateway=<port> moto=<port>`, so no port is chosen before its server binds it.

Header-signed requests: the Authorization header must name key K, sign at least host,
x-amz-date and x-amz-content-sha256, carry the body's SHA-256, be within 15 minutes of now,
and match botocore's S3SigV4Auth for the same method, URL, signed headers and body.
Presigned requests: X-Amz-Signature must match botocore's S3SigV4QueryAuth for the same URL
and X-Amz-Expires, and the URL must not have expired.
"""
import argparse
import datetime
import hashlib
import http.client
import http.server
import re
import sys
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")
TIMESTAMP = "%Y%m%dT%H%M%SZ"


def moment(timestamp):
    return datetime.datetime.strptime(timestamp, TIMESTAMP)


def frozen(timestamp):
    return mock.patch("botocore.auth.get_current_datetime", return_value=moment(timestamp))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Refusal(Exception):
    pass


class Gateway(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    settings = None

    def do_GET(self):
        self.relay()

    do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

    def log_message(self, format, *args):
        sys.stderr.write("gateway: " + (format % args) + "\n")

    def relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            if "X-Amz-Signature=" in urlsplit(self.path).query:
                self.verify_presigned()
            else:
                self.verify_header_signature(body)
        except Refusal as refusal:
            sys.stderr.write(f"gateway: refused {self.command} {self.path}: {refusal}\n")
            return self.answer(403, {"Content-Type": "application/xml"}, (
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>'
                "<Message>The request signature we calculated does not match the signature you provided. "
                f"Check your key and signing method. ({refusal})</Message>"
                "<SignatureProvided>refused-signature-never-to-be-shown</SignatureProvided>"
                "<StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>").encode())

        upstream = http.client.HTTPConnection("127.0.0.1", self.settings.upstream_port, timeout=30)
        upstream.request(self.command, self.path, body=body if body else None, headers=dict(self.headers.items()))
        response = upstream.getresponse()
        data = response.read()
        headers = {name: value for name, value in response.getheaders()
                   if name.lower() not in ("transfer-encoding", "connection", "content-length")}
        if self.command == "HEAD":
            headers["Content-Length"] = response.getheader("Content-Length", "0")
            data = b""
        self.answer(response.status, headers, data)
        upstream.close()

    def answer(self, status, headers, data):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def credentials(self, key):
        if key != self.settings.access_key:
            raise Refusal(f"unknown access key {key}")
        return Credentials(self.settings.access_key, self.settings.secret_key)

    def verify_header_signature(self, body):
        match = AUTHORIZATION.match(self.headers.get("Authorization", ""))
        if not match:
            raise Refusal("missing or malformed Authorization header")
        key, day, region, signed_names, signature = match.groups()
        credentials = self.credentials(key)
        names = signed_names.split(";")
        for required in ("host", "x-amz-date", "x-amz-content-sha256"):
            if required not in names:
                raise Refusal(f"{required} is not signed")
        timestamp = self.headers.get("X-Amz-Date", "")
        if timestamp[:8] != day:
            raise Refusal("credential date differs from x-amz-date")
        if abs((utc_now() - moment(timestamp)).total_seconds()) > 900:
            raise Refusal("request time too skewed")
        if self.headers.get("X-Amz-Content-SHA256") != hashlib.sha256(body).hexdigest():
            raise Refusal("x-amz-content-sha256 is not the body's hash")
        request = AWSRequest(method=self.command, url=f"http://{self.headers['Host']}{self.path}", data=body,
                             headers={name: self.headers[name] for name in names})
        with frozen(timestamp):
            botocore.auth.S3SigV4Auth(credentials, "s3", region).add_auth(request)
        expected = AUTHORIZATION.match(request.headers["Authorization"])
        if expected.group(4) != signed_names or expected.group(5) != signature:
            raise Refusal("signature mismatch")

    def verify_presigned(self):
        parts = urlsplit(self.path)
        items = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(items)
        try:
            key, day, region, service, terminator = params["X-Amz-Credential"].split("/")
            timestamp, expires = params["X-Amz-Date"], int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            raise Refusal("incomplete presigned URL")
        credentials = self.credentials(key)
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or service != "s3" or terminator != "aws4_request":
            raise Refusal("not a SigV4 S3 presigned URL")
        if not 1 <= expires <= 604800:
            raise Refusal("X-Amz-Expires out of range")
        if utc_now() > moment(timestamp) + datetime.timedelta(seconds=expires):
            raise Refusal("presigned URL expired")
        operation = [(name, value) for name, value in items if not name.startswith("X-Amz-")]
        url = f"http://{self.headers['Host']}{parts.path}"
        if operation:
            url += "?" + "&".join(f"{quote(n, safe='-_.~')}={quote(v, safe='-_.~')}" for n, v in operation)
        request = AWSRequest(method=self.command, url=url)
        with frozen(timestamp):
            botocore.auth.S3SigV4QueryAuth(credentials, "s3", region, expires=expires).add_auth(request)
        expected = dict(parse_qsl(urlsplit(request.url).query))["X-Amz-Signature"]
        if expected != params["X-Amz-Signature"]:
            raise Refusal("signature mismatch")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    upstream = parser.add_mutually_exclusive_group(required=True)
    upstream.add_argument("--upstream-port", type=int)
    upstream.add_argument("--with-moto", action="store_true")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    Gateway.settings = parser.parse_args()
    if Gateway.settings.with_moto:
        from moto.server import ThreadedMotoServer
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        Gateway.settings.upstream_port = moto.get_host_and_port()[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", Gateway.settings.port), Gateway)
    server.daemon_threads = True
    print(f"READY gateway={server.server_address[1]} moto={Gateway.settings.upstream_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
