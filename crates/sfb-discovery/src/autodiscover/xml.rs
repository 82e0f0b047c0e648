//! The XML autodiscover document ([MS-OCDISCWS] 2.2.2, `application/vnd.microsoft.rtc.autodiscover+xml`).
//!
//! Shape read (namespace prefixes are ignored, names compared exactly):
//! `AutodiscoverResponse[@AccessLocation]/{Root|User|Domain}/{Link[@token,@href] | Sip*Access[@fqdn,@port]}`.
//! A `<!DOCTYPE>` is rejected outright: quick-xml never expands DTD entities, and refusing the
//! declaration makes that explicit; a reference to any entity other than the five predefined
//! ones is an error too.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::document::{
    AccessKind, Document, DocumentError, DocumentLimits, Link, ResourceKind, SipAccess,
    parse_access_location,
};

const PREDEFINED_ENTITIES: [&str; 5] = ["lt", "gt", "amp", "apos", "quot"];

/// Reads an XML document (the size limit has already been checked by the caller).
pub(crate) fn parse(body: &[u8], limits: &DocumentLimits) -> Result<Document, DocumentError> {
    let text = std::str::from_utf8(body).map_err(|_| DocumentError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut doc = Document {
        resource: ResourceKind::Root,
        access_location: None,
        links: Vec::new(),
        sip_access: Vec::new(),
    };
    let mut resource: Option<ResourceKind> = None;
    // The resource element the reader is inside (depth 1), if it is one we know.
    let mut current: Option<ResourceKind> = None;
    let mut depth = 0usize;
    let mut nodes = 0usize;
    let mut seen_root = false;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| DocumentError::MalformedXml {
                position: reader.error_position(),
                message: e.to_string(),
            })?;
        match event {
            Event::DocType(_) => return Err(DocumentError::DoctypeRejected),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                if !name.starts_with('#') && !PREDEFINED_ENTITIES.contains(&name.as_ref()) {
                    return Err(DocumentError::UnknownEntity);
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                nodes += 1;
                if nodes > limits.max_nodes {
                    return Err(DocumentError::TooManyNodes {
                        limit: limits.max_nodes,
                    });
                }
                if depth + 1 > limits.max_depth {
                    return Err(DocumentError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                let attrs = attributes(e, limits)?;
                let name = e.local_name();
                let name: &str = name.as_ref();
                match depth {
                    0 => {
                        if seen_root {
                            return Err(malformed(&reader, "second top-level element"));
                        }
                        seen_root = true;
                        if name != "AutodiscoverResponse" {
                            return Err(DocumentError::UnexpectedRoot {
                                found: truncate(name),
                            });
                        }
                        doc.access_location =
                            attr(&attrs, "AccessLocation").and_then(parse_access_location);
                    }
                    1 => {
                        current = match name {
                            "Root" => Some(ResourceKind::Root),
                            "User" => Some(ResourceKind::User),
                            "Domain" => Some(ResourceKind::Domain),
                            _ => None,
                        };
                        if resource.is_none() {
                            resource = current;
                        }
                    }
                    2 if current.is_some() => child(name, &attrs, &mut doc, limits)?,
                    _ => {}
                }
                if !is_empty {
                    depth += 1;
                } else if depth == 1 {
                    current = None;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    current = None;
                }
            }
            Event::Eof => break,
            Event::Text(_)
            | Event::CData(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_) => {}
        }
    }
    if depth != 0 {
        return Err(malformed(&reader, "unclosed element at end of document"));
    }
    if !seen_root {
        return Err(DocumentError::UnexpectedRoot {
            found: String::new(),
        });
    }
    doc.resource = resource.ok_or(DocumentError::NoResource)?;
    Ok(doc)
}

/// A child of `Root`, `User` or `Domain`: a `Link` or one of the four SIP access elements.
fn child(
    name: &str,
    attrs: &[(String, String)],
    doc: &mut Document,
    limits: &DocumentLimits,
) -> Result<(), DocumentError> {
    if name == "Link" {
        if doc.links.len() >= limits.max_links {
            return Err(DocumentError::TooManyLinks {
                limit: limits.max_links,
            });
        }
        let token =
            attr(attrs, "token").ok_or(DocumentError::IncompleteLink { missing: "token" })?;
        let href = attr(attrs, "href").ok_or(DocumentError::IncompleteLink { missing: "href" })?;
        doc.links.push(Link {
            token: token.to_owned(),
            href: href.trim().to_owned(),
        });
    } else if let Some(kind) = AccessKind::from_element(name) {
        let access = SipAccess::parse(kind, attr(attrs, "fqdn"), attr(attrs, "port"))?;
        if doc.access(kind).is_none() {
            doc.sip_access.push(access);
        }
    }
    Ok(())
}

/// The element's attributes as (local name, unescaped value), bounded.
fn attributes(
    e: &BytesStart<'_>,
    limits: &DocumentLimits,
) -> Result<Vec<(String, String)>, DocumentError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| DocumentError::MalformedXml {
            position: 0,
            message: err.to_string(),
        })?;
        if out.len() >= limits.max_attributes {
            let element = e.local_name();
            let element: &str = element.as_ref();
            return Err(DocumentError::TooManyAttributes {
                element: truncate(element),
                limit: limits.max_attributes,
            });
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| DocumentError::UnknownEntity)?;
        let key = a.key.local_name();
        let key: &str = key.as_ref();
        out.push((key.to_owned(), value.into_owned()));
    }
    Ok(out)
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn malformed(reader: &Reader<&[u8]>, message: &str) -> DocumentError {
    DocumentError::MalformedXml {
        position: reader.buffer_position(),
        message: message.to_owned(),
    }
}

/// Element names quoted in errors are cut to 64 characters.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiscover::document::AccessLocation;

    fn parse_str(s: &str) -> Result<Document, DocumentError> {
        parse(s.as_bytes(), &DocumentLimits::default())
    }

    #[test]
    fn reads_root_links_and_location() {
        let doc = parse_str(
            r#"<?xml version="1.0"?><AutodiscoverResponse AccessLocation="Internal"><Root>
            <Link token="Domain" href="https://a.example/d?x=1&amp;y=2"/>
            <Link token="User" href=" https://a.example/u "/></Root></AutodiscoverResponse>"#,
        )
        .unwrap();
        assert_eq!(doc.resource, ResourceKind::Root);
        assert_eq!(doc.access_location, Some(AccessLocation::Internal));
        assert_eq!(doc.links.len(), 2);
        assert_eq!(
            doc.link("domain").unwrap().href,
            "https://a.example/d?x=1&y=2"
        );
        assert_eq!(doc.link("USER").unwrap().href, "https://a.example/u");
    }

    /// Microsoft's published sample has `token =` and padded fqdn values; both must be read.
    #[test]
    fn tolerates_the_published_sample_quirks() {
        let doc = parse_str(
            r#"<AutodiscoverResponse AccessLocation="External"><User>
            <SipClientInternalAccess fqdn=" pool01.contoso.com" port="443"/>
            <SipClientExternalAccess fqdn="sip.contoso.com " port=" 443"/>
            <Link token ="External/Autodiscover" href="https://w/root"/></User></AutodiscoverResponse>"#,
        )
        .unwrap();
        assert_eq!(doc.sip_access[0].fqdn.as_str(), "pool01.contoso.com");
        assert_eq!(doc.sip_access[1].fqdn.as_str(), "sip.contoso.com");
        assert_eq!(doc.sip_access[1].port, 443);
        assert_eq!(doc.links[0].token, "External/Autodiscover");
    }

    #[test]
    fn links_outside_a_resource_are_ignored() {
        let doc = parse_str(
            r#"<AutodiscoverResponse><Other><Link token="User" href="https://x/"/></Other>
            <User><SipClientExternalAccess fqdn="sip.example.com" port="443"/></User></AutodiscoverResponse>"#,
        )
        .unwrap();
        assert_eq!(doc.resource, ResourceKind::User);
        assert!(doc.links.is_empty());
        assert_eq!(doc.sip_access.len(), 1);
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            parse_str("<html><body/></html>"),
            Err(DocumentError::UnexpectedRoot {
                found: "html".into()
            })
        );
        assert_eq!(
            parse_str("<AutodiscoverResponse/>"),
            Err(DocumentError::NoResource)
        );
        assert_eq!(
            parse_str(""),
            Err(DocumentError::UnexpectedRoot {
                found: String::new()
            })
        );
        assert_eq!(
            parse_str(
                r#"<AutodiscoverResponse><Root><Link href="x"/></Root></AutodiscoverResponse>"#
            ),
            Err(DocumentError::IncompleteLink { missing: "token" })
        );
        assert!(matches!(
            parse_str("<AutodiscoverResponse><Root></User></AutodiscoverResponse>"),
            Err(DocumentError::MalformedXml { .. })
        ));
        assert!(matches!(
            parse_str("<AutodiscoverResponse><Root>"),
            Err(DocumentError::MalformedXml { .. })
        ));
        assert_eq!(
            parse(&[0x3c, 0xff, 0xfe], &DocumentLimits::default()),
            Err(DocumentError::NotUtf8)
        );
    }

    #[test]
    fn entities_are_never_expanded() {
        let doctype = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>
            <AutodiscoverResponse><Root><Link token="User" href="&b;"/></Root></AutodiscoverResponse>"#;
        assert_eq!(parse_str(doctype), Err(DocumentError::DoctypeRejected));
        let undeclared = r#"<AutodiscoverResponse><Root><Link token="User" href="&b;"/></Root></AutodiscoverResponse>"#;
        assert_eq!(parse_str(undeclared), Err(DocumentError::UnknownEntity));
        let in_text = "<AutodiscoverResponse><Root>&lol;</Root></AutodiscoverResponse>";
        assert_eq!(parse_str(in_text), Err(DocumentError::UnknownEntity));
    }
}
