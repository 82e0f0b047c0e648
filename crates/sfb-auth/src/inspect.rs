//! A pure, bounded decoder of one `gssapi-data` token into its SAFE fields, for traces.
//!
//! The session records every token it sends or receives as evidence; what a helpdesk needs is
//! who (user, domain, workstation), where (target and DNS names, the service principal), how
//! (flags, NTLM version, enctypes) and when (the server's timestamp). Never a key, a response,
//! a MIC value or the ticket's cipher text: those are password-equivalent or replayable.
//!
//! Field names (other crates rely on them):
//!
//! | protocol | `message_type` | fields |
//! | --- | --- | --- |
//! | NTLM | `negotiate` | `flags`, `domain`, `workstation`, `os_version` |
//! | NTLM | `challenge` | `flags`, `target_name`, `nb_domain`, `nb_computer`, `dns_domain`, `dns_computer`, `dns_tree`, `server_timestamp`, `os_version` |
//! | NTLM | `authenticate` | `flags`, `domain`, `user`, `workstation`, `mic_present`, `ntlm_version` (`v1`/`v2`), `os_version` |
//! | Kerberos | `ap_req` | `realm`, `sname`, `ticket_enctype`, `kvno`, `authenticator_enctype` |
//! | Kerberos | `mic` | `token_id` (`0404` or `0101`), `acceptor_flag` (`true`/`false`, RFC 4121 tokens) |
//! | Kerberos | `krb_error` | `error_code`, `error_name`, `realm`, `sname` |
//! | any | `unknown` | `error` (why it did not decode) |
//!
//! Flags are hex (`0x62988255`), `os_version` is `major.minor.build`, `server_timestamp` is UTC
//! ISO 8601. Every string field is cut at [`MAX_FIELD_LEN`] characters; input longer than
//! [`MAX_INSPECT_LEN`] is refused without being read.

use std::collections::BTreeMap;

use crate::kerberos::{MAX_TOKEN_LEN, parse_gss_ap_req};
use crate::ntlm::avpairs::{
    AV_DNS_COMPUTER, AV_DNS_DOMAIN, AV_DNS_TREE, AV_NB_COMPUTER, AV_NB_DOMAIN, AvPairs,
};
use crate::ntlm::messages::{AuthenticateMessage, ChallengeMessage, SIGNATURE, utf16_units};

/// Largest token inspected.
pub const MAX_INSPECT_LEN: usize = 64 * 1024;
/// Longest value kept for one field (characters).
pub const MAX_FIELD_LEN: usize = 256;

/// The security package a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// NTLM ([MS-NLMP]).
    Ntlm,
    /// Kerberos (RFC 4120 / RFC 4121 GSS tokens).
    Kerberos,
}

impl Protocol {
    /// From the MS-SIPAE scheme name (`NTLM`, `Kerberos`, case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("NTLM") {
            Some(Self::Ntlm)
        } else if name.eq_ignore_ascii_case("Kerberos") {
            Some(Self::Kerberos)
        } else {
            None
        }
    }
}

/// What a token says, in safe fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspected {
    /// `negotiate`, `challenge`, `authenticate`, `ap_req`, `mic`, `krb_error` or `unknown`.
    pub message_type: String,
    /// Safe fields by name (see the module table).
    pub fields: BTreeMap<String, String>,
}

impl Inspected {
    fn new(message_type: &str) -> Self {
        Self {
            message_type: message_type.to_owned(),
            fields: BTreeMap::new(),
        }
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        let v: String = value.into();
        let v: String = v
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_FIELD_LEN)
            .collect();
        self.fields.insert(name.to_owned(), v);
    }

    fn unknown(error: &str) -> Self {
        let mut i = Self::new("unknown");
        i.set("error", error);
        i
    }
}

/// Decodes `token` of `protocol` into safe fields. Never fails: undecodable input is
/// `message_type = "unknown"` with an `error` field.
pub fn inspect(protocol: Protocol, token: &[u8]) -> Inspected {
    if token.len() > MAX_INSPECT_LEN {
        return Inspected::unknown("token too long");
    }
    match protocol {
        Protocol::Ntlm => inspect_ntlm(token),
        Protocol::Kerberos => inspect_kerberos(token),
    }
}

fn utf16(b: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_units(b))
}

fn os_version(v: &[u8]) -> Option<String> {
    match v {
        [major, minor, b0, b1, ..] if *major != 0 => Some(format!(
            "{major}.{minor}.{}",
            u16::from_le_bytes([*b0, *b1])
        )),
        _ => None,
    }
}

/// FILETIME (100 ns since 1601) as `YYYY-MM-DDTHH:MM:SSZ`.
fn filetime_iso(ft: u64) -> Option<String> {
    const EPOCH_DIFF: u64 = 11_644_473_600;
    let secs = (ft / 10_000_000).checked_sub(EPOCH_DIFF)?;
    let days = i64::try_from(secs / 86_400).ok()?;
    let rem = secs % 86_400;
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

fn inspect_ntlm(b: &[u8]) -> Inspected {
    if b.get(..8) != Some(&SIGNATURE[..]) {
        return Inspected::unknown("not an NTLMSSP message");
    }
    let Some(t) = b.get(8..12) else {
        return Inspected::unknown("truncated");
    };
    match u32::from_le_bytes([t[0], t[1], t[2], t[3]]) {
        1 => negotiate(b),
        2 => match ChallengeMessage::parse(b) {
            Ok(c) => challenge(&c),
            Err(e) => Inspected::unknown(&format!("challenge: {e}")),
        },
        3 => match AuthenticateMessage::parse(b) {
            Ok(a) => authenticate(&a),
            Err(e) => Inspected::unknown(&format!("authenticate: {e}")),
        },
        n => Inspected::unknown(&format!("NTLM message type {n}")),
    }
}

/// NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1): flags, then the OEM domain and workstation fields.
fn negotiate(b: &[u8]) -> Inspected {
    let mut i = Inspected::new("negotiate");
    let Some(f) = b.get(12..16) else {
        return Inspected::unknown("negotiate: truncated");
    };
    let flags = u32::from_le_bytes([f[0], f[1], f[2], f[3]]);
    i.set("flags", format!("{flags:#010x}"));
    let field = |at: usize| -> Option<&[u8]> {
        let d = b.get(at..at + 8)?;
        let len = usize::from(u16::from_le_bytes([d[0], d[1]]));
        let off = usize::try_from(u32::from_le_bytes([d[4], d[5], d[6], d[7]])).ok()?;
        if len == 0 {
            return None;
        }
        b.get(off..off.checked_add(len)?)
    };
    if let Some(d) = field(16) {
        i.set("domain", String::from_utf8_lossy(d));
    }
    if let Some(w) = field(24) {
        i.set("workstation", String::from_utf8_lossy(w));
    }
    if flags & crate::ntlm::flags::VERSION != 0
        && let Some(v) = b.get(32..40).and_then(os_version)
    {
        i.set("os_version", v);
    }
    i
}

fn challenge(c: &ChallengeMessage) -> Inspected {
    let mut i = Inspected::new("challenge");
    i.set("flags", format!("{:#010x}", c.flags));
    if !c.target_name.is_empty() {
        let name = if c.flags & crate::ntlm::flags::UNICODE != 0 {
            utf16(&c.target_name)
        } else {
            String::from_utf8_lossy(&c.target_name).into_owned()
        };
        i.set("target_name", name);
    }
    av_names(&mut i, &c.av_pairs);
    if let Some(ts) = c.av_pairs.timestamp().and_then(filetime_iso) {
        i.set("server_timestamp", ts);
    }
    if let Some(v) = c.version.as_ref().and_then(|v| os_version(v)) {
        i.set("os_version", v);
    }
    i
}

fn av_names(i: &mut Inspected, av: &AvPairs) {
    for (id, name) in [
        (AV_NB_DOMAIN, "nb_domain"),
        (AV_NB_COMPUTER, "nb_computer"),
        (AV_DNS_DOMAIN, "dns_domain"),
        (AV_DNS_COMPUTER, "dns_computer"),
        (AV_DNS_TREE, "dns_tree"),
    ] {
        if let Some(v) = av.get(id) {
            i.set(name, utf16(v));
        }
    }
}

fn authenticate(a: &AuthenticateMessage) -> Inspected {
    let mut i = Inspected::new("authenticate");
    i.set("flags", format!("{:#010x}", a.flags));
    i.set("domain", utf16(&a.domain));
    i.set("user", utf16(&a.user));
    i.set("workstation", utf16(&a.workstation));
    i.set("mic_present", a.mic.is_some().to_string());
    // [MS-NLMP] 3.3: an NTLMv1 response is exactly 24 octets; NTLMv2 is NTProofStr ‖ blob.
    i.set(
        "ntlm_version",
        if a.nt_response.len() > 24 { "v2" } else { "v1" },
    );
    if let Some(v) = os_version(&a.version) {
        i.set("os_version", v);
    }
    i
}

/// RFC 4120 §8 / §7.5.9 error names for the codes a sign-in meets.
fn krb_error_name(code: u32) -> &'static str {
    match code {
        6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        7 => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        14 => "KDC_ERR_ETYPE_NOSUPP",
        18 => "KDC_ERR_CLIENT_REVOKED",
        23 => "KDC_ERR_KEY_EXPIRED",
        24 => "KDC_ERR_PREAUTH_FAILED",
        25 => "KDC_ERR_PREAUTH_REQUIRED",
        31 => "KRB_AP_ERR_BAD_INTEGRITY",
        32 => "KRB_AP_ERR_TKT_EXPIRED",
        33 => "KRB_AP_ERR_TKT_NYV",
        34 => "KRB_AP_ERR_REPEAT",
        35 => "KRB_AP_ERR_NOT_US",
        36 => "KRB_AP_ERR_BADMATCH",
        37 => "KRB_AP_ERR_SKEW",
        41 => "KRB_AP_ERR_MODIFIED",
        44 => "KRB_AP_ERR_BADKEYVER",
        60 => "KRB_ERR_GENERIC",
        68 => "KDC_ERR_WRONG_REALM",
        _ => "unknown",
    }
}

/// RFC 3961 §8 enctype names.
fn enctype_name(n: i64) -> String {
    match n {
        1 => "des-cbc-crc".into(),
        3 => "des-cbc-md5".into(),
        17 => "aes128-cts-hmac-sha1-96".into(),
        18 => "aes256-cts-hmac-sha1-96".into(),
        19 => "aes128-cts-hmac-sha256-128".into(),
        20 => "aes256-cts-hmac-sha384-192".into(),
        23 => "rc4-hmac".into(),
        24 => "rc4-hmac-exp".into(),
        n => format!("etype-{n}"),
    }
}

/// The body after the GSS framing and the mechanism OID (RFC 2743 §3.1), or `None`.
fn gss_body(token: &[u8]) -> Option<&[u8]> {
    if token.first() != Some(&0x60) {
        return None;
    }
    let first = *token.get(1)?;
    let (len, used) = if first < 0x80 {
        (usize::from(first), 1)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let bytes = token.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            1 + n,
        )
    };
    let body = token.get(1 + used..)?;
    if body.len() != len || body.first() != Some(&0x06) {
        return None;
    }
    let oid_len = usize::from(*body.get(1)?);
    body.get(2 + oid_len..)
}

fn inspect_kerberos(token: &[u8]) -> Inspected {
    if token.len() > MAX_TOKEN_LEN {
        return Inspected::unknown("token too long");
    }
    match token.get(..2) {
        Some([0x04, 0x04]) => {
            let mut i = Inspected::new("mic");
            i.set("token_id", "0404");
            if let Some(f) = token.get(2) {
                i.set(
                    "acceptor_flag",
                    (f & crate::kerberos::mic::FLAG_SENT_BY_ACCEPTOR != 0).to_string(),
                );
            }
            return i;
        }
        Some([0x01, 0x01]) => {
            let mut i = Inspected::new("mic");
            i.set("token_id", "0101");
            return i;
        }
        _ => {}
    }
    let Some(inner) = gss_body(token) else {
        return Inspected::unknown("not a GSS Kerberos token");
    };
    match inner.get(..2) {
        Some([0x01, 0x00]) => match parse_gss_ap_req(token) {
            Ok(ap) => {
                let mut i = Inspected::new("ap_req");
                let (sname, realm) = ap.ticket_sname();
                i.set("realm", realm);
                i.set("sname", sname);
                if let Ok((etype, kvno)) = ap.ticket_etype() {
                    i.set("ticket_enctype", enctype_name(etype));
                    if let Some(k) = kvno {
                        i.set("kvno", k.to_string());
                    }
                }
                if let Ok(e) = crate::kerberos::ap_req::int(&ap.ap_req.0.authenticator.0.etype.0.0)
                {
                    i.set("authenticator_enctype", enctype_name(e));
                }
                i
            }
            Err(e) => Inspected::unknown(&format!("ap_req: {e}")),
        },
        Some([0x03, 0x00]) => {
            match picky_asn1_der::from_bytes::<picky_krb::messages::KrbError>(&inner[2..]) {
                Ok(err) => {
                    let e = &err.0;
                    let mut i = Inspected::new("krb_error");
                    let code = e.error_code.0;
                    i.set("error_code", code.to_string());
                    i.set("error_name", krb_error_name(code));
                    i.set(
                        "realm",
                        String::from_utf8_lossy(e.realm.0.0.as_bytes()).into_owned(),
                    );
                    i.set("sname", crate::kerberos::ap_req::principal(&e.sname.0));
                    i
                }
                Err(_) => Inspected::unknown("krb_error: malformed DER"),
            }
        }
        Some([a, b]) => Inspected::unknown(&format!("GSS token id {a:02x}{b:02x}")),
        _ => Inspected::unknown("truncated GSS token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// sipe-vectors.txt 8.2: the CHALLENGE of the OCS 2007 R2 capture.
    const CHALLENGE: &str = "4E544C4D53535000020000000000000038000000F38298E2DD1BAAF4E7E218D1000000000000000096009600380000000502CE0E0000000F02000A0043004F0053004D004F000100180043004F0053004D004F002D004F00430053002D00520032000400160063006F0073006D006F002E006C006F00630061006C000300300063006F0073006D006F002D006F00630073002D00720032002E0063006F0073006D006F002E006C006F00630061006C000500160063006F0073006D006F002E006C006F00630061006C0000000000";
    /// sipe-vectors.txt 8.7: SIPE's AUTHENTICATE for it.
    const AUTHENTICATE: &str = "4E544C4D53535000030000001800180072000000C600C6008A0000000A000A00480000000800080052000000180018005A0000001000100050010000558298620502CE0E0000000F43004F0053004D004F00550073006500720043004F0053004D004F002D004F00430053002D0052003200A1E92EFE4E078BF7C5C0049ACC6166C2D6AE875CB0FDAA418DC0C800AE76ECA606D2B9FBEBD04731010100000000000059519A1727B9CA01D6AE875CB0FDAA410000000002000A0043004F0053004D004F000100180043004F0053004D004F002D004F00430053002D00520032000400160063006F0073006D006F002E006C006F00630061006C000300300063006F0073006D006F002D006F00630073002D00720032002E0063006F0073006D006F002E006C006F00630061006C000500160063006F0073006D006F002E006C006F00630061006C00000000000000000031CB739E1CA80A498591E8AE797115E4";

    #[test]
    fn ntlm_challenge_vector() {
        let i = inspect(Protocol::Ntlm, &hex(CHALLENGE));
        assert_eq!(i.message_type, "challenge");
        let f = &i.fields;
        assert_eq!(f["flags"], "0xe29882f3");
        assert_eq!(f["nb_domain"], "COSMO");
        assert_eq!(f["nb_computer"], "COSMO-OCS-R2");
        assert_eq!(f["dns_domain"], "cosmo.local");
        assert_eq!(f["dns_computer"], "cosmo-ocs-r2.cosmo.local");
        assert_eq!(f["dns_tree"], "cosmo.local");
        assert_eq!(f["os_version"], "5.2.3790");
        assert!(!f.contains_key("target_name"));
    }

    #[test]
    fn ntlm_authenticate_vector_has_no_secret() {
        let raw = hex(AUTHENTICATE);
        let i = inspect(Protocol::Ntlm, &raw);
        assert_eq!(i.message_type, "authenticate");
        let f = &i.fields;
        assert_eq!(f["user"], "User");
        assert_eq!(f["domain"], "COSMO");
        assert_eq!(f["workstation"], "COSMO-OCS-R2");
        assert_eq!(f["flags"], "0x62988255");
        assert_eq!(f["ntlm_version"], "v2");
        assert_eq!(f["mic_present"], "false");
        assert_eq!(f["os_version"], "5.2.3790");
        // Neither the NTProofStr nor the session key appears in any field.
        let all: String = f.values().cloned().collect::<Vec<_>>().join("|");
        assert!(!all.to_ascii_uppercase().contains("8DC0C800"));
        assert!(!all.to_ascii_uppercase().contains("31CB739E"));
    }

    #[test]
    fn server_timestamp_is_iso() {
        // 2010-03-01 10:08:08 UTC (sipe-vectors.txt 8.1).
        assert_eq!(
            filetime_iso(0x01CA_B927_179A_5159).as_deref(),
            Some("2010-03-01T10:08:08Z")
        );
        assert_eq!(filetime_iso(0), None);
    }

    #[test]
    fn ntlm_negotiate() {
        let mut b = SIGNATURE.to_vec();
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&0x0000_8205u32.to_le_bytes());
        b.extend_from_slice(&[0; 16]);
        let i = inspect(Protocol::Ntlm, &b);
        assert_eq!(i.message_type, "negotiate");
        assert_eq!(i.fields["flags"], "0x00008205");
    }

    #[test]
    fn kerberos_ap_req_vector() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../testdata/kerberos/mit-initiator.json")).unwrap();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let token = b64.decode(json["token"].as_str().unwrap()).unwrap();
        let i = inspect(Protocol::Kerberos, &token);
        assert_eq!(i.message_type, "ap_req");
        assert_eq!(i.fields["realm"], "CONTOSO.TEST");
        assert_eq!(i.fields["sname"], "sip/sip.contoso.test");
        assert_eq!(i.fields["ticket_enctype"], "aes256-cts-hmac-sha1-96");
        assert_eq!(i.fields["kvno"], "1");
        assert_eq!(i.fields["authenticator_enctype"], "aes256-cts-hmac-sha1-96");
        let mic = b64.decode(json["mic"].as_str().unwrap()).unwrap();
        let m = inspect(Protocol::Kerberos, &mic);
        assert_eq!(m.message_type, "mic");
        assert_eq!(m.fields["token_id"], "0404");
        assert_eq!(m.fields["acceptor_flag"], "false");
        assert_eq!(m.fields.len(), 2);
    }

    #[test]
    fn kerberos_error_token() {
        // A GSS-framed KRB-ERROR (RFC 4121 §4.1 token id 03 00) with KRB_AP_ERR_SKEW.
        use picky_asn1::wrapper::{
            ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag4, ExplicitContextTag5,
            ExplicitContextTag6, ExplicitContextTag9, ExplicitContextTag10, IntegerAsn1, Optional,
        };
        use picky_krb::data_types::{KerberosStringAsn1, KerberosTime, PrincipalName};
        use picky_krb::messages::{KrbError, KrbErrorInner};
        let name = |s: &str| {
            KerberosStringAsn1::from(
                picky_asn1::restricted_string::IA5String::from_string(s.into()).unwrap(),
            )
        };
        let inner = KrbErrorInner {
            pvno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
            msg_type: ExplicitContextTag1::from(IntegerAsn1::from(vec![30])),
            ctime: Optional::from(None),
            cusec: Optional::from(None),
            stime: ExplicitContextTag4::from(KerberosTime::from(
                picky_asn1::date::GeneralizedTime::new(2026, 11, 27, 8, 0, 0).unwrap(),
            )),
            susec: ExplicitContextTag5::from(IntegerAsn1::from(vec![0])),
            error_code: ExplicitContextTag6::from(37u32),
            crealm: Optional::from(None),
            cname: Optional::from(None),
            realm: ExplicitContextTag9::from(name("CONTOSO.TEST")),
            sname: ExplicitContextTag10::from(PrincipalName {
                name_type: ExplicitContextTag0::from(IntegerAsn1::from(vec![2])),
                name_string: ExplicitContextTag1::from(picky_asn1::wrapper::Asn1SequenceOf::from(
                    vec![name("sip"), name("pool1.contoso.test")],
                )),
            }),
            e_text: Optional::from(None),
            e_data: Optional::from(None),
        };
        let der = picky_asn1_der::to_vec(&KrbError::from(inner)).unwrap();
        let oid = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        let body_len = oid.len() + 2 + der.len();
        let mut t = vec![0x60, 0x81, u8::try_from(body_len).unwrap()];
        t.extend_from_slice(&oid);
        t.extend_from_slice(&[0x03, 0x00]);
        t.extend_from_slice(&der);
        let i = inspect(Protocol::Kerberos, &t);
        assert_eq!(i.message_type, "krb_error", "{i:?}");
        assert_eq!(i.fields["error_code"], "37");
        assert_eq!(i.fields["error_name"], "KRB_AP_ERR_SKEW");
        assert_eq!(i.fields["sname"], "sip/pool1.contoso.test");
    }

    #[test]
    fn hostile_input() {
        for p in [Protocol::Ntlm, Protocol::Kerberos] {
            for data in [
                &[][..],
                &[0x60],
                &[0x60, 0x84, 0xff, 0xff, 0xff, 0xff],
                b"NTLMSSP\0",
                b"NTLMSSP\0\x02\0\0\0",
                b"NTLMSSP\0\x09\0\0\0",
                &[0x04],
                &[0x60, 0x03, 0x06, 0x7f, 0x00],
            ] {
                let i = inspect(p, data);
                assert_eq!(i.message_type, "unknown", "{p:?} {data:?} {i:?}");
                assert!(i.fields.contains_key("error"));
            }
        }
        assert_eq!(
            inspect(Protocol::Ntlm, &vec![0u8; MAX_INSPECT_LEN + 1]).fields["error"],
            "token too long"
        );
        // Truncations of the real vectors never panic.
        let c = hex(CHALLENGE);
        let a = hex(AUTHENTICATE);
        for n in 0..a.len() {
            let _ = inspect(Protocol::Ntlm, &a[..n]);
            if n < c.len() {
                let _ = inspect(Protocol::Ntlm, &c[..n]);
            }
        }
    }
}
