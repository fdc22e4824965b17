"""Cross-checks webhook signatures with the `standardwebhooks` library.

Reads JSON on stdin: {"secret": "whsec_...", "deliveries": [{"id", "timestamp", "signature",
"body_b64"}]}. Verifies every delivery, checks that a tampered body is refused, and signs a
fresh message for the caller to verify with its own verifier. Prints a JSON report.
"""

import base64
import json
import sys
import time
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> None:
    request = json.load(sys.stdin)
    webhook = Webhook(request["secret"])
    verified = []
    tampered_rejected = []
    for delivery in request["deliveries"]:
        body = base64.b64decode(delivery["body_b64"])
        headers = {
            "webhook-id": delivery["id"],
            "webhook-timestamp": delivery["timestamp"],
            "webhook-signature": delivery["signature"],
        }
        payload = webhook.verify(body, headers)
        verified.append(payload["status"])
        try:
            webhook.verify(body.replace(b"\"status\"", b"\"Status\""), headers)
            tampered_rejected.append(False)
        except WebhookVerificationError:
            tampered_rejected.append(True)

    body = '{"id":"cross-check","status":"succeeded"}'
    now = int(time.time())
    signature = webhook.sign("msg_crosscheck", datetime.fromtimestamp(now, tz=timezone.utc), body)
    json.dump({
        "verified": verified,
        "tampered_rejected": tampered_rejected,
        "signed": {"id": "msg_crosscheck", "timestamp": str(now), "signature": signature, "body": body},
    }, sys.stdout)


if __name__ == "__main__":
    main()
