#!/usr/bin/env python3
"""Independent oracle for MS-SIPAE NTLM (connectionless) built on pyspnego primitives.

Reads JSON on stdin:
  {"user": "...", "domain": "...", "password": "...",
   "challenge_b64": "...", "authenticate_b64": "...",
   "messages": [{"data": "<signature string>", "seq": 100, "direction": "client"|"server"}]}
Prints JSON on stdout:
  {"nt_proof_ok": bool, "mic": "absent"|"ok"|"bad", "signatures": ["<32 hex>", ...]}

Recipe (deps-and-peers.md 3.8): rk = NTOWFv2; check NTProofStr; SessionBaseKey = KXK;
ExportedSessionKey = RC4K(KXK, EncryptedRandomSessionKey) when KEY_EXCH; sign/seal keys;
datagram MAC with a per-message RC4 key MD5(SealKey || LE32(seq)).
Exit status 2 when pyspnego is missing (the Rust test then skips or fails per SFB_REQUIRE_PEERS).
"""
import base64
import hashlib
import json
import struct
import sys

try:
    from spnego._ntlm_raw import crypto as C
    from spnego._ntlm_raw.messages import Authenticate, Challenge, NegotiateFlags
except ImportError as e:  # pragma: no cover
    print(f"pyspnego not available: {e}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    req = json.load(sys.stdin)
    chal_b = base64.b64decode(req["challenge_b64"])
    auth_b = base64.b64decode(req["authenticate_b64"])
    chal = Challenge.unpack(chal_b)
    auth = Authenticate.unpack(auth_b)
    flags = auth.flags

    rk = C.ntowfv2(req["user"], C.ntowfv1(req["password"]), req["domain"])
    nt = auth.nt_challenge_response
    proof, temp = nt[:16], nt[16:]
    expected_proof = C.hmac_md5(rk, chal.server_challenge + temp)
    nt_proof_ok = expected_proof == proof

    kxk = C.hmac_md5(rk, expected_proof)
    if flags & NegotiateFlags.key_exch:
        esk = C.rc4k(kxk, auth.encrypted_random_session_key)
    else:
        esk = kxk

    mic = "absent"
    if auth.mic is not None and auth.mic != b"\x00" * 16:
        off = 72  # [MS-NLMP] 2.2.1.3: the MIC follows the 8-byte Version field
        zeroed = auth_b[:off] + b"\x00" * 16 + auth_b[off + 16:]
        mic = "ok" if C.hmac_md5(esk, chal_b + zeroed) == auth.mic else "bad"

    keys = {
        "client": (C.signkey(flags, esk, "initiate"), C.sealkey(flags, esk, "initiate")),
        "server": (C.signkey(flags, esk, "accept"), C.sealkey(flags, esk, "accept")),
    }
    sigs = []
    for m in req.get("messages", []):
        sign, seal = keys[m["direction"]]
        seq = struct.pack("<I", m["seq"])
        checksum = C.hmac_md5(sign, seq + m["data"].encode("utf-8"))[:8]
        if flags & NegotiateFlags.key_exch:
            handle = C.rc4init(hashlib.md5(seal + seq).digest())
            checksum = C.rc4(handle, checksum)
        sigs.append((b"\x01\x00\x00\x00" + checksum + seq).hex())

    json.dump({"nt_proof_ok": nt_proof_ok, "mic": mic, "signatures": sigs}, sys.stdout)


if __name__ == "__main__":
    main()
