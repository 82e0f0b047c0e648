//! Autodiscover documents from `testdata/autodiscover`, and hostile inputs.

use std::time::Instant;

use sfb_discovery::autodiscover::{
    AccessKind, AccessLocation, Document, DocumentError, DocumentFormat, DocumentLimits,
    ResourceKind, fuzzing,
};

fn data(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/testdata/autodiscover/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(format: DocumentFormat, bytes: &[u8]) -> Result<Document, DocumentError> {
    Document::parse(format, bytes, &DocumentLimits::default())
}

#[test]
fn xml_root_with_domain_and_user_links() {
    let doc = parse(DocumentFormat::Xml, &data("root.xml")).unwrap();
    assert_eq!(doc.resource, ResourceKind::Root);
    assert_eq!(doc.access_location, Some(AccessLocation::Internal));
    let tokens: Vec<&str> = doc.links.iter().map(|l| l.token.as_str()).collect();
    assert_eq!(tokens, ["Domain", "User", "Self", "OAuth"]);
    assert_eq!(
        doc.link("User").unwrap().href,
        "https://lyncwebint.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"
    );
    assert!(doc.sip_access.is_empty());
}

#[test]
fn xml_root_redirect() {
    let doc = parse(DocumentFormat::Xml, &data("root_redirect.xml")).unwrap();
    assert_eq!(doc.resource, ResourceKind::Root);
    assert_eq!(doc.links.len(), 1);
    assert!(
        doc.link("Redirect")
            .unwrap()
            .href
            .starts_with("https://webdir.online.lync.com/")
    );
}

#[test]
fn xml_user_with_access_locations() {
    let doc = parse(DocumentFormat::Xml, &data("user.xml")).unwrap();
    assert_eq!(doc.resource, ResourceKind::User);
    assert_eq!(doc.access_location, Some(AccessLocation::External));
    let got: Vec<(AccessKind, &str, u16)> = doc
        .sip_access
        .iter()
        .map(|a| (a.kind, a.fqdn.as_str(), a.port))
        .collect();
    assert_eq!(
        got,
        [
            (AccessKind::ServerInternal, "pool01.contoso.com", 5061),
            (AccessKind::ClientInternal, "pool01.contoso.com", 443),
            (AccessKind::ServerExternal, "sip.contoso.com", 5061),
            (AccessKind::ClientExternal, "sip.contoso.com", 443),
        ]
    );
    assert_eq!(doc.links.len(), 15);
    assert_eq!(
        doc.link("External/Ucwa").unwrap().href,
        "https://webexternal.contoso.com/ucwa/v1/applications"
    );
    assert_eq!(
        doc.link("Internal/AuthBroker").unwrap().href,
        "https://webinternal.contoso.net/Reach/sip.svc"
    );
}

#[test]
fn xml_user_redirect_and_domain() {
    let doc = parse(DocumentFormat::Xml, &data("user_redirect.xml")).unwrap();
    assert_eq!(doc.resource, ResourceKind::User);
    assert!(doc.link("Redirect").is_some());
    let doc = parse(DocumentFormat::Xml, &data("domain.xml")).unwrap();
    assert_eq!(doc.resource, ResourceKind::Domain);
    assert_eq!(doc.links.len(), 6);
}

#[test]
fn json_documents() {
    let root = parse(DocumentFormat::Json, &data("root.json")).unwrap();
    assert_eq!(root.resource, ResourceKind::Root);
    assert!(
        root.link("User")
            .unwrap()
            .href
            .ends_with("/root/oauth/user?originalDomain=contoso.com")
    );
    let redirect = parse(DocumentFormat::Json, &data("root_redirect.json")).unwrap();
    assert!(redirect.link("Redirect").is_some());
    let user = parse(DocumentFormat::Json, &data("user.json")).unwrap();
    assert_eq!(user.resource, ResourceKind::User);
    assert_eq!(user.sip_access.len(), 4);
    assert_eq!(
        user.access(AccessKind::ClientExternal)
            .unwrap()
            .fqdn
            .as_str(),
        "sip.contoso.com"
    );
    assert_eq!(user.links.len(), 3);
}

#[test]
fn the_wrong_reader_fails_precisely() {
    assert!(matches!(
        parse(DocumentFormat::Json, &data("root.xml")),
        Err(DocumentError::MalformedJson { .. })
    ));
    assert!(matches!(
        parse(DocumentFormat::Xml, &data("root.json")),
        Err(DocumentError::UnexpectedRoot { .. } | DocumentError::MalformedXml { .. })
    ));
}

#[test]
fn hostile_entity_expansion_is_rejected() {
    let t = Instant::now();
    assert_eq!(
        parse(DocumentFormat::Xml, &data("billion_laughs.xml")),
        Err(DocumentError::DoctypeRejected)
    );
    assert_eq!(
        parse(DocumentFormat::Xml, &data("captive_portal.html")),
        Err(DocumentError::DoctypeRejected)
    );
    assert!(t.elapsed().as_millis() < 500);
}

#[test]
fn hostile_size_depth_and_counts() {
    let limits = DocumentLimits::default();
    let huge = vec![b' '; limits.max_bytes + 1];
    assert_eq!(
        parse(DocumentFormat::Xml, &huge),
        Err(DocumentError::TooLarge {
            size: limits.max_bytes + 1,
            limit: limits.max_bytes
        })
    );
    assert_eq!(
        parse(DocumentFormat::Json, &huge),
        Err(DocumentError::TooLarge {
            size: limits.max_bytes + 1,
            limit: limits.max_bytes
        })
    );

    let deep = format!(
        "<AutodiscoverResponse>{}{}</AutodiscoverResponse>",
        "<a>".repeat(10_000),
        "</a>".repeat(10_000)
    );
    assert_eq!(
        parse(DocumentFormat::Xml, deep.as_bytes()),
        Err(DocumentError::TooDeep {
            limit: limits.max_depth
        })
    );
    let deep_json = format!("{}{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    assert_eq!(
        parse(DocumentFormat::Json, deep_json.as_bytes()),
        Err(DocumentError::TooDeep {
            limit: limits.max_depth
        })
    );

    let links = format!(
        "<AutodiscoverResponse><Root>{}</Root></AutodiscoverResponse>",
        "<Link token=\"X\" href=\"https://h/\"/>".repeat(limits.max_links + 1)
    );
    assert_eq!(
        parse(DocumentFormat::Xml, links.as_bytes()),
        Err(DocumentError::TooManyLinks {
            limit: limits.max_links
        })
    );
    let json_links = format!(
        "{{\"_links\":{{\"x\":[{}{{\"href\":\"h\"}}]}}}}",
        "{\"href\":\"h\"},".repeat(limits.max_links)
    );
    assert_eq!(
        parse(DocumentFormat::Json, json_links.as_bytes()),
        Err(DocumentError::TooManyLinks {
            limit: limits.max_links
        })
    );

    let nodes = format!(
        "<AutodiscoverResponse>{}</AutodiscoverResponse>",
        "<x/>".repeat(limits.max_nodes + 1)
    );
    assert_eq!(
        parse(DocumentFormat::Xml, nodes.as_bytes()),
        Err(DocumentError::TooManyNodes {
            limit: limits.max_nodes
        })
    );
    let attrs: String = (0..=limits.max_attributes)
        .map(|i| format!(" a{i}=\"v\""))
        .collect();
    let attrs = format!("<AutodiscoverResponse{attrs}/>");
    assert!(matches!(
        parse(DocumentFormat::Xml, attrs.as_bytes()),
        Err(DocumentError::TooManyAttributes { .. })
    ));
}

#[test]
fn hostile_values() {
    let bad_port = r#"<AutodiscoverResponse><User><SipClientExternalAccess fqdn="sip.contoso.com" port="70000"/></User></AutodiscoverResponse>"#;
    assert_eq!(
        parse(DocumentFormat::Xml, bad_port.as_bytes()),
        Err(DocumentError::InvalidPort {
            element: "SipClientExternalAccess"
        })
    );
    let bad_fqdn = r#"<AutodiscoverResponse><User><SipClientInternalAccess fqdn="pool;rm -rf" port="5061"/></User></AutodiscoverResponse>"#;
    assert_eq!(
        parse(DocumentFormat::Xml, bad_fqdn.as_bytes()),
        Err(DocumentError::InvalidFqdn {
            element: "SipClientInternalAccess"
        })
    );
    let dup = r#"<AutodiscoverResponse><Root><Link token="User" token="Redirect" href="https://h/"/></Root></AutodiscoverResponse>"#;
    assert!(matches!(
        parse(DocumentFormat::Xml, dup.as_bytes()),
        Err(DocumentError::MalformedXml { .. })
    ));
}

#[test]
fn fuzzing_entry_never_panics_on_samples_and_mutations() {
    let names = [
        "root.xml",
        "root_redirect.xml",
        "user.xml",
        "user_redirect.xml",
        "domain.xml",
        "root.json",
        "root_redirect.json",
        "user.json",
        "billion_laughs.xml",
        "captive_portal.html",
    ];
    for name in names {
        let bytes = data(name);
        fuzzing::documents(&bytes);
        // every truncation, and a byte flip at every 7th position
        for cut in 0..bytes.len() {
            fuzzing::documents(bytes.get(..cut).unwrap_or_default());
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut m = bytes.clone();
            if let Some(b) = m.get_mut(i) {
                *b ^= 0xa5;
            }
            fuzzing::documents(&m);
        }
    }
}

#[test]
fn http_response_reader_is_split_invariant_on_mutations() {
    let samples: [&[u8]; 4] = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1\r\nContent-Length: 12\r\n\r\n<x>hello</x>",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext\r\n!\r\n0\r\nTrailer: x\r\n\r\n",
        b"HTTP/1.1 401 Unauthorized\r\nX-MS-WebTicketURL: https://a/b\r\nWWW-Authenticate: Negotiate\r\n\r\nclosed-delimited",
        b"HTTP/1.0 204 No Content\r\n\r\n",
    ];
    for sample in samples {
        fuzzing::http_response(sample);
        for cut in 0..sample.len() {
            fuzzing::http_response(&sample[..cut]);
        }
        for i in 0..sample.len() {
            for flip in [0x01u8, 0x20, 0x80, 0xff] {
                let mut m = sample.to_vec();
                m[i] ^= flip;
                fuzzing::http_response(&m);
            }
        }
    }
    let mut long_line = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    long_line.extend(std::iter::repeat_n(b'0', 1030));
    long_line.extend_from_slice(b"\r\n\r\n");
    fuzzing::http_response(&long_line);
    let mut long_head = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    long_head.extend(std::iter::repeat_n(b'a', 20_000));
    long_head.extend_from_slice(b"\x01\r\n\r\n");
    fuzzing::http_response(&long_head);
}
