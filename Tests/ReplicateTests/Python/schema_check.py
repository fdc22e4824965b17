"""Checks model inputs and outputs against the models' published JSON Schemas.

Reads a JSON list of cases on stdin and writes a JSON report on stdout:

  {"kind": "input", "model": "google/nano-banana", "name": "...", "value": {...}}
      valid when the value validates against the model's input schema, made strict: a field
      the schema does not declare is an error too (Replicate ignores unknown fields, so a
      mapping that sends one would silently lose it).
  {"kind": "output", "model": "...", "name": "...", "value": ...}
      valid when the value validates against the model's output schema.
  {"kind": "sample-output", "model": "...", "name": "..."}
      answers an output shaped by the output schema (one URI or a list of URIs), checked
      against it, for the caller to decode.

The report is {"results": [{"name", "valid", "errors": [...], "sample"?}], "uriChecked": bool}.
Formats are checked ("uri" needs rfc3986-validator, which the test virtualenv installs).
"""
import copy
import json
import os
import sys

from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Schemas")


def load(model):
    with open(os.path.join(SCHEMAS, model.replace("/", "__") + ".json")) as handle:
        return json.load(handle)


def strict(schema):
    schema = copy.deepcopy(schema)
    schema["additionalProperties"] = False
    return schema


def sample(schema):
    uri = "https://replicate.delivery/xezq/0123456789abcdef/out-0.png"
    if schema.get("type") == "array":
        return [uri, uri.replace("out-0", "out-1")]
    return uri


def main():
    cases = json.load(sys.stdin)
    checker = FormatChecker()
    results = []
    for case in cases:
        document = load(case["model"])
        kind = case["kind"]
        if kind == "input":
            validator = Draft202012Validator(strict(document["input"]), format_checker=checker)
            value = case["value"]
        else:
            validator = Draft202012Validator(document["output"], format_checker=checker)
            value = sample(document["output"]) if kind == "sample-output" else case["value"]
        errors = sorted(
            "/".join(str(part) for part in error.absolute_path) + ": " + error.message
            for error in validator.iter_errors(value)
        )
        result = {"name": case["name"], "valid": not errors, "errors": errors}
        if kind == "sample-output":
            result["sample"] = value
        results.append(result)
    uri_checked = not checker.conforms("not a uri", "uri")
    json.dump({"results": results, "uriChecked": uri_checked}, sys.stdout)


if __name__ == "__main__":
    main()
