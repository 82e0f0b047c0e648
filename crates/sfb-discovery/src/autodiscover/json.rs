//! The JSON autodiscover document ([MS-OCDISCWS] 2.2.3, `application/vnd.microsoft.rtc.autodiscover+json`).
//!
//! Two shapes are read:
//! - the HAL form the UCWA documentation shows: `{"_links": {"user": {"href": ".."}, ..}}`, each key
//!   a token (a value may also be an array of link objects); `AccessLocation` and the
//!   `Sip*Access` objects may sit beside `_links`;
//! - the XML-shaped form `{"AccessLocation": "..", "User": {"Links": [{"token": .., "href": ..}],
//!   "SipClientExternalAccess": {"fqdn": .., "port": ..}}}` ([RECON]: not seen in a capture).
//!
//! Before serde_json sees the body, a linear scan bounds nesting depth and value count.

use serde_json::{Map, Value};

use super::document::{
    AccessKind, Document, DocumentError, DocumentLimits, Link, ResourceKind, SipAccess,
    parse_access_location,
};

/// Reads a JSON document (the size limit has already been checked by the caller).
pub(crate) fn parse(body: &[u8], limits: &DocumentLimits) -> Result<Document, DocumentError> {
    prescan(body, limits)?;
    let value: Value = serde_json::from_slice(body).map_err(|e| DocumentError::MalformedJson {
        line: e.line(),
        column: e.column(),
    })?;
    let Value::Object(top) = value else {
        return Err(DocumentError::UnexpectedRoot {
            found: kind_of(&value).to_owned(),
        });
    };
    let mut doc = Document {
        resource: ResourceKind::Root,
        access_location: None,
        links: Vec::new(),
        sip_access: Vec::new(),
    };
    doc.access_location = get(&top, "AccessLocation")
        .and_then(Value::as_str)
        .and_then(parse_access_location);

    let mut explicit = None;
    for (key, kind) in [
        ("Root", ResourceKind::Root),
        ("User", ResourceKind::User),
        ("Domain", ResourceKind::Domain),
    ] {
        if let Some(Value::Object(resource)) = get(&top, key) {
            explicit.get_or_insert(kind);
            read_resource(resource, &mut doc, limits)?;
        }
    }
    read_resource(&top, &mut doc, limits)?;
    doc.resource = match explicit {
        Some(kind) => kind,
        None if !doc.sip_access.is_empty() => ResourceKind::User,
        None if ["redirect", "user", "domain"]
            .iter()
            .any(|t| doc.link(t).is_some()) =>
        {
            ResourceKind::Root
        }
        None if doc.link("applications").is_some() => ResourceKind::User,
        None => return Err(DocumentError::NoResource),
    };
    Ok(doc)
}

/// Links (`_links` map or `Links`/`Link` array) and SIP access objects of one object.
fn read_resource(
    obj: &Map<String, Value>,
    doc: &mut Document,
    limits: &DocumentLimits,
) -> Result<(), DocumentError> {
    if let Some(Value::Object(links)) = get(obj, "_links") {
        for (token, value) in links {
            let targets: &[Value] = match value {
                Value::Array(items) => items,
                other => std::slice::from_ref(other),
            };
            for target in targets {
                let href = target
                    .get("href")
                    .and_then(Value::as_str)
                    .ok_or(DocumentError::IncompleteLink { missing: "href" })?;
                push_link(doc, limits, token, href)?;
            }
        }
    }
    for key in ["Links", "Link"] {
        if let Some(Value::Array(items)) = get(obj, key) {
            for item in items {
                let token = item
                    .get("token")
                    .and_then(Value::as_str)
                    .ok_or(DocumentError::IncompleteLink { missing: "token" })?;
                let href = item
                    .get("href")
                    .and_then(Value::as_str)
                    .ok_or(DocumentError::IncompleteLink { missing: "href" })?;
                push_link(doc, limits, token, href)?;
            }
        }
    }
    for kind in AccessKind::ALL {
        if let Some(value) = get(obj, kind.element()) {
            let fqdn = value.get("fqdn").and_then(Value::as_str);
            let port = value.get("port").map(|p| match p {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            });
            let access = SipAccess::parse(kind, fqdn, port.as_deref())?;
            if doc.access(kind).is_none() {
                doc.sip_access.push(access);
            }
        }
    }
    Ok(())
}

fn push_link(
    doc: &mut Document,
    limits: &DocumentLimits,
    token: &str,
    href: &str,
) -> Result<(), DocumentError> {
    if doc.links.len() >= limits.max_links {
        return Err(DocumentError::TooManyLinks {
            limit: limits.max_links,
        });
    }
    doc.links.push(Link {
        token: token.to_owned(),
        href: href.trim().to_owned(),
    });
    Ok(())
}

/// A key looked up ignoring ASCII case (JSON serialisers differ in casing).
fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One pass over the bytes, outside strings: nesting depth and an upper bound on the number of
/// values (`,`, `[`, `{`), so a hostile body is refused before it is materialised.
fn prescan(body: &[u8], limits: &DocumentLimits) -> Result<(), DocumentError> {
    let (mut depth, mut nodes) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                nodes += 1;
                if depth > limits.max_depth {
                    return Err(DocumentError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => nodes += 1,
            _ => {}
        }
        if nodes > limits.max_nodes {
            return Err(DocumentError::TooManyNodes {
                limit: limits.max_nodes,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiscover::document::AccessLocation;

    fn parse_str(s: &str) -> Result<Document, DocumentError> {
        parse(s.as_bytes(), &DocumentLimits::default())
    }

    #[test]
    fn hal_root() {
        let doc = parse_str(
            r#"{"_links":{"self":{"href":"https://w/root"},"user":{"href":"https://w/root/oauth/user"},
                "xframe":[{"href":"https://w/x1"},{"href":"https://w/x2"}]}}"#,
        )
        .unwrap();
        assert_eq!(doc.resource, ResourceKind::Root);
        assert_eq!(doc.links.len(), 4);
        assert_eq!(doc.link("User").unwrap().href, "https://w/root/oauth/user");
    }

    #[test]
    fn xml_shaped_user() {
        let doc = parse_str(
            r#"{"AccessLocation":"External","User":{"Links":[{"token":"Ucwa","href":"https://w/ucwa"}],
               "SipClientExternalAccess":{"fqdn":"sip.contoso.com","port":443},
               "SipClientInternalAccess":{"fqdn":"pool.contoso.com","port":"5061"}}}"#,
        )
        .unwrap();
        assert_eq!(doc.resource, ResourceKind::User);
        assert_eq!(doc.access_location, Some(AccessLocation::External));
        assert_eq!(doc.access(AccessKind::ClientExternal).unwrap().port, 443);
        assert_eq!(doc.access(AccessKind::ClientInternal).unwrap().port, 5061);
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_str("[1,2]"),
            Err(DocumentError::UnexpectedRoot {
                found: "array".into()
            })
        );
        assert_eq!(parse_str("{}"), Err(DocumentError::NoResource));
        assert_eq!(
            parse_str(r#"{"_links":{"user":{}}}"#),
            Err(DocumentError::IncompleteLink { missing: "href" })
        );
        assert_eq!(
            parse_str("{\"a\":"),
            Err(DocumentError::MalformedJson { line: 1, column: 5 })
        );
        let deep = format!("{}{}", "[".repeat(17), "]".repeat(17));
        assert_eq!(parse_str(&deep), Err(DocumentError::TooDeep { limit: 16 }));
        // brackets inside strings do not count
        let quoted = format!(
            r#"{{"_links":{{"user":{{"href":"https://w/{}"}}}}}}"#,
            "[{\\\"".repeat(40)
        );
        assert!(parse_str(&quoted).is_ok());
        let many = format!("[{}0]", "0,".repeat(5000));
        assert_eq!(
            parse_str(&many),
            Err(DocumentError::TooManyNodes { limit: 4096 })
        );
    }
}
