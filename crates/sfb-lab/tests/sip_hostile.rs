//! Hostile input to the lab's SIP roles: garbage, limits, malformed headers and auth values,
//! and mutated sign-ins. Never a panic; a precise 400 (and the connection closed for bytes
//! that are not SIP), and the other connections keep working.

mod sip_support;

use sfb_lab::directory::PoolId;
use sfb_lab::scenario::Scenario;
use sfb_lab::sip::Role;
use sip_support::*;

fn warning(m: &sfb_sip_codec::OwnedMessage) -> String {
    m.message()
        .warnings()
        .next()
        .unwrap()
        .unwrap()
        .text
        .to_owned()
}

#[test]
fn garbage_gets_a_400_and_closes() {
    let lab = lab(Scenario::Healthy, false);
    for role in [Role::Edge, Role::Director, Role::Pool(PoolId(0))] {
        for junk in [
            &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"REGISTER sip:contoso.test SIP/2.0\r\nVia: \xff\xfe\r\n\r\n",
            b"\r\n\r\n",
            b"",
        ] {
            let mut c = Client::new(&lab, role, "alice");
            let rs = c.send_raw(junk);
            assert_eq!(rs.len(), 1);
            assert_eq!(status(&rs[0]), 400);
            assert!(!warning(&rs[0]).is_empty());
            assert!(c.conn.is_closed(), "{role:?} {junk:?}");
        }
    }
}

#[test]
fn limits_are_enforced_and_named() {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let mut raw = b"REGISTER sip:contoso.test SIP/2.0\r\n".to_vec();
    for i in 0..200 {
        raw.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    let r = c.send_raw(&raw).remove(0);
    assert_eq!(status(&r), 400);
    assert!(warning(&r).contains("128"), "{}", warning(&r));
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let long = format!(
        "REGISTER sip:contoso.test SIP/2.0\r\nX: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let r = c.send_raw(long.as_bytes()).remove(0);
    assert_eq!(status(&r), 400);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let body = format!(
        "MESSAGE sip:a SIP/2.0\r\nContent-Length: {}\r\n\r\n{}",
        300_000,
        "b".repeat(300_000)
    );
    let r = c.send_raw(body.as_bytes()).remove(0);
    assert_eq!(status(&r), 400);
}

#[test]
fn invalid_requests_get_a_400_that_names_the_fault() {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    // No Call-ID (validation tier): 400 with the headers that could be copied.
    let r = c
        .send_raw(b"REGISTER sip:contoso.test SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.10:1;branch=z9hG4bK1\r\nFrom: <sip:alice@contoso.test>;tag=1\r\nTo: <sip:alice@contoso.test>\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
        .remove(0);
    assert_eq!(status(&r), 400);
    assert!(
        warning(&r).to_lowercase().contains("call-id"),
        "{}",
        warning(&r)
    );
    assert!(!c.conn.is_closed());
    // A malformed Authorization: 400 naming it.
    c.cseq = 5;
    let m = c.build(
        "REGISTER",
        "sip:contoso.test",
        &[],
        b"",
        Some((
            "Authorization",
            "NTLM realm=\"SIP Communications Service\", targetname=",
        )),
    );
    let r = c.send(&m);
    assert_eq!(status(&r), 400, "{}", text(&r));
    assert!(warning(&r).contains("Authorization"), "{}", warning(&r));
    // Garbage gssapi-data in the final leg: a refused handshake, not a crash.
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    c.first_register();
    c.cseq += 1;
    let m = c.build(
        "REGISTER",
        "sip:contoso.test",
        &[],
        b"",
        Some((
            "Authorization",
            "NTLM qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"pool0.contoso.test\", gssapi-data=\"TlRMTVNTUAADAAAA\", version=4",
        )),
    );
    let r = c.send(&m);
    assert!(matches!(status(&r), 400 | 401), "{}", text(&r));
    // An offer for another targetname: challenged again.
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    c.cseq = 1;
    let m = c.build(
        "REGISTER",
        "sip:contoso.test",
        &[],
        b"",
        Some((
            "Authorization",
            "NTLM qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"evil.test\", gssapi-data=\"\", version=4",
        )),
    );
    assert_eq!(status(&c.send(&m)), 401);
}

#[test]
fn repeated_failures_close_the_connection() {
    let lab = lab(Scenario::NtlmWrongPassword, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    for _ in 0..8 {
        assert!(!c.conn.is_closed());
        c.register();
    }
    assert!(c.conn.is_closed());
}

/// Deterministic mutations of a whole sign-in (bytes flipped, lines cut, duplicated): every
/// answer parses with the codec; a parallel healthy connection keeps working.
#[test]
fn mutated_sign_ins_never_panic() {
    let lab = lab(Scenario::Healthy, true);
    let mut seed = 0x9E37_79B9_u64;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % u64::try_from(n.max(1)).unwrap()).unwrap()
    };
    // Record a real sign-in's requests.
    let mut c = Client::new(&lab, Role::Edge, "alice");
    c.register();
    let req = c.signed_request("OPTIONS", "sip:alice@contoso.test", &[], b"");
    let base = text(&req).into_bytes();
    for i in 0..1500 {
        let role = match i % 3 {
            0 => Role::Edge,
            1 => Role::Director,
            _ => Role::Pool(PoolId(i % 2)),
        };
        let mut m = base.clone();
        for _ in 0..1 + rnd(4) {
            if m.is_empty() {
                break;
            }
            match rnd(4) {
                0 => {
                    let at = rnd(m.len());
                    m[at] = u8::try_from(rnd(256)).unwrap();
                }
                1 => {
                    let at = rnd(m.len());
                    m.truncate(at);
                }
                2 => {
                    let at = rnd(m.len());
                    let chunk = m[at..].to_vec();
                    m.extend_from_slice(&chunk[..chunk.len().min(64)]);
                }
                _ => {
                    let at = rnd(m.len());
                    m.insert(at, b"\r\n:;,\"<>="[rnd(9)]);
                }
            }
        }
        let mut conn = lab.accept(role, peer());
        for out in conn.on_message(&m, now()) {
            parse(&out);
        }
    }
    let mut ok = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(ok.register().last().unwrap()), 200);
}

/// One byte of a signed request mutated on an established connection (the signature, CSeq,
/// headers or body touched): every answer parses with the codec, and some mutations are
/// refused (a bad signature drops the association).
#[test]
fn mutated_signed_requests_on_established_connections() {
    let lab = lab(Scenario::Healthy, false);
    let mut seed = 0xD1B5_4A32_u64;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % u64::try_from(n.max(1)).unwrap()).unwrap()
    };
    let mut rejected = 0;
    for _ in 0..60 {
        let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
        assert_eq!(status(c.register().last().unwrap()), 200);
        for _ in 0..5 {
            let req = c.signed_request(
                "SUBSCRIBE",
                "sip:alice@contoso.test",
                &[("Event", "vnd-microsoft-roaming-contacts")],
                b"",
            );
            let mut m = req.as_bytes().to_vec();
            let at = rnd(m.len());
            m[at] = b"0Z:;\"<>, \r"[rnd(10)];
            for out in c.conn.on_message(&m, now()) {
                let r = parse(&out);
                if status(&r) != 200 {
                    rejected += 1;
                }
            }
            if c.conn.is_closed() {
                break;
            }
        }
    }
    assert!(rejected > 0);
}
