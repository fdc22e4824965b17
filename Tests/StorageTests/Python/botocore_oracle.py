"""What botocore does with the requests the Storage tests describe, as JSON on stdout.

  sign        stdin: {"accessKeyId", "secretAccessKey", "region", "cases": [...]}
              Each case: {"name", "kind": "header" | "presign" | "client-presign", "method",
              "scheme", "host", "path" (decoded), "query": [[name, value], ...],
              "headers": [[name, value], ...], "bodyBase64", "epochSeconds", "expiresIn", "endpointPath"}.
              "client-presign" asks a whole boto3 client (endpoint {scheme}://{host}{endpointPath})
              for a presigned GetObject of path "/{bucket}/{key}".
              Prints [{"name", "url", "headers": [[name, value], ...], "canonicalRequest"}].
  list-keys   argv: endpoint region bucket; credentials from S3_ACCESS_KEY_ID and
              S3_SECRET_ACCESS_KEY. Prints [{"key", "size", "contentType"}] as boto3 sees them.
"""
import base64
import datetime
import json
import os
import sys
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence


def frozen(epoch_seconds):
    moment = datetime.datetime.fromtimestamp(epoch_seconds, datetime.timezone.utc).replace(tzinfo=None)
    return mock.patch("botocore.auth.get_current_datetime", return_value=moment)


def sign(spec):
    credentials = Credentials(spec["accessKeyId"], spec["secretAccessKey"])
    region = spec["region"]
    results = []
    for case in spec["cases"]:
        encoded_path = percent_encode(case["path"], safe="/~")
        url = f'{case["scheme"]}://{case["host"]}{encoded_path}'
        if case.get("query"):
            url += "?" + percent_encode_sequence([tuple(item) for item in case["query"]])
        body = base64.b64decode(case.get("bodyBase64", ""))
        result = {"name": case["name"]}
        with frozen(case["epochSeconds"]):
            if case["kind"] == "client-presign":
                # The whole client: its serializer encodes the key, its signer presigns.
                client = boto3.client(
                    "s3", endpoint_url=f'{case["scheme"]}://{case["host"]}{case.get("endpointPath", "")}',
                    region_name=region,
                    aws_access_key_id=spec["accessKeyId"], aws_secret_access_key=spec["secretAccessKey"],
                    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
                bucket, key = case["path"].lstrip("/").split("/", 1)
                result["url"] = client.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=case["expiresIn"])
            elif case["kind"] == "presign":
                request = AWSRequest(method=case["method"], url=url)
                auth = botocore.auth.S3SigV4QueryAuth(credentials, "s3", region, expires=case["expiresIn"])
                auth.add_auth(request)
                result["url"] = request.url
            else:
                request = AWSRequest(method=case["method"], url=url, data=body,
                                     headers={name: value for name, value in case.get("headers", [])})
                auth = botocore.auth.S3SigV4Auth(credentials, "s3", region)
                signed = auth.canonical_request
                captured = {}

                def capture(request_being_signed):
                    captured["canonicalRequest"] = signed(request_being_signed)
                    return captured["canonicalRequest"]

                auth.canonical_request = capture
                auth.add_auth(request)
                result["url"] = request.url
                result["headers"] = [[name, value] for name, value in request.headers.items()]
                result["canonicalRequest"] = captured["canonicalRequest"]
        results.append(result)
    return results


def list_keys(endpoint, region, bucket):
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"], aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    found = []
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        head = client.head_object(Bucket=bucket, Key=item["Key"])
        found.append({"key": item["Key"], "size": item["Size"], "contentType": head["ContentType"]})
    return found


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "sign":
        output = sign(json.load(sys.stdin))
    elif command == "list-keys":
        output = list_keys(*sys.argv[2:5])
    else:
        sys.exit(f"unknown command {command}")
    json.dump(output, sys.stdout, ensure_ascii=False)
