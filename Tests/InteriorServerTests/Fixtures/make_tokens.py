"""Writes tokens.json: access-token vectors made with PyJWT, an implementation independent
of the server's, for the auth tests. Run with the test virtualenv's python:
    .build-venv/bin/python Tests/InteriorServerTests/Fixtures/make_tokens.py
The keys are generated afresh and only their public halves are kept."""
import base64, hashlib, hmac, json, os

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

HS_SECRET = "test-only-hs256-secret-0123456789abcdef0123"
OTHER_SECRET = "another-hs256-secret-not-the-one-configured"
SUB = "0b7f3c52-8f3e-4c39-9a0b-4f1d2e6a9c11"
FAR = 4102444800          # 2100-01-01
EDGE = 1780000000         # 2026-05-28T20:26:40Z, for leeway tests
PAST = 1700000000         # 2023-11-14

def claims(**over):
    c = {"sub": SUB, "aud": "authenticated", "exp": FAR, "iat": PAST, "email": "ada@example.com", "role": "authenticated"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec1 = ec.generate_private_key(ec.SECP256R1())

def jwk(key, kid, alg, algorithm):
    d = json.loads(algorithm.to_jwk(key.public_key()))
    d.update({"kid": kid, "alg": alg, "use": "sig"})
    return d

jwks1 = {"keys": [jwk(rsa1, "rsa-1", "RS256", RSAAlgorithm), jwk(ec1, "ec-1", "ES256", ECAlgorithm)]}
jwks2 = {"keys": jwks1["keys"] + [jwk(rsa2, "rsa-2", "RS256", RSAAlgorithm)]}

hs = lambda c, secret=HS_SECRET, **h: jwt.encode(c, secret, algorithm="HS256", headers=h or None)
tokens = {
    "hs256_valid": hs(claims()),
    "hs256_aud_list": hs(claims(aud=["other", "authenticated"])),
    "hs256_expired": hs(claims(exp=PAST)),
    "hs256_exp_edge": hs(claims(exp=EDGE)),
    "hs256_nbf_edge": hs(claims(nbf=EDGE)),
    "hs256_iat_edge": hs(claims(iat=EDGE)),
    "hs256_iat_future": hs(claims(iat=EDGE + 3600)),
    "hs256_crit": hs(claims(), crit=["exp"]),
    "hs256_crit_unknown": hs(claims(), crit=["urn:example:unknown"], **{"urn:example:unknown": True}),
    "hs256_no_exp": hs(claims(exp=None)),
    "hs256_wrong_aud": hs(claims(aud="anon")),
    "hs256_no_aud": hs(claims(aud=None)),
    "hs256_sub_not_uuid": hs(claims(sub="user-1")),
    "hs256_no_email": hs(claims(email=None)),
    "hs256_wrong_secret": hs(claims(), secret=OTHER_SECRET),
    "hs512": jwt.encode(claims(), HS_SECRET, algorithm="HS512"),
    "none_alg": jwt.encode(claims(), None, algorithm="none"),
    "rs256_valid": jwt.encode(claims(), rsa1, algorithm="RS256", headers={"kid": "rsa-1"}),
    "es256_valid": jwt.encode(claims(), ec1, algorithm="ES256", headers={"kid": "ec-1"}),
    "rs256_rotated_kid": jwt.encode(claims(), rsa2, algorithm="RS256", headers={"kid": "rsa-2"}),
    "rs256_no_kid": jwt.encode(claims(), rsa1, algorithm="RS256"),
    "rs256_wrong_key": jwt.encode(claims(), rsa2, algorithm="RS256", headers={"kid": "rsa-1"}),
    "rs256_expired": jwt.encode(claims(exp=PAST), rsa1, algorithm="RS256", headers={"kid": "rsa-1"}),
}

# A payload swapped under a valid signature.
h, p, s = tokens["hs256_valid"].split(".")
tokens["hs256_tampered"] = ".".join([h, b64(json.dumps(claims(sub="9d6b1a1e-0000-4000-8000-000000000000")).encode()), s])

# Algorithm confusion: HS256 keyed with the RSA public key (PEM), header naming the RSA kid.
pem = rsa1.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
for name, header in [("confusion_hs256_rsa_pem", {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}),
                     ("confusion_hs256_rsa_pem_nokid", {"alg": "HS256", "typ": "JWT"})]:
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims()).encode())
    sig = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    tokens[name] = signing_input + "." + b64(sig)

# An RS256 signature under a header that claims ES256 for the RSA key.
h2 = b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "rsa-1"}).encode())
_, p2, s2 = tokens["rs256_valid"].split(".")
tokens["alg_mismatch_es256_header"] = ".".join([h2, p2, s2])

out = {"hs256Secret": HS_SECRET, "subject": SUB, "edge": EDGE, "jwks": jwks1, "jwksRotated": jwks2, "tokens": tokens}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
print("wrote", path)
