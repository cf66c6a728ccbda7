#!/usr/bin/env python3
"""Verifies a webhook from kling-webhook-relay (Standard Webhooks) with Python's standard library only.

`verify` is the part to paste into an app; the rest is a small command line around it:

    WEBHOOK_KEY=whsec_... WEBHOOK_ID=msg_... WEBHOOK_TIMESTAMP=1781080794 \\
    WEBHOOK_SIGNATURE='v1,...' python3 verify.py < body.json

prints `verified` and exits 0, or prints why not and exits 1.

HMAC only (`whsec_` secrets, `v1` signatures): the standard library has no Ed25519, so `v1a`
signatures (`whpk_` public keys) need a package, e.g. `cryptography`'s Ed25519PublicKey.
"""
import os
import sys

# BEGIN verify
import base64
import binascii
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 5 * 60


def verify(secret, msg_id, timestamp, signature_header, body, now=None):
    """Whether a webhook is genuine.

    secret: your "whsec_..." secret. msg_id, timestamp, signature_header: the webhook-id,
    webhook-timestamp and webhook-signature headers. body: the raw body as bytes, exactly as received.
    """
    if not secret.startswith("whsec_"):
        return False  # a "whpk_" key (v1a, Ed25519) needs a library: the standard library has no Ed25519
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    content = f"{msg_id}.{timestamp}.".encode() + body
    expected = hmac.new(key, content, hashlib.sha256).digest()
    # Any one matching entry of the space-separated list will do ("v1,<base64> v1a,<base64> ...").
    for entry in signature_header.split(" "):
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            presented = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(presented, expected):
            return True
    return False
# END verify


def main():
    names = ["WEBHOOK_KEY", "WEBHOOK_ID", "WEBHOOK_TIMESTAMP", "WEBHOOK_SIGNATURE"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        print("missing " + ", ".join(missing))
        return 1
    key, msg_id, timestamp, signature = (os.environ[name] for name in names)
    body = sys.stdin.buffer.read()
    if verify(key, msg_id, timestamp, signature, body):
        print("verified")
        return 0
    if key.startswith("whpk_"):
        print("whpk_ keys (v1a, Ed25519) are not supported: Python's standard library has no Ed25519")
    elif not key.startswith("whsec_"):
        print("WEBHOOK_KEY is not whsec_...")
    elif not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        print("webhook-timestamp is not within 5 minutes of now")
    else:
        print("no matching signature")
    return 1


if __name__ == "__main__":
    sys.exit(main())
