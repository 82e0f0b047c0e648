//! Hostile input: the fuzz entry points never panic, and bad names give precise errors.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{CNAME, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use sfb_discovery::fuzzing;
use sfb_discovery::{DomainError, SipDomain, SipUriError, SplitMix64, SrvRng};

#[test]
fn sip_uri_fuzz_entry_survives_adversarial_text() {
    let long_label = format!("sip:a@{}.com", "x".repeat(300));
    let many_dots = format!("sip:a@{}", ".".repeat(1000));
    let deep = format!("sip:a@{}com", "a.".repeat(200));
    let cases: Vec<&[u8]> = vec![
        b"",
        b"sip:",
        b"@",
        b"sip:@",
        b":::",
        b"[",
        b"[::1",
        b"sip:a@\x00.com",
        b"sip:a@\xff\xfe",
        "sip:a@b\u{202e}c.com".as_bytes(),
        long_label.as_bytes(),
        many_dots.as_bytes(),
        deep.as_bytes(),
    ];
    for c in cases {
        fuzzing::sip_uri(c);
    }
    let mut rng = SplitMix64::new(42);
    for _ in 0..2000 {
        let len = rng.uniform_inclusive(80) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| b"sip:@.-a_[]:;?0\xc3\xa9"[rng.uniform_inclusive(16) as usize])
            .collect();
        fuzzing::sip_uri(&bytes);
    }
}

#[test]
fn precise_errors_for_bad_sign_in_addresses() {
    let cases = [
        ("sip:alice@", SipUriError::Domain(DomainError::Empty)),
        (
            "sip:alice@contoso..com",
            SipUriError::Domain(DomainError::EmptyLabel { index: 1 }),
        ),
        (
            "sip:alice@-contoso.com",
            SipUriError::Domain(DomainError::HyphenAtEdge { index: 0 }),
        ),
        (
            "sip:alice@con$oso.com",
            SipUriError::Domain(DomainError::InvalidChar { ch: '$', offset: 3 }),
        ),
        (
            "sip:alice@192.168.0.1",
            SipUriError::Domain(DomainError::NumericTld),
        ),
        (
            "tel:+123@x.com",
            SipUriError::BadScheme {
                scheme: "tel".into(),
            },
        ),
        ("alice", SipUriError::MissingUser),
    ];
    for (input, want) in cases {
        assert_eq!(SipDomain::from_sip_uri(input), Err(want), "{input}");
    }
    let long = format!("sip:alice@{}.com", "a".repeat(70));
    assert_eq!(
        SipDomain::from_sip_uri(&long),
        Err(SipUriError::Domain(DomainError::LabelTooLong {
            index: 0,
            len: 70
        }))
    );
    assert_eq!(
        SipDomain::from_sip_uri(&long).unwrap_err().to_string(),
        "sip uri domain is invalid: label 0 is 70 characters long, the limit is 63"
    );
}

fn sample_response() -> Vec<u8> {
    let qname = Name::from_ascii("lyncdiscoverinternal.contoso.test.").unwrap();
    let mut m = Message::new(7, MessageType::Response, OpCode::Query);
    m.metadata.response_code = ResponseCode::NoError;
    m.add_query(Query::query(qname.clone(), RecordType::A));
    m.add_answer(Record::from_rdata(
        qname,
        60,
        RData::CNAME(CNAME(Name::from_ascii("web.contoso.test.").unwrap())),
    ));
    m.add_answer(Record::from_rdata(
        Name::from_ascii("_sip._tls.contoso.test.").unwrap(),
        60,
        RData::SRV(SRV::new(
            0,
            0,
            443,
            Name::from_ascii("bad_name.contoso.test.").unwrap(),
        )),
    ));
    m.to_vec().unwrap()
}

#[test]
fn dns_answer_fuzz_entry_survives_broken_messages() {
    let good = sample_response();
    fuzzing::dns_answer(&good);
    // Every truncation of a valid reply.
    for n in 0..good.len() {
        fuzzing::dns_answer(&good[..n]);
    }
    // Every single-byte corruption.
    for i in 0..good.len() {
        let mut m = good.clone();
        m[i] ^= 0xff;
        fuzzing::dns_answer(&m);
    }
    // Header claiming 65535 answers, and a compression pointer to itself.
    fuzzing::dns_answer(&[0, 7, 0x81, 0x80, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
    fuzzing::dns_answer(&[
        0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1,
    ]);
    let mut rng = SplitMix64::new(9);
    for _ in 0..3000 {
        let len = rng.uniform_inclusive(300) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.uniform_inclusive(255) as u8).collect();
        if bytes.len() > 4 {
            bytes[2] = 0x81; // make most of them look like responses
        }
        fuzzing::dns_answer(&bytes);
    }
}
