"""Drives the Replicate emulator with Replicate's official Python client.

Environment: EMULATOR_ROOT (http://127.0.0.1:<port>, without /v1 — the client adds it),
EMULATOR_TOKEN. Prints one JSON report on stdout; any failed expectation exits non-zero.
"""

import json
import os
import sys
import urllib.request

import replicate
from replicate.exceptions import ReplicateError
from replicate.helpers import FileOutput


def queue_fault(plan: dict) -> None:
    """Queues a fault plan for the next create, as the emulator's operator does: through its
    control endpoint, with its token (nothing in a prediction's input can ask for one)."""
    request = urllib.request.Request(
        os.environ["EMULATOR_ROOT"] + "/v1/_emulator/faults", data=json.dumps(plan).encode(), method="POST",
        headers={"Authorization": "Bearer " + os.environ["EMULATOR_TOKEN"], "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201, response.status


def main() -> None:
    client = replicate.Client(api_token=os.environ["EMULATOR_TOKEN"], base_url=os.environ["EMULATOR_ROOT"])
    client.poll_interval = 0.05
    report = {"client_version": replicate.__version__ if hasattr(replicate, "__version__") else None}

    # Official model endpoint, then wait by polling, as an app would.
    prediction = client.models.predictions.create(
        model="openai/gpt-image-1",
        input={"prompt": "A Coastal AU living room", "aspect_ratio": "3:2", "number_of_images": 2,
               "output_format": "png"},
    )
    report["created_status"] = prediction.status
    prediction.wait()
    report["status"] = prediction.status
    report["model"] = prediction.model
    report["outputs"] = prediction.output
    image = FileOutput(prediction.output[0], client).read()
    report["downloaded_bytes"] = len(image)
    report["downloaded_is_png"] = image[:8] == b"\x89PNG\r\n\x1a\n"
    report["metrics"] = prediction.metrics

    # The same through a version id, and through replicate.run (Prefer: wait).
    by_version = client.predictions.create(version=prediction.version, input={"prompt": "A Japandi bedroom"})
    by_version.wait()
    report["version_status"] = by_version.status
    run_output = client.run("openai/gpt-image-1", input={"prompt": "A Scandi AU kitchen", "output_format": "png"})
    report["run_outputs"] = [str(item) for item in run_output]

    # Cancel a prediction that would never end by itself.
    queue_fault({"outcome": "hang"})
    stuck = client.models.predictions.create(model="openai/gpt-image-1", input={"prompt": "A laundry"})
    stuck.cancel()
    report["canceled_status"] = stuck.status

    # A failed prediction surfaces as the model's error.
    queue_fault({"outcome": "fail", "error": "out of memory"})
    failed = client.models.predictions.create(model="openai/gpt-image-1", input={"prompt": "A bathroom"})
    failed.wait()
    report["failed_status"] = failed.status
    report["failed_error"] = failed.error

    # Invalid input is a 422 problem the client parses.
    try:
        client.models.predictions.create(model="openai/gpt-image-1", input={"aspect_ratio": "1:1"})
        report["invalid_status"] = None
    except ReplicateError as error:
        report["invalid_status"] = error.status
        report["invalid_detail"] = error.detail

    # A wrong token is a 401 problem.
    try:
        replicate.Client(api_token="r8_wrong", base_url=os.environ["EMULATOR_ROOT"]).predictions.get(prediction.id)
        report["unauthorised_status"] = None
    except ReplicateError as error:
        report["unauthorised_status"] = error.status

    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
