//! `--redact-personal` (the default of `--html`): hides who was probed.
//!
//! Replaced by `<personal>`: the target URI and its address wherever it appears (SIP text, HTTP
//! URLs and bodies, auth token fields), the values of the SIP headers that name people
//! (`From`, `To`, `Contact`, `P-Asserted-Identity`, ... with their compact forms; header
//! parameters such as `tag` after the name-addr are kept), and the user and workstation fields
//! of decoded auth tokens. Server names, certificates and realms stay: they are what the
//! helpdesk needs.

use sfb_trace::redact::REDACTED_PERSONAL;
use sfb_trace::{EvidenceKind, SignInTrace};

/// SIP headers whose value names a person (long and compact forms).
const PERSONAL_HEADERS: &[&str] = &[
    "from",
    "f",
    "to",
    "t",
    "contact",
    "m",
    "p-asserted-identity",
    "p-preferred-identity",
    "referred-by",
    "b",
    "ms-user-logon-data",
];

/// Auth token field names (or parts of them) that name a person or a machine.
const PERSONAL_FIELDS: &[&str] = &["user", "workstation", "principal", "cname", "display"];

/// The most distinct addresses collected for scrubbing.
const MAX_ADDRESSES: usize = 16;

/// A copy of the trace with personal data replaced (idempotent).
///
/// The addresses scrubbed from free text are the target's and those the SIP messages' personal
/// headers name (so a trace whose target was already hidden by its producer is still scrubbed).
pub fn redact_personal(trace: &SignInTrace) -> SignInTrace {
    let mut out = trace.clone();
    let mut addresses: Vec<String> = address_of(&trace.target).into_iter().collect();
    for e in &trace.evidence {
        if let EvidenceKind::Sip(sip) = &e.kind {
            header_addresses(&sip.text, &mut addresses);
        }
    }
    out.target = REDACTED_PERSONAL.to_owned();
    out.policy.redact_personal = true;
    let scrub = |s: &str| {
        addresses
            .iter()
            .fold(s.to_owned(), |acc, a| scrub_address(&acc, Some(a)))
    };
    for e in &mut out.evidence {
        match &mut e.kind {
            EvidenceKind::Sip(sip) => {
                let text = scrub(&redact_headers(&sip.text));
                if text != sip.text {
                    sip.text = text;
                    sip.redacted = true;
                }
            }
            EvidenceKind::Http(http) => {
                http.url = scrub(&http.url);
                if let Some(b) = &mut http.body_start {
                    *b = scrub(b);
                }
                for (_, v) in &mut http.headers {
                    *v = scrub(v);
                }
            }
            EvidenceKind::AuthToken(tok) => {
                for (k, v) in &mut tok.fields {
                    let k = k.to_ascii_lowercase();
                    if PERSONAL_FIELDS.iter().any(|p| k.contains(p)) {
                        REDACTED_PERSONAL.clone_into(v);
                    } else {
                        *v = scrub(v);
                    }
                }
            }
            EvidenceKind::Fact(f) => {
                for v in f.fields.values_mut() {
                    *v = scrub(v);
                }
                for i in &mut f.items {
                    *i = scrub(i);
                }
                if let Some(t) = &mut f.sentence {
                    *t = scrub(t);
                }
            }
            EvidenceKind::Dns(_) | EvidenceKind::Tcp(_) | EvidenceKind::Tls(_) => {}
        }
    }
    for step in &mut out.steps {
        for v in &mut step.verdicts {
            v.sentence = scrub(&v.sentence);
            if let Some(r) = &mut v.remedy {
                *r = scrub(r);
            }
        }
    }
    out
}

/// Adds the `user@host` of every `sip:` URI in the personal headers of a message (bounded).
fn header_addresses(text: &str, into: &mut Vec<String>) {
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !PERSONAL_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name.trim()))
        {
            continue;
        }
        let lower = value.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower.get(from..).and_then(|r| r.find("sip:")) {
            let start = from + i + 4;
            let rest = value.get(start..).unwrap_or_default();
            let end = rest.find(['>', ';', ',', '"', ' ']).unwrap_or(rest.len());
            let addr = rest.get(..end).unwrap_or_default().to_ascii_lowercase();
            if addr.contains('@') && !into.contains(&addr) && into.len() < MAX_ADDRESSES {
                into.push(addr);
            }
            from = start;
        }
    }
}

/// `alice@contoso.com` from `sip:alice@contoso.com` (`None` if there is no user part).
fn address_of(target: &str) -> Option<String> {
    let bare = target
        .strip_prefix("sip:")
        .or_else(|| target.strip_prefix("sips:"))
        .unwrap_or(target);
    let bare = bare.split([';', '?', '>']).next().unwrap_or_default();
    bare.contains('@').then(|| bare.to_owned())
}

/// Replaces every case-insensitive occurrence of `address` (and its user part followed by `@`).
fn scrub_address(text: &str, address: Option<&str>) -> String {
    let Some(address) = address.filter(|a| !a.is_empty()) else {
        return text.to_owned();
    };
    replace_ci(text, address, REDACTED_PERSONAL)
}

/// Case-insensitive (ASCII) replacement; offsets are shared because ASCII lower-casing keeps
/// byte lengths.
fn replace_ci(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    while let Some(i) = lower.get(cursor..).and_then(|rest| rest.find(&needle)) {
        out.push_str(text.get(cursor..cursor + i).unwrap_or_default());
        out.push_str(with);
        cursor += i + needle.len();
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    out
}

/// Replaces the name-addr of every personal header line, keeping parameters after `>`.
fn redact_headers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_body = false;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        if in_body || content.is_empty() {
            in_body = true;
            out.push_str(line);
            continue;
        }
        let ending = line.get(content.len()..).unwrap_or_default();
        match content.split_once(':') {
            Some((name, value))
                if PERSONAL_HEADERS
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name.trim())) =>
            {
                let params = value
                    .rfind('>')
                    .map_or("", |i| value.get(i + 1..).unwrap_or(""));
                out.push_str(name);
                out.push_str(": ");
                out.push_str(REDACTED_PERSONAL);
                out.push_str(params);
                out.push_str(ending);
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_naming_people_are_replaced_and_params_kept() {
        let text = "REGISTER sip:contoso.com SIP/2.0\r\n\
            From: \"Alice Smith\" <sip:alice@contoso.com>;tag=abc\r\n\
            t: <sip:alice@contoso.com>\r\n\
            Contact: <sip:10.0.0.9:5061;transport=tls>;+sip.instance=\"x\"\r\n\
            Call-ID: 1\r\n\r\nbody From: keep";
        let out = redact_headers(text);
        assert!(out.contains("From: <personal>;tag=abc\r\n"), "{out}");
        assert!(out.contains("t: <personal>\r\n"), "{out}");
        assert!(out.contains("Contact: <personal>;+sip.instance"), "{out}");
        assert!(!out.contains("Alice"), "{out}");
        assert!(out.ends_with("body From: keep"), "{out}");
    }

    #[test]
    fn addresses_come_from_personal_headers_too() {
        let mut found = Vec::new();
        header_addresses(
            "SIP/2.0 200 OK\r\nFrom: \"A\" <sip:Alice@Contoso.com>;tag=1\r\nVia: sip:x@y\r\nTo: sip:bob@contoso.com\r\n\r\nFrom: <sip:body@x.y>",
            &mut found,
        );
        assert_eq!(found, ["alice@contoso.com", "bob@contoso.com"]);
    }

    #[test]
    fn the_address_is_scrubbed_case_insensitively() {
        let a = address_of("sip:Alice@Contoso.com").unwrap();
        assert_eq!(
            scrub_address("GET /u?x=ALICE@contoso.com&y", Some(&a)),
            "GET /u?x=<personal>&y"
        );
        assert_eq!(address_of("<personal>"), None);
        assert_eq!(
            scrub_address("é alice@contoso.comé", Some(&a)),
            "é <personal>é"
        );
    }
}
