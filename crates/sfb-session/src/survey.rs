//! The legacy-version survey (sans-IO core): which of TLS 1.0, 1.1 and 1.2 a server accepts,
//! and with which cipher suite, by sending a hand-built ClientHello and reading the first
//! answer (a ServerHello or an alert). rustls speaks only TLS 1.2/1.3, so a server that only
//! does TLS 1.0/1.1 (an old Lync 2010 edge, a misconfigured load balancer) would otherwise show
//! up only as "handshake failed".
//!
//! RFC 5246 §6.2.1 (record layer), §7.4.1.2 (ClientHello), §7.4.1.3 (ServerHello), §7.2
//! (alerts); RFC 6066 §3 (server_name); RFC 8422 §5.1 (supported groups, point formats);
//! RFC 5746 §3.4 (renegotiation_info).

use serde::Serialize;

/// A protocol version the survey can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyVersion {
    /// TLS 1.0 (0x0301).
    Tls10,
    /// TLS 1.1 (0x0302).
    Tls11,
    /// TLS 1.2 (0x0303).
    Tls12,
}

impl LegacyVersion {
    /// The wire value.
    pub fn wire(self) -> u16 {
        match self {
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
        }
    }
}

/// The cipher suites offered: what Lync-era servers negotiate, strongest first
/// (ECDHE and static RSA, GCM and CBC, 3DES and RC4 last so they show when they are all left).
pub const OFFERED_SUITES: &[(u16, &str)] = &[
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
];

/// The name of a cipher suite this survey offers (`None` for anything else).
pub fn suite_name(code: u16) -> Option<&'static str> {
    OFFERED_SUITES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// The longest server name put in SNI (RFC 1035 §2.3.4: 255).
const MAX_SNI: usize = 255;

/// The largest record accepted (RFC 5246 §6.2.3: 2^14 + 2048).
pub const MAX_RECORD: usize = 16384 + 2048;

/// Builds one ClientHello record offering only `version`, with `random` injected.
/// The server name is left out of SNI when it is not a DNS name of at most 255 bytes.
pub fn client_hello(version: LegacyVersion, server_name: &str, random: [u8; 32]) -> Vec<u8> {
    let mut ext = Vec::new();
    let sni_ok = !server_name.is_empty()
        && server_name.len() <= MAX_SNI
        && server_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && server_name.parse::<std::net::IpAddr>().is_err();
    if sni_ok {
        let name = server_name.as_bytes();
        let mut list = vec![0u8];
        push_u16_bytes(&mut list, name);
        let mut body = Vec::new();
        push_u16_bytes(&mut body, &list);
        push_ext(&mut ext, 0x0000, &body);
    }
    // supported_groups: x25519, secp256r1, secp384r1.
    push_ext(
        &mut ext,
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    // ec_point_formats: uncompressed.
    push_ext(&mut ext, 0x000b, &[1, 0]);
    if version == LegacyVersion::Tls12 {
        // signature_algorithms: rsa_pkcs1_sha256, ecdsa_p256_sha256, rsa_pss_rsae_sha256,
        // rsa_pkcs1_sha384, rsa_pkcs1_sha1, ecdsa_sha1.
        let algs = [
            0x04, 0x01, 0x04, 0x03, 0x08, 0x04, 0x05, 0x01, 0x02, 0x01, 0x02, 0x03,
        ];
        let mut body = Vec::new();
        push_u16_bytes(&mut body, &algs);
        push_ext(&mut ext, 0x000d, &body);
    }
    // renegotiation_info, empty (RFC 5746 §3.4).
    push_ext(&mut ext, 0xff01, &[0]);

    let mut hello = Vec::new();
    hello.extend_from_slice(&version.wire().to_be_bytes());
    hello.extend_from_slice(&random);
    hello.push(0); // empty session id
    let suites: Vec<u8> = OFFERED_SUITES
        .iter()
        .flat_map(|(c, _)| c.to_be_bytes())
        .collect();
    push_u16_bytes(&mut hello, &suites);
    hello.extend_from_slice(&[1, 0]); // compression: null only
    push_u16_bytes(&mut hello, &ext);

    let mut handshake = vec![1u8]; // client_hello
    let len = u32::try_from(hello.len()).unwrap_or(0).to_be_bytes();
    handshake.extend_from_slice(&len[1..]);
    handshake.extend_from_slice(&hello);

    let mut record = vec![22u8, 0x03, 0x01]; // handshake, record version TLS 1.0 for reach
    push_u16_bytes(&mut record, &handshake);
    record
}

fn push_u16_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn push_ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    push_u16_bytes(out, body);
}

/// What the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ServerReply {
    /// A ServerHello: the version and suite chosen.
    Hello {
        /// The version chosen (wire value).
        version: u16,
        /// The cipher suite chosen.
        cipher_suite: u16,
    },
    /// An alert (RFC 5246 §7.2), e.g. 70 protocol_version or 40 handshake_failure.
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description.
        description: u8,
    },
}

/// Why a reply could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    /// More bytes are needed.
    #[error("incomplete record")]
    Incomplete,
    /// The record type is neither handshake nor alert.
    #[error("unexpected record type {0}")]
    UnexpectedRecord(u8),
    /// A record longer than [`MAX_RECORD`].
    #[error("record of {0} bytes is too long")]
    RecordTooLong(usize),
    /// The first handshake message is not a ServerHello.
    #[error("unexpected handshake message {0}")]
    UnexpectedHandshake(u8),
    /// The ServerHello is cut short or inconsistent.
    #[error("malformed server hello")]
    MalformedHello,
    /// Not TLS at all (for example an HTTP or SIP answer on the port).
    #[error("not a tls record (starts with {0:#04x})")]
    NotTls(u8),
}

/// Reads the server's first record: `Err(Incomplete)` asks for more bytes.
pub fn parse_reply(bytes: &[u8]) -> Result<ServerReply, SurveyError> {
    let [kind, major, _minor, l0, l1, rest @ ..] = bytes else {
        return match bytes.first() {
            Some(&b) if !matches!(b, 21 | 22) => Err(SurveyError::NotTls(b)),
            _ => Err(SurveyError::Incomplete),
        };
    };
    if !matches!(kind, 21 | 22) || *major != 3 {
        return Err(SurveyError::NotTls(*kind));
    }
    let len = usize::from(u16::from_be_bytes([*l0, *l1]));
    if len > MAX_RECORD {
        return Err(SurveyError::RecordTooLong(len));
    }
    let body = rest.get(..len).ok_or(SurveyError::Incomplete)?;
    match kind {
        21 => match body {
            [level, description, ..] => Ok(ServerReply::Alert {
                level: *level,
                description: *description,
            }),
            _ => Err(SurveyError::MalformedHello),
        },
        22 => server_hello(body),
        other => Err(SurveyError::UnexpectedRecord(*other)),
    }
}

/// RFC 5246 §7.4.1.3: type(1) length(3) version(2) random(32) session_id<0..32> suite(2) ...
fn server_hello(body: &[u8]) -> Result<ServerReply, SurveyError> {
    let [msg_type, _, _, _, v0, v1, rest @ ..] = body else {
        return Err(SurveyError::MalformedHello);
    };
    if *msg_type != 2 {
        return Err(SurveyError::UnexpectedHandshake(*msg_type));
    }
    let rest = rest.get(32..).ok_or(SurveyError::MalformedHello)?;
    let (&sid_len, rest) = rest.split_first().ok_or(SurveyError::MalformedHello)?;
    if sid_len > 32 {
        return Err(SurveyError::MalformedHello);
    }
    let rest = rest
        .get(usize::from(sid_len)..)
        .ok_or(SurveyError::MalformedHello)?;
    let [s0, s1, ..] = rest else {
        return Err(SurveyError::MalformedHello);
    };
    Ok(ServerReply::Hello {
        version: u16::from_be_bytes([*v0, *v1]),
        cipher_suite: u16::from_be_bytes([*s0, *s1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_is_well_formed() {
        let r = client_hello(LegacyVersion::Tls11, "sip.contoso.com", [7; 32]);
        assert_eq!(&r[..3], &[22, 3, 1]);
        assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), r.len() - 5);
        assert_eq!(r[5], 1);
        let hs_len = u32::from_be_bytes([0, r[6], r[7], r[8]]) as usize;
        assert_eq!(hs_len, r.len() - 9);
        assert_eq!(&r[9..11], &[3, 2]);
        assert_eq!(&r[11..43], &[7; 32]);
        assert!(r.windows(15).any(|w| w == b"sip.contoso.com"));
        let no_sni = client_hello(LegacyVersion::Tls12, "10.0.0.1", [0; 32]);
        assert!(!no_sni.windows(8).any(|w| w == b"10.0.0.1"));
    }

    #[test]
    fn replies_parse() {
        let alert = [21, 3, 3, 0, 2, 2, 70];
        assert_eq!(
            parse_reply(&alert),
            Ok(ServerReply::Alert {
                level: 2,
                description: 70
            })
        );
        let mut hello = vec![22, 3, 1, 0, 0, 2, 0, 0, 0, 3, 1];
        hello.extend_from_slice(&[9; 32]);
        hello.push(2);
        hello.extend_from_slice(&[1, 2, 0x00, 0x2f, 0]);
        let len = (hello.len() - 5) as u16;
        hello[3..5].copy_from_slice(&len.to_be_bytes());
        let got = parse_reply(&hello);
        assert_eq!(
            got,
            Ok(ServerReply::Hello {
                version: 0x0301,
                cipher_suite: 0x002f
            })
        );
        assert_eq!(suite_name(0x002f), Some("TLS_RSA_WITH_AES_128_CBC_SHA"));
        // Every prefix asks for more (or is malformed), never panics.
        for n in 0..hello.len() {
            assert!(parse_reply(&hello[..n]).is_err());
        }
    }

    #[test]
    fn hostile_replies_are_errors() {
        assert_eq!(
            parse_reply(b"SIP/2.0 400 Bad"),
            Err(SurveyError::NotTls(b'S'))
        );
        assert_eq!(parse_reply(b"H"), Err(SurveyError::NotTls(b'H')));
        assert_eq!(
            parse_reply(&[22, 3, 3, 0xff, 0xff]),
            Err(SurveyError::RecordTooLong(65535))
        );
        assert_eq!(
            parse_reply(&[22, 3, 3, 0, 6, 11, 0, 0, 0, 3, 3]),
            Err(SurveyError::UnexpectedHandshake(11))
        );
        assert_eq!(
            parse_reply(&[21, 3, 3, 0, 1, 2]),
            Err(SurveyError::MalformedHello)
        );
        let mut bad_sid = vec![22, 3, 3, 0, 39, 2, 0, 0, 36, 3, 3];
        bad_sid.extend_from_slice(&[0; 32]);
        bad_sid.push(33);
        assert_eq!(parse_reply(&bad_sid), Err(SurveyError::MalformedHello));
    }
}
