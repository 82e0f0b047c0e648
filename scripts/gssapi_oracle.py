#!/usr/bin/env python3
"""Independent MIT krb5 GSS-API oracle (python3-gssapi) for the MS-SIPAE Kerberos tests.

Reads one JSON request on stdin, writes one JSON reply on stdout. Binary values are base64.

  {"mode": "accept", "token": b64, "mics": [[data, mic], ...], "sign": [data, ...]}
      Acceptor with the keytab in $KRB5_KTNAME: accepts the GSS-framed AP-REQ, verifies each
      client MIC (ctx.verify_signature) and signs each "sign" buffer with the acceptor's MIC.
      -> {"complete": bool, "initiator": str, "verified": [bool|error str], "mics": [b64]}

  {"mode": "initiate", "target": "sip@sip.contoso.test", "sign": [data, ...]}
      Initiator from the ccache in $KRB5CCNAME, integrity only (no mutual auth, as MS-SIPAE).
      -> {"complete": bool, "token": b64, "mics": [b64]}
"""
import base64
import json
import sys

import gssapi


def b64d(s):
    return base64.b64decode(s)


def b64e(b):
    return base64.b64encode(b).decode()


def accept(req):
    creds = gssapi.Credentials(usage="accept")
    ctx = gssapi.SecurityContext(creds=creds, usage="accept")
    out = ctx.step(b64d(req["token"]))
    verified = []
    for data, mic in req.get("mics", []):
        try:
            ctx.verify_signature(b64d(data), b64d(mic))
            verified.append(True)
        except gssapi.exceptions.GSSError as e:  # report, do not crash: the test asserts
            verified.append(str(e).splitlines()[0])
    mics = [b64e(ctx.get_signature(b64d(d))) for d in req.get("sign", [])]
    return {
        "complete": bool(ctx.complete),
        "ap_rep": out is not None and len(out) > 0,
        "initiator": str(ctx.initiator_name),
        "verified": verified,
        "mics": mics,
    }


def initiate(req):
    name = gssapi.Name(req["target"], gssapi.NameType.hostbased_service)
    ctx = gssapi.SecurityContext(
        name=name,
        usage="initiate",
        mech=gssapi.MechType.kerberos,
        flags=gssapi.RequirementFlag.integrity,
    )
    token = ctx.step()
    mics = [b64e(ctx.get_signature(b64d(d))) for d in req.get("sign", [])]
    return {"complete": bool(ctx.complete), "token": b64e(token), "mics": mics}


def main():
    req = json.load(sys.stdin)
    try:
        reply = {"accept": accept, "initiate": initiate}[req["mode"]](req)
    except gssapi.exceptions.GSSError as e:
        reply = {"error": str(e)}
    json.dump(reply, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
