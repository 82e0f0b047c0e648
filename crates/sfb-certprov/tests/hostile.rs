//! Hostile input for the readers behind the fuzz entry points: truncations and byte flips of
//! real documents, entity bombs, deep and wide trees. They must return errors, never panic or
//! take long.

use std::time::Instant;

use sfb_certprov::fuzzing;
use sfb_certprov::rstr::{RstrError, parse_rstr};
use sfb_certprov::xml::{XmlError, XmlLimits};

const DOCS: [&[u8]; 4] = [
    include_bytes!("../testdata/rstr.xml"),
    include_bytes!("../testdata/fault.xml"),
    include_bytes!("../testdata/mex.xml"),
    include_bytes!("../testdata/rst-golden.xml"),
];

fn all(data: &[u8]) {
    fuzzing::rstr(data);
    fuzzing::mex(data);
    fuzzing::rst(data);
    fuzzing::diagnostics(data);
}

#[test]
fn truncations_and_byte_flips() {
    let start = Instant::now();
    for doc in DOCS {
        for cut in (0..doc.len()).step_by(7) {
            all(doc.get(..cut).unwrap_or_default());
        }
        for at in (0..doc.len()).step_by(13) {
            for b in [0u8, b'<', b'>', b'&', b'"', 0xff] {
                let mut d = doc.to_vec();
                if let Some(x) = d.get_mut(at) {
                    *x = b;
                }
                all(&d);
            }
        }
    }
    assert!(start.elapsed().as_secs() < 60);
}

#[test]
fn bombs_and_shapes() {
    let l = XmlLimits::default();
    let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Envelope>&lol2;</Envelope>"#;
    assert_eq!(
        parse_rstr(laughs, &l),
        Err(RstrError::Xml(XmlError::DoctypeRejected))
    );
    let external = br#"<Envelope><Body>&xxe;</Body></Envelope>"#;
    assert_eq!(
        parse_rstr(external, &l),
        Err(RstrError::Xml(XmlError::UnknownEntity))
    );
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let start = Instant::now();
    assert!(matches!(
        parse_rstr(deep.as_bytes(), &l),
        Err(RstrError::Xml(
            XmlError::TooLarge { .. } | XmlError::TooDeep { .. }
        ))
    ));
    let deep = format!("{}{}", "<a>".repeat(1000), "</a>".repeat(1000));
    assert_eq!(
        parse_rstr(deep.as_bytes(), &l),
        Err(RstrError::Xml(XmlError::TooDeep { limit: 32 }))
    );
    let wide = format!("<a>{}</a>", "<b/>".repeat(20_000));
    assert_eq!(
        parse_rstr(wide.as_bytes(), &l),
        Err(RstrError::Xml(XmlError::TooManyNodes { limit: 4096 }))
    );
    let long_attr = format!("<a x=\"{}\"/>", "y".repeat(200_000));
    assert!(parse_rstr(long_attr.as_bytes(), &l).is_err());
    assert!(start.elapsed().as_secs() < 10);
    for junk in [
        &b""[..],
        b"\0\0\0",
        b"<",
        b"<?xml",
        b"<a",
        b"</a>",
        b"<![CDATA[",
        b"\xef\xbb\xbf",
    ] {
        all(junk);
        assert!(parse_rstr(junk, &l).is_err());
    }
}
