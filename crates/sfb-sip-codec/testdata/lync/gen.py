#!/usr/bin/env python3
"""Generate and check the Lync / Skype for Business SIP test messages in this folder.

    python3 gen.py          # (re)write every *.sip file, then check them all
    python3 gen.py --check  # only check the committed files

Every message is written with CRLF line ends and a Content-Length equal to the byte length
of its body (UTF-8). Messages marked VERBATIM are copied byte for byte from
/work/shared/vectors/sipe-vectors.txt (a real OC 2007 R2 exchange quoted by the pidgin-sipe
unit tests); the others are built from /work/shared/reference/protocol.md (see README.md).

Signatures marked DERIVED are computed here with the NTLM session keys derived in
sipe-vectors.txt 8.6; self_test() first reproduces the published vectors 8.10 and 8.13 with
the same code, so those signatures verify with the same recipe.
"""

import hashlib
import hmac
import os
import re
import struct
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------
# Helpers: instance UUID from epid (sipe-vectors 9.5), NTLM SIP signature (8.14)
# --------------------------------------------------------------------------------------


def instance_from_epid(epid):
    """[MS-SIPRE] / sipe-vectors 9.5: SHA-1 name-based UUID over namespace || epid."""
    ns = uuid.UUID("fcacfb03-8a73-46ef-91b1-e5ebeeaba4fe")
    digest = hashlib.sha1(ns.bytes_le + epid.encode("ascii")).digest()[:16]
    raw = bytearray(uuid.UUID(bytes_le=digest).bytes)
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for c in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def ntlm_sip_mac(sign_key_hex, seal_key_hex, text):
    """sipe-vectors 8.14: 01000000 || RC4(MD5(seal||seq), HMAC_MD5(sign, seq||text)[:8]) || seq."""
    seq = struct.pack("<I", 100)
    sign = bytes.fromhex(sign_key_hex)
    seal = bytes.fromhex(seal_key_hex)
    checksum = hmac.new(sign, seq + text.encode("utf-8"), hashlib.md5).digest()[:8]
    return b"\x01\x00\x00\x00" + rc4(hashlib.md5(seal + seq).digest(), checksum) + seq


# sipe-vectors 8.6 [DERIVED] keys of the COSMO exchange
CLIENT_SIGN = "EA5E87C195AE65338F7C023E7600690D"
CLIENT_SEAL = "83013A189002D3ABAD49C4C8F605ECC8"
SERVER_SIGN = "0151FE94DBA8C83F3C6A6E5444AE54B4"
SERVER_SEAL = "2A2E34E8D420C039E8F31CB9E8E0CD88"


def self_test():
    assert instance_from_epid("01010101") == "4b1682a8-f968-5701-83fc-7c6741dc6697"  # 9.5
    assert instance_from_epid("c8ca638a15") == "34d859db-6585-5f91-a3b4-de853c15347d"  # 8.8
    s89 = ("<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
           "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local><3e49177a52>"
           "<sip:user@cosmo.local><><><><>")
    assert ntlm_sip_mac(CLIENT_SIGN, CLIENT_SEAL, s89).hex().upper() == \
        "0100000029618E9651B65A7764000000"  # 8.10
    s812 = ("<NTLM><9616454F><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
            "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local><3e49177a52>"
            "<sip:user@cosmo.local><5E61CCD925D17E043D9A74835A88F664><><><7200><200>")
    assert ntlm_sip_mac(SERVER_SIGN, SERVER_SEAL, s812).hex().upper() == \
        "01000000E615438A917661BE64000000"  # 8.13


# --------------------------------------------------------------------------------------
# Message builder
# --------------------------------------------------------------------------------------

MESSAGES = {}


def msg(name, start, headers, body="", content_length=True):
    """Register a message: start line, header lines (without CRLF), body text (LF or CRLF ok)."""
    body_bytes = body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    lines = [start] + list(headers)
    if content_length:
        lines.append(f"Content-Length: {len(body_bytes)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body_bytes
    assert name not in MESSAGES
    MESSAGES[name] = data


# ---- The real OC 2007 R2 NTLM v4 exchange (sipe-vectors group 8), domain cosmo.local ----

TYPE2_B64 = (
    "TlRMTVNTUAACAAAAAAAAADgAAADzgpji3Ruq9OfiGNEAAAAAAAAAAJYAlgA4AAAABQLODgAAAA8CAAoAQwBPAFMATQBP"
    "AAEAGABDAE8AUwBNAE8ALQBPAEMAUwAtAFIAMgAEABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8A"
    "LQBvAGMAcwAtAHIAMgAuAGMAbwBzAG0AbwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAA="
)
TYPE3_B64 = (
    "TlRMTVNTUAADAAAAGAAYAHIAAADGAMYAigAAAAoACgBIAAAACAAIAFIAAAAYABgAWgAAABAAEABQAQAAVYKYYgUCzg4A"
    "AAAPQwBPAFMATQBPAFUAcwBlAHIAQwBPAFMATQBPAC0ATwBDAFMALQBSADIAoeku/k4Hi/fFwASazGFmwtauh1yw/apB"
    "jcDIAK527KYG0rn769BHMQEBAAAAAAAAWVGaFye5ygHWrodcsP2qQQAAAAACAAoAQwBPAFMATQBPAAEAGABDAE8AUwBN"
    "AE8ALQBPAEMAUwAtAFIAMgAEABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8ALQBvAGMAcwAtAHIA"
    "MgAuAGMAbwBzAG0AbwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAAAAAAAMctznhyoCkmF"
    "keiueXEV5A=="
)
COSMO_REALM = "SIP Communications Service"
COSMO_TARGET = "cosmo-ocs-r2.cosmo.local"
COSMO_CALLID = "4037df9284354df39065195bd57a4b14"
COSMO_FROM = "From: <sip:user@cosmo.local>;tag=3e49177a52;epid=c8ca638a15"
COSMO_CONTACT = (
    'Contact: <sip:192.168.172.6:12723;transport=tls;ms-opaque=fad3dfab32>;methods="INVITE, '
    'MESSAGE, INFO, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY";proxy=replace;'
    '+sip.instance="<urn:uuid:34D859DB-6585-5F91-A3B4-DE853C15347D>"'
)
COSMO_UA = "User-Agent: UCCAPI/3.5.6907.0 OC/3.5.6907.0 (Microsoft Office Communicator 2007 R2)"


def cosmo_register(cseq, auth_header_name, auth_value):
    return [
        "Via: SIP/2.0/TLS 192.168.172.6:12723",
        "Max-Forwards: 70",
        COSMO_FROM,
        "To: <sip:user@cosmo.local>",
        f"Call-ID: {COSMO_CALLID}",
        f"CSeq: {cseq} REGISTER",
        COSMO_CONTACT,
        COSMO_UA,
        "Supported: gruu-10, adhoclist, msrtc-event-categories",
        "Supported: ms-forking",
        "ms-keep-alive: UAC;hop-hop=yes",
        "Event: registration",
    ] + ([f"{auth_header_name}: {auth_value}"] if auth_value else [])


NTLM_FINAL = (
    f'NTLM qop="auth", realm="{COSMO_REALM}", opaque="2BDBAC9D", targetname="{COSMO_TARGET}", '
    f'version=4, gssapi-data="{TYPE3_B64}", crand="13317733", cnum="1", '
    'response="0100000029618e9651b65a7764000000"'
)

# VERBATIM sipe-vectors 8.8: the real client REGISTER with the final NTLM token (Proxy-Authorization)
msg("register-ntlm-auth-proxy.sip", "REGISTER sip:cosmo.local SIP/2.0",
    cosmo_register(3, "Proxy-Authorization", NTLM_FINAL))

# 8.8 with the header named Authorization (answer to a 401, as the brief and pidgin-sipe do it)
msg("register-ntlm-auth.sip", "REGISTER sip:cosmo.local SIP/2.0",
    cosmo_register(3, "Authorization", NTLM_FINAL))

# step 2 of the NTLM handshake (protocol.md 3.4): empty gssapi-data
msg("register-ntlm-negotiate.sip", "REGISTER sip:cosmo.local SIP/2.0",
    cosmo_register(2, "Authorization",
                   f'NTLM qop="auth", realm="{COSMO_REALM}", targetname="{COSMO_TARGET}", '
                   'gssapi-data="", version=4'))

# the 401 carrying the real CHALLENGE_MESSAGE of 8.2 (protocol.md 3.4 step 2 answer)
msg("401-ntlm-challenge.sip", "SIP/2.0 401 Unauthorized", [
    "Date: Mon, 01 Mar 2010 10:08:08 GMT",
    f'WWW-Authenticate: NTLM opaque="2BDBAC9D", gssapi-data="{TYPE2_B64}", '
    f'targetname="{COSMO_TARGET}", realm="{COSMO_REALM}", version=4',
    COSMO_FROM,
    "To: <sip:user@cosmo.local>;tag=5E61CCD925D17E043D9A74835A88F664",
    f"Call-ID: {COSMO_CALLID}",
    "CSeq: 2 REGISTER",
    "Via: SIP/2.0/TLS 192.168.172.6:12723;ms-received-port=12723;ms-received-cid=2600",
])

# VERBATIM sipe-vectors 8.11: the real server 200 OK, rspauth verifies (8.13)
msg("200-ok-register.sip", "SIP/2.0 200 OK", [
    "ms-keep-alive: UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300",
    'Authentication-Info: NTLM rspauth="01000000E615438A917661BE64000000", srand="9616454F", '
    f'snum="1", opaque="2BDBAC9D", qop="auth", targetname="{COSMO_TARGET}", realm="{COSMO_REALM}"',
    'From: "User"<sip:user@cosmo.local>;tag=3e49177a52;epid=c8ca638a15',
    "To: <sip:user@cosmo.local>;tag=5E61CCD925D17E043D9A74835A88F664",
    f"Call-ID: {COSMO_CALLID}",
    "CSeq: 3 REGISTER",
    "Via: SIP/2.0/TLS 192.168.172.6:12723;ms-received-port=12723;ms-received-cid=2600",
    "Contact: <sip:192.168.172.6:12723;transport=tls;ms-opaque=fad3dfab32;ms-received-cid=2600>;"
    'expires=7200;+sip.instance="<urn:uuid:34d859db-6585-5f91-a3b4-de853c15347d>";'
    'gruu="sip:user@cosmo.local;opaque=user:epid:21nYNIVlkV-jtN6FPBU0fQAA;gruu"',
    "Expires: 7200",
    'presence-state: register-action="added"',
    "Allow-Events: vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,"
    "vnd-microsoft-roaming-ACL,presence,presence.wpending,vnd-microsoft-roaming-self,"
    "vnd-microsoft-provisioning-v2",
    "Supported: adhoclist",
    "Server: RTC/3.5",
    "Supported: msrtc-event-categories",
])

# DERIVED: the next, purely signed re-REGISTER on the same SA (cnum 2, no gssapi-data)
_crand, _cnum, _cseq = "5a0e7c21", "2", "4"
_sig = ntlm_sip_mac(CLIENT_SIGN, CLIENT_SEAL,
                    f"<NTLM><{_crand}><{_cnum}><{COSMO_REALM}><{COSMO_TARGET}><{COSMO_CALLID}>"
                    f"<{_cseq}><REGISTER><sip:user@cosmo.local><3e49177a52>"
                    "<sip:user@cosmo.local><><><><>").hex()
msg("register-ntlm-signed.sip", "REGISTER sip:cosmo.local SIP/2.0",
    cosmo_register(_cseq, "Authorization",
                   f'NTLM qop="auth", opaque="2BDBAC9D", realm="{COSMO_REALM}", '
                   f'targetname="{COSMO_TARGET}", crand="{_crand}", cnum="{_cnum}", '
                   f'response="{_sig}"'))

# ---- A Skype for Business 2016 client against contoso.com (built from protocol.md) ----

EPID = "a1b2c3d4e5"
INSTANCE = instance_from_epid(EPID)
CALLID = "6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60"
FROM = f"From: <sip:alice@contoso.com>;tag=7d3a1f0c9b;epid={EPID}"
TO_TAG = "E4B1C7A2F0D95E3B8C6A1D4F2B7E9C05"
VIA = "Via: SIP/2.0/TLS 10.0.0.5:51034;branch=z9hG4bK6C2A5E1F.0D8B4A37"
VIA_RCVD = VIA + ";ms-received-port=51034;ms-received-cid=4A00"
SFB_UA = "User-Agent: UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)"
FE = "sfbfe01.contoso.com"
REALM = "SIP Communications Service"
CONTACT = (
    'Contact: <sip:10.0.0.5:51034;transport=tls;ms-opaque=d3470f2e1d>;methods="INVITE, MESSAGE, '
    'INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY";proxy=replace;'
    f'+sip.instance="<urn:uuid:{INSTANCE}>"'
)
GRUU = f"sip:alice@contoso.com;opaque=user:epid:9zqH1mVnR02Dc7Lw4xK3yAAA;gruu"

msg("register-unauth.sip", "REGISTER sip:contoso.com SIP/2.0", [
    VIA,
    "Max-Forwards: 70",
    FROM,
    "To: <sip:alice@contoso.com>",
    f"Call-ID: {CALLID}",
    "CSeq: 1 REGISTER",
    CONTACT,
    SFB_UA,
    "Supported: gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence",
    "Supported: ms-forking",
    "Supported: ms-cluster-failover",
    "Supported: ms-userservices-state-notification",
    "ms-keep-alive: UAC;hop-hop=yes",
    "Event: registration",
    "Allow-Events: presence",
])


def resp_common(cseq, method="REGISTER", to_tag=TO_TAG, via=VIA_RCVD):
    return [
        FROM,
        f"To: <sip:alice@contoso.com>;tag={to_tag}",
        f"Call-ID: {CALLID}",
        f"CSeq: {cseq} {method}",
        via,
    ]


msg("401-three-offers.sip", "SIP/2.0 401 Unauthorized", [
    "Date: Thu, 04 Jun 2020 08:15:02 GMT",
    f'WWW-Authenticate: NTLM realm="{REALM}", targetname="{FE}", version=4',
    f'WWW-Authenticate: Kerberos realm="{REALM}", targetname="sip/{FE}", version=4',
    f'WWW-Authenticate: TLS-DSK realm="{REALM}", targetname="{FE}", version=4, '
    f'sts-uri="https://{FE}:443/CertProv/CertProvisioningService.svc"',
] + resp_common(1) + ["Server: RTC/6.0"])

TLSDSK_AUTH_INFO = (
    'Authentication-Info: TLS-DSK qop="auth", opaque="9A3C5E71", srand="3F1A9C07", snum="{snum}", '
    'rspauth="{rspauth}", targetname="' + FE + '", realm="' + REALM + '", version=4'
)

# 301 from a non-home pool: Contact is a bare URI, not in <> (protocol.md 5, sipe-notes 301)
msg("301-bare-contact.sip", "SIP/2.0 301 Redirect request to Home Server", [
    TLSDSK_AUTH_INFO.format(snum="1", rspauth="2d5e8f1a7c3b9e0d4f6a1c8e5b2d7f0a9c3e6b1d"),
    "Contact: sip:pool2.contoso.com:5061;transport=tls",
] + resp_common(3) + ["Expires: 7200", "Server: RTC/6.0"])

msg("403-ms-diagnostics.sip", "SIP/2.0 403 Forbidden", resp_common(2, via=VIA +
    ";received=203.0.113.50;ms-received-port=51034;ms-received-cid=1B3F00") + [
    'ms-diagnostics-public: 4003;reason="From URI not enabled for remote access."',
    "Server: RTC/6.0",
])

msg("404-ms-diagnostics.sip", "SIP/2.0 404 Not Found", resp_common(3) + [
    'ms-diagnostics: 4005;reason="Destination URI either not enabled for SIP or does not '
    f'exist.";source="{FE}"',
    "Server: RTC/6.0",
])

msg("504-ms-diagnostics-two.sip", "SIP/2.0 504 Server time-out", resp_common(1, via=VIA +
    ";received=203.0.113.50;ms-received-port=51034;ms-received-cid=1B3F00") + [
    'ms-diagnostics: 1034;reason="Previous hop server component did not report diagnostic '
    'information";Domain="contoso.com";PeerServer="pool2.contoso.com";source="edge01.contoso.com"',
    'ms-diagnostics: 1007;source="dir01.contoso.com";reason="Temporarily cannot route."',
    'ms-diagnostics-public: 1034;reason="Previous hop server component did not report '
    'diagnostic information"',
    "Server: RTC/6.0",
])

# A richer SfB REGISTER 200 OK: two bindings (pick the one with our +sip.instance), TLS-DSK info
msg("200-ok-register-sfb.sip", "SIP/2.0 200 OK", [
    "ms-keep-alive: UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300",
    TLSDSK_AUTH_INFO.format(snum="2", rspauth="8c1e4a7f2b9d0e3c6a5f8b1d4e7a0c3f6b9e2d5a"),
] + resp_common(4) + [
    "Contact: <sip:10.0.0.9:50112;transport=tls;ms-opaque=0b6e2f1c8a;ms-received-cid=3E00>;"
    'expires=5311;+sip.instance="<urn:uuid:5c0a7e1b-2d4f-5a60-9b8c-1e3d5f7a9c0b>";'
    'gruu="sip:alice@contoso.com;opaque=user:epid:Gv8r0bQxWkC3mN5pL2dT1AAA;gruu"',
    "Contact: <sip:10.0.0.5:51034;transport=tls;ms-opaque=d3470f2e1d;ms-received-cid=4A00>;"
    f'expires=7200;+sip.instance="<urn:uuid:{INSTANCE}>";gruu="{GRUU}"',
    "Expires: 7200",
    'presence-state: register-action="added";primary-cluster-type="central";'
    'is-connected-to-primary="yes"',
    "Allow-Events: vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,"
    "vnd-microsoft-roaming-ACL,presence,presence.wpending,vnd-microsoft-roaming-self,"
    "vnd-microsoft-provisioning-v2",
    "Supported: adhoclist",
    "Supported: msrtc-event-categories",
    "Supported: ms-userservices-state-notification",
    "ms-user-logon-data: RemoteUser",
    "Server: RTC/6.0",
])

# ---- After sign-in (protocol.md 6.2) ----

SIGNED_AUTH = (
    f'Authorization: TLS-DSK qop="auth", realm="{REALM}", opaque="9A3C5E71", '
    'crand="{crand}", cnum="{cnum}", targetname="' + FE + '", response="{resp}"'
)
SUB_COMMON = [
    "Max-Forwards: 70",
    FROM,
    "To: <sip:alice@contoso.com>",
    f"Contact: <{GRUU}>",
    SFB_UA,
]

PROV_BODY = """<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist">
  <provisioningGroup name="ServerConfiguration"/>
  <provisioningGroup name="meetingPolicy"/>
  <provisioningGroup name="ucPolicy"/>
  <provisioningGroup name="persistentChatConfiguration"/>
  <provisioningGroup name="userSetting"/>
  <provisioningGroup name="endpointConfiguration"/>
  <provisioningGroup name="locationPolicy"/>
  <provisioningGroup name="mediaConfiguration"/>
  <provisioningGroup name="presencePolicyV2"/>
  <provisioningGroup name="publicationGrammar"/>
  <provisioningGroup name="privacyPublicationGrammar"/>
  <provisioningGroup name="publicProviders"/>
</provisioningGroupList>"""

PROV_CALLID = "b3e1d5f7a9c24e6b8d0f2a4c6e8b1d3f"
msg("service-provisioning.sip", "SUBSCRIBE sip:alice@contoso.com SIP/2.0", [
    "Via: SIP/2.0/TLS 10.0.0.5:51034;branch=z9hG4bK1E7C3A90.5B2D8F46",
] + SUB_COMMON + [
    f"Call-ID: {PROV_CALLID}",
    "CSeq: 1 SUBSCRIBE",
    "Event: vnd-microsoft-provisioning-v2",
    "Accept: application/vnd-microsoft-roaming-provisioning-v2+xml",
    "Content-Type: application/vnd-microsoft-roaming-provisioning-v2+xml",
    "Expires: 0",
    "Supported: com.microsoft.autoextend",
    "Supported: ms-benotify",
    "Proxy-Require: ms-benotify",
    "Supported: ms-piggyback-first-notify",
    SIGNED_AUTH.format(crand="c4e1a7b3", cnum="3",
                       resp="5b9d2f7e1a4c8e0b3d6f9a2c5e8b1d4f7a0c3e6b"),
], PROV_BODY)

PROV_RESULT = """<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification">
<provisionGroup name="ServerConfiguration">
<absInternalServerUrl>https://pool1.contoso.com/abs/handler</absInternalServerUrl>
<absExternalServerUrl>https://webext.contoso.com/abs/handler</absExternalServerUrl>
<absWebServiceEnabled>true</absWebServiceEnabled>
<dlxInternalUrl>https://pool1.contoso.com/groupexpansion/service.svc</dlxInternalUrl>
<dlxExternalUrl>https://webext.contoso.com/groupexpansion/service.svc</dlxExternalUrl>
<dlxEnabled>true</dlxEnabled>
<focusFactoryUri>sip:alice@contoso.com;gruu;opaque=app:conf:focusfactory</focusFactoryUri>
<mrasUri>sip:edge01.contoso.com@contoso.com;gruu;opaque=srvr:MRAS:Hk2s9cQeR0WmA7xZ1bNfYgAA</mrasUri>
<ucPC2PCAVEncryption>SupportEncryption</ucPC2PCAVEncryption>
<ucPortRangeEnabled>false</ucPortRangeEnabled>
<ucMinMediaPort>1024</ucMinMediaPort>
<ucMaxMediaPort>65535</ucMaxMediaPort>
<poolUri>pool1.contoso.com</poolUri>
<ucLocationProfile>contoso.com</ucLocationProfile>
<voicemailUri>sip:alice@contoso.com;opaque=app:voicemail</voicemailUri>
<lisInternalUrl>https://pool1.contoso.com/locationinformation/liservice.svc</lisInternalUrl>
<cwaInternalUri>https://pool1.contoso.com/Reach/Client/</cwaInternalUri>
<cwaExternalUri>https://webext.contoso.com/Reach/Client/</cwaExternalUri>
<ucEnableSipSecurityMode>High</ucEnableSipSecurityMode>
<loggingLevel>Off</loggingLevel>
</provisionGroup>
<provisionGroup name="userSetting">
<disableFileTransfer>false</disableFileTransfer>
<ucUserLocationProfile>contoso.com</ucUserLocationProfile>
<commonAreaPhone>false</commonAreaPhone>
</provisionGroup>
<provisionGroup name="persistentChatConfiguration">
<propertyEntryList>
<property name="EnablePersistentChat">false</property>
<property name="DefaultPersistentChatPoolUri"></property>
</propertyEntryList>
</provisionGroup>
<provisionGroup name="endpointConfiguration">
<propertyEntryList>
<property name="ShowRecentContacts">true</property>
<property name="ShowManagePrivacyRelationships">true</property>
<property name="MaxPhotoSizeKB">100</property>
<property name="EnableTracing">true</property>
</propertyEntryList>
</provisionGroup>
</provisionGroupList>"""

msg("200-ok-piggyback.sip", "SIP/2.0 200 OK", [
    TLSDSK_AUTH_INFO.format(snum="4", rspauth="0e3a6d9c2f5b8e1a4d7c0f3b6e9a2d5c8f1b4e7a"),
    FROM,
    "To: <sip:alice@contoso.com>;tag=1C7E4B90",
    f"Call-ID: {PROV_CALLID}",
    "CSeq: 1 SUBSCRIBE",
    "Via: SIP/2.0/TLS 10.0.0.5:51034;branch=z9hG4bK1E7C3A90.5B2D8F46;"
    "ms-received-port=51034;ms-received-cid=4A00",
    "Expires: 0",
    "Content-Type: application/vnd-microsoft-roaming-provisioning-v2+xml",
    "ms-piggyback-cseq: 1",
    "subscription-state: terminated;expires=0",
    "Supported: ms-benotify",
    "Server: RTC/6.0",
], PROV_RESULT)

CONTACTS_BODY = """<contactList deltaNum="27" xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-contacts">
<group id="1" name="~" externals=""/>
<group id="2" name="Équipe Zürich – Vertrieb" externals=""/>
<group id="3" name="Favorites" externals=""/>
<contact uri="bob@contoso.com" name="Bob Kelly" groups="1 3 " subscribed="true" externals=""/>
<contact uri="zoe.muller@contoso.com" name="Zoë Müller" groups="2 " subscribed="true" externals=""/>
<contact uri="jiro@fabrikam.com" name="山田 次郎" groups="1 " subscribed="true" externals=""/>
<contact uri="carol@contoso.com" name="Carol &quot;CJ&quot; Jones &amp; Co" groups="1 2 " subscribed="false" externals=""/>
</contactList>"""

msg("notify-xml.sip",
    "BENOTIFY sip:10.0.0.5:51034;transport=tls;ms-opaque=d3470f2e1d;ms-received-cid=4A00 SIP/2.0", [
        "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK7A1D3F52.9C4E6B08;branched=FALSE",
        "Max-Forwards: 70",
        "From: <sip:alice@contoso.com>;tag=5B8D2E40",
        f"To: <sip:alice@contoso.com>;tag=7d3a1f0c9b;epid={EPID}",
        "Call-ID: d2f4a6c8e0b14d3f5a7c9e1b3d5f7a9c",
        "CSeq: 3 BENOTIFY",
        "Event: vnd-microsoft-roaming-contacts",
        "subscription-state: active;expires=28755",
        "Content-Type: application/vnd-microsoft-roaming-contacts+xml",
        TLSDSK_AUTH_INFO.format(snum="5", rspauth="6f2c9e5b8a1d4f7c0e3b6a9d2f5c8e1b4a7d0f3c"),
    ], CONTACTS_BODY)

# PAI with both a sip and a tel URI (sipe-vectors 9.2 shape); DERIVED rspauth with the server
# keys of 8.6 over the v4 string, so the PAI fields of the signature string can be checked.
_srand, _snum = "1B6D47A1", "11"
_pai_callid = "41CEg82ECa0AC8i3DD7mE673t9CF4b19DAxF780x"
_rsp = ntlm_sip_mac(SERVER_SIGN, SERVER_SEAL,
                    f"<NTLM><{_srand}><{_snum}><{REALM}><{FE}><{_pai_callid}><1><INVITE>"
                    "<sip:bob@contoso.com><2420628112><sip:alice@contoso.com><7aee15546a>"
                    "<sip:alice@contoso.com><tel:+14255550100><><180>").hex().upper()
msg("180-ringing-pai.sip", "SIP/2.0 180 Ringing", [
    f'Authentication-Info: NTLM rspauth="{_rsp}", srand="{_srand}", snum="{_snum}", '
    f'opaque="357E6F72", qop="auth", targetname="{FE}", realm="{REALM}"',
    "Via: SIP/2.0/TLS 10.0.0.7:50230;branch=z9hG4bK2F9A4C61.0E7B3D58;"
    "ms-received-port=50230;ms-received-cid=37ABE00",
    'From: "Bob Kelly"<sip:bob@contoso.com>;tag=2420628112;epid=54392f1bbf',
    'To: "Alice Smith"<sip:alice@contoso.com>;tag=7aee15546a;epid=3102eb8bd1',
    "CSeq: 1 INVITE",
    f"Call-ID: {_pai_callid}",
    "Record-Route: <sip:pool1.contoso.com:5061;transport=tls;ms-fe=sfbfe01.contoso.com;"
    "opaque=state:F:T:Eu:Ci.R37abe00;lr;ms-route-sig=gdOGgL7NiL3hv_oBc0NdrJOxZk_r-8naq-k_DtpgAA>",
    "Contact: <sip:alice@contoso.com;opaque=user:epid:-gLwenLTVVqy-Ak8TJn1ZAAA;gruu>;text;audio;video",
    "Supported: gruu-10",
    "Allow: UPDATE",
    "P-Asserted-Identity: <sip:alice@contoso.com>, <tel:+14255550100>",
    "Server: RTCC/6.0.0.0 UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)",
])

# --------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------

CL_RE = re.compile(rb"^(content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$", re.I)


def check_file(path):
    data = open(path, "rb").read()
    end = data.find(b"\r\n\r\n")
    assert end > 0, f"{path}: no empty line after the headers"
    head, body = data[:end], data[end + 4:]
    assert b"\n" not in head.replace(b"\r\n", b""), f"{path}: bare LF in the header section"
    assert b"\r" not in head.replace(b"\r\n", b""), f"{path}: bare CR in the header section"
    lines = head.split(b"\r\n")
    assert not any(l[:1] in (b" ", b"\t") for l in lines), f"{path}: folded header line"
    assert all(len(l) > 0 for l in lines), f"{path}: empty line inside the headers"
    lengths = [int(m.group(2)) for l in lines if (m := CL_RE.match(l))]
    assert len(lengths) == 1, f"{path}: expected exactly one Content-Length, got {lengths}"
    assert lengths[0] == len(body), f"{path}: Content-Length {lengths[0]} != body {len(body)}"
    if body:
        assert b"\n" not in body.replace(b"\r\n", b""), f"{path}: bare LF in the body"
        body.decode("utf-8")
    return len(lines), len(body)


def main():
    self_test()
    if "--check" not in sys.argv:
        for name, data in MESSAGES.items():
            with open(os.path.join(HERE, name), "wb") as f:
                f.write(data)
    names = sorted(n for n in os.listdir(HERE) if n.endswith(".sip"))
    assert set(names) == set(MESSAGES), set(names) ^ set(MESSAGES)
    for name in names:
        assert open(os.path.join(HERE, name), "rb").read() == MESSAGES[name], f"{name} is stale"
        n_lines, n_body = check_file(os.path.join(HERE, name))
        print(f"ok {name}: {n_lines} lines, body {n_body} bytes")
    print(f"{len(names)} files ok")


if __name__ == "__main__":
    main()
