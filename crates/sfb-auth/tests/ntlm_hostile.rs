//! Hostile input: malformed challenges, truncated or self-overlapping NTLM fields, absurd lengths,
//! random and mutated bytes through the fuzzing entry points (which must never panic).

mod ntlm_support;

use ntlm_support::*;
use sfb_auth::fuzzing;
use sfb_auth::ntlm::NtlmError;
use sfb_auth::ntlm::messages::{AuthenticateMessage, ChallengeMessage, MAX_MESSAGE};
use sfb_auth::sipae::{SipaeError, params};

fn capture() -> (Vec<u8>, Vec<u8>) {
    let v = oc2007r2();
    (
        b64(v["challenge_b64"].as_str().unwrap()),
        b64(v["authenticate_b64"].as_str().unwrap()),
    )
}

fn set_field(m: &mut [u8], at: usize, len: u16, off: u32) {
    m[at..at + 2].copy_from_slice(&len.to_le_bytes());
    m[at + 2..at + 4].copy_from_slice(&len.to_le_bytes());
    m[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
}

#[test]
fn precise_errors_on_authenticate_fields() {
    let (_, auth) = capture();
    // NtChallengeResponse starting inside LmChallengeResponse.
    let mut m = auth.clone();
    set_field(&mut m, 20, 198, 0x72 + 8);
    assert_eq!(
        AuthenticateMessage::parse(&m),
        Err(NtlmError::FieldsOverlap {
            first: "LmChallengeResponse",
            second: "NtChallengeResponse"
        })
    );
    // UserName pointing at itself twice (same field as DomainName).
    let mut m = auth.clone();
    set_field(&mut m, 36, 10, 0x48);
    assert_eq!(
        AuthenticateMessage::parse(&m),
        Err(NtlmError::FieldsOverlap {
            first: "DomainName",
            second: "UserName"
        })
    );
    // Absurd length and offset.
    let mut m = auth.clone();
    set_field(&mut m, 52, 0xffff, 0x150);
    assert_eq!(
        AuthenticateMessage::parse(&m),
        Err(NtlmError::FieldOutOfRange {
            field: "EncryptedRandomSessionKey"
        })
    );
    let mut m = auth.clone();
    set_field(&mut m, 28, 10, u32::MAX);
    assert_eq!(
        AuthenticateMessage::parse(&m),
        Err(NtlmError::FieldOutOfRange {
            field: "DomainName"
        })
    );
    // Field inside the fixed header.
    let mut m = auth.clone();
    set_field(&mut m, 28, 10, 8);
    assert_eq!(
        AuthenticateMessage::parse(&m),
        Err(NtlmError::FieldInHeader {
            field: "DomainName"
        })
    );
    // Envelope faults.
    let mut m = auth.clone();
    m[0] = b'X';
    assert_eq!(AuthenticateMessage::parse(&m), Err(NtlmError::BadSignature));
    assert_eq!(
        AuthenticateMessage::parse(&capture().0),
        Err(NtlmError::WrongMessageType {
            expected: 3,
            found: 2
        })
    );
    let mut big = auth.clone();
    big.resize(MAX_MESSAGE + 1, 0);
    assert_eq!(AuthenticateMessage::parse(&big), Err(NtlmError::TooLong));
    for cut in 0..auth.len() {
        assert!(
            AuthenticateMessage::parse(&auth[..cut]).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn precise_errors_on_challenge() {
    let (chal, _) = capture();
    for cut in 0..chal.len() {
        assert!(ChallengeMessage::parse(&chal[..cut]).is_err(), "cut {cut}");
    }
    // Target info whose AV pair claims more bytes than the field holds.
    let mut m = chal.clone();
    m[58..60].copy_from_slice(&0x00ffu16.to_le_bytes());
    assert_eq!(ChallengeMessage::parse(&m), Err(NtlmError::AvPairTruncated));
}

#[test]
fn client_rejects_challenge_without_sip_flags() {
    use sfb_auth::SecurityContext as _;
    use sfb_auth::ntlm::{NtlmClient, NtlmClientConfig, NtlmProfile};
    use sfb_auth::secret::{Credential, CredentialSecret, Password};
    let (mut chal, _) = capture();
    // Clear DATAGRAM and KEY_EXCH.
    let f = u32::from_le_bytes(chal[20..24].try_into().unwrap()) & !0x4000_0040;
    chal[20..24].copy_from_slice(&f.to_le_bytes());
    let cfg = NtlmClientConfig {
        credential: Credential::from_login("A\\b", CredentialSecret::Password(Password::new("c"))),
        workstation: "W".into(),
        profile: NtlmProfile::Oc2007R2,
        version: [0; 8],
    };
    let mut c = NtlmClient::new(cfg, xorshift(1), 0);
    c.step(None).unwrap();
    let e = c.step(Some(&chal)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ntlm: incompatible ntlm negotiate flags: missing 0x40000040"
    );
}

#[test]
fn header_parser_limits() {
    let long = format!("NTLM realm=\"{}\"", "a".repeat(params::MAX_VALUE));
    assert_eq!(
        params::split(&long),
        Err(SipaeError::Limit("header length"))
    );
    assert!(
        matches!(params::split("NTLM realm=\"é\\\"x\", targetname=t"), Ok(h) if h.params[0].1 == "é\"x")
    );
    assert!(params::split("NTLM realm=\"x\\").is_err());
    assert!(params::split("NTLM ,realm=x").is_err());
    // The codec's grammar is lenient with unquoted values (base64 padding): `=x` is the value.
    assert_eq!(params::split("NTLM realm==x").unwrap().params[0].1, "=x");
    assert!(params::split("NTLM realm=x y").is_err());
}

#[test]
fn random_and_mutated_input_never_panics() {
    let (chal, auth) = capture();
    let mut rng = xorshift(0xfeed);
    let mut buf = [0u8; 8];
    let mut next = |n: usize| {
        rng.fill(&mut buf);
        (u64::from_le_bytes(buf) as usize) % n.max(1)
    };
    let headers = [
        "NTLM realm=\"SIP Communications Service\", targetname=\"fe.contoso.com\", version=4"
            .to_owned(),
        format!(
            "NTLM opaque=\"2BDBAC9D\", gssapi-data=\"{}\", targetname=\"t\", realm=\"r\"",
            oc2007r2()["challenge_b64"].as_str().unwrap()
        ),
        oc2007r2()["ok_authentication_info"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    for i in 0..3000 {
        // Mutated NTLM messages: flips, truncations, splices.
        let base = if i % 2 == 0 { &chal } else { &auth };
        let mut m = base.clone();
        for _ in 0..1 + next(4) {
            let p = next(m.len());
            m[p] = next(256) as u8;
        }
        if i % 5 == 0 {
            m.truncate(next(m.len()));
        }
        fuzzing::ntlm_message(&m);
        // Pure random bytes, some with a valid prefix.
        let mut r: Vec<u8> = (0..next(200)).map(|_| next(256) as u8).collect();
        if i % 3 == 0 {
            let mut p = b"NTLMSSP\0".to_vec();
            p.push(if i % 2 == 0 { 2 } else { 3 });
            p.extend_from_slice(&[0, 0, 0]);
            p.extend(r);
            r = p;
        }
        fuzzing::ntlm_message(&r);
        // Mutated header values.
        let mut h = headers[i % headers.len()].clone().into_bytes();
        for _ in 0..1 + next(3) {
            let p = next(h.len());
            let alphabet = b"\"\\,= aZ\x00\xff";
            h[p] = alphabet[next(alphabet.len())];
        }
        fuzzing::challenge_header(&h);
    }
}

#[test]
fn gssapi_and_av_pair_limits() {
    use sfb_auth::ntlm::avpairs::{AvPairs, MAX_AV_PAIRS};
    use sfb_auth::sipae::{Challenge, MAX_GSSAPI_B64};
    let big = "A".repeat(MAX_GSSAPI_B64 + 4);
    let p = [
        ("realm", "r"),
        ("targetname", "t"),
        ("gssapi-data", big.as_str()),
    ];
    assert_eq!(
        Challenge::from_params("NTLM", &p),
        Err(SipaeError::Limit("gssapi-data length"))
    );
    let mut many = Vec::new();
    for _ in 0..=MAX_AV_PAIRS {
        many.extend_from_slice(&[1, 0, 0, 0]);
    }
    many.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(AvPairs::parse(&many), Err(NtlmError::TooManyAvPairs));
}

#[test]
fn rendered_values_round_trip_through_the_parser() {
    use sfb_auth::Scheme;
    use sfb_auth::sipae::{AuthInfo, AuthorizationValue, Challenge, Signed};
    let nasty = [
        "SIP Communications Service",
        "a\"b",
        "back\\slash",
        "comma, inside",
        "é",
    ];
    for (i, realm) in nasty.iter().enumerate() {
        let c = Challenge {
            scheme: Scheme::TlsDsk,
            realm: (*realm).into(),
            targetname: format!("t{i}"),
            version: Some(4),
            opaque: (i % 2 == 0).then(|| "2BDBAC9D".into()),
            gssapi_data: (i % 2 == 0).then(|| vec![i as u8; i * 3]),
            sts_uri: Some("https://x/CertProv".into()),
        };
        let h = params::split(&c.to_string()).unwrap();
        assert_eq!(Challenge::from_params(&h.scheme, &h.pairs()).unwrap(), c);
        let a = AuthorizationValue {
            scheme: Scheme::Kerberos,
            realm: (*realm).into(),
            targetname: "sip/fe".into(),
            opaque: Some("0A0B0C0D".into()),
            version: (i % 2 == 1).then_some(3),
            gssapi_data: (i % 2 == 1).then(|| vec![7; i]),
            signed: Some(Signed {
                crand: "2daa2825".into(),
                cnum: i.to_string(),
                response: "0a0b".into(),
            }),
        };
        let h = params::split(&a.to_string()).unwrap();
        let back = AuthorizationValue::from_params(&h.scheme, &h.pairs()).unwrap();
        assert_eq!(back, a);
        let info = AuthInfo {
            scheme: Scheme::Ntlm,
            rspauth: "0100".into(),
            srand: "9616454F".into(),
            snum: "1".into(),
            opaque: None,
            qop: Some("auth".into()),
            realm: (*realm).into(),
            targetname: "t".into(),
            version: Some(4),
        };
        let h = params::split(&info.to_string()).unwrap();
        assert_eq!(AuthInfo::from_params(&h.scheme, &h.pairs()).unwrap(), info);
    }
}
