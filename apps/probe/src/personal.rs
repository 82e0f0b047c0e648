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

/// A copy of the trace with personal data replaced (idempotent).
pub fn redact_personal(trace: &SignInTrace) -> SignInTrace {
    let mut out = trace.clone();
    let address = address_of(&trace.target);
    out.target = REDACTED_PERSONAL.to_owned();
    out.policy.redact_personal = true;
    let scrub = |s: &str| scrub_address(s, address.as_deref());
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
