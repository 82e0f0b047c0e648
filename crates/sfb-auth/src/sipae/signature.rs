//! The MS-SIPAE signature buffer ([MS-SIPAE] 3.2.5.1.2 / 3.2.5.2, [MS-SIP] 3.1.4.2): every
//! item wrapped in `<` `>`, no separators, values exactly as they appear in the message.
//!
//! Also small pure helpers that pull the needed values out of header values (addr-spec of a
//! name-addr, the `tag` parameter, the sip/tel split of P-Asserted-Identity); the SIP codec
//! may take these over.

/// Which field list to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLayout {
    /// No `version` or version ≤ 2: no To-URI and no P-Asserted-Identity fields.
    Legacy,
    /// Versions 3 and 4.
    V3,
}

impl SignatureLayout {
    /// The layout for a negotiated `version` parameter.
    pub fn for_version(version: Option<u32>) -> Self {
        match version {
            Some(v) if v >= 3 => Self::V3,
            _ => Self::Legacy,
        }
    }
}

/// The message values that enter the buffer. `None` gives `<>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageFields<'a> {
    /// Call-ID value.
    pub call_id: &'a str,
    /// CSeq number, as written.
    pub cseq_number: &'a str,
    /// CSeq method (also for responses).
    pub cseq_method: &'a str,
    /// From addr-spec (no display name, no `<>`, no params).
    pub from_uri: &'a str,
    /// From tag.
    pub from_tag: Option<&'a str>,
    /// To addr-spec.
    pub to_uri: &'a str,
    /// To tag (absent on an initial request).
    pub to_tag: Option<&'a str>,
    /// P-Asserted-Identity sip/sips URI, case kept.
    pub p_asserted_identity_sip: Option<&'a str>,
    /// P-Asserted-Identity tel URI.
    pub p_asserted_identity_tel: Option<&'a str>,
    /// P-Preferred-Identity sip/sips URI, used when there is no P-Asserted-Identity.
    pub p_preferred_identity_sip: Option<&'a str>,
    /// P-Preferred-Identity tel URI, used when there is no P-Asserted-Identity.
    pub p_preferred_identity_tel: Option<&'a str>,
    /// Expires header value (not the Contact `expires` parameter).
    pub expires: Option<&'a str>,
    /// Status code for responses; `None` for requests (no field at all).
    pub response_code: Option<u16>,
}

/// The complete input of a signature buffer: the auth values and the message values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureFields<'a> {
    /// `NTLM`, `Kerberos` or `TLS-DSK`.
    pub protocol: &'a str,
    /// `crand` (requests) or `srand` (responses), as sent.
    pub rand: &'a str,
    /// `cnum` or `snum`, as sent.
    pub num: &'a str,
    /// Realm, no quotes.
    pub realm: &'a str,
    /// Target name, no quotes (Kerberos keeps `sip/`).
    pub targetname: &'a str,
    /// Message values.
    pub message: MessageFields<'a>,
}

impl SignatureFields<'_> {
    /// Builds the buffer ([MS-SIPAE] 3.2.5.2; layout list in protocol.md §3.5).
    pub fn to_buffer(&self, layout: SignatureLayout) -> String {
        let m = &self.message;
        let mut out = String::with_capacity(256);
        let mut item = |v: &str| {
            out.push('<');
            out.push_str(v);
            out.push('>');
        };
        for v in [
            self.protocol,
            self.rand,
            self.num,
            self.realm,
            self.targetname,
            m.call_id,
            m.cseq_number,
            m.cseq_method,
            m.from_uri,
            m.from_tag.unwrap_or(""),
        ] {
            item(v);
        }
        if layout == SignatureLayout::V3 {
            item(m.to_uri);
            item(m.to_tag.unwrap_or(""));
            let pai = m.p_asserted_identity_sip.is_some() || m.p_asserted_identity_tel.is_some();
            let (sip, tel) = if pai {
                (m.p_asserted_identity_sip, m.p_asserted_identity_tel)
            } else {
                (m.p_preferred_identity_sip, m.p_preferred_identity_tel)
            };
            item(sip.unwrap_or(""));
            item(tel.unwrap_or(""));
        } else {
            item(m.to_tag.unwrap_or(""));
        }
        item(m.expires.unwrap_or(""));
        if let Some(code) = m.response_code {
            item(&code.to_string());
        }
        out
    }
}

/// Splits a name-addr / addr-spec header value into (addr-spec, header params after it).
fn split_addr(value: &str) -> (&str, &str) {
    let v = value.trim();
    let mut rest = v;
    if rest.starts_with('"') {
        // Skip a quoted display name (with backslash escapes).
        let mut esc = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        rest = end.map_or("", |e| &rest[e + 1..]);
    }
    if let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        match after.find('>') {
            Some(gt) => (&after[..gt], &after[gt + 1..]),
            None => (after, ""),
        }
    } else {
        match rest.find(';') {
            Some(i) => (rest[..i].trim(), &rest[i..]),
            None => (rest.trim(), ""),
        }
    }
}

/// The addr-spec of a From/To/PAI value: no display name, no `<>`, no header parameters.
pub fn addr_spec(value: &str) -> &str {
    split_addr(value).0
}

/// The `tag` header parameter of a From/To value.
pub fn tag_param(value: &str) -> Option<&str> {
    split_addr(value).1.split(';').find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim().eq_ignore_ascii_case("tag").then(|| v.trim())
    })
}

/// Splits a P-Asserted-Identity (or P-Preferred-Identity) value into its sip/sips URI and its
/// tel URI, keeping case. Commas inside quotes or `<>` do not split.
pub fn split_identity(value: &str) -> (Option<&str>, Option<&str>) {
    let (mut sip, mut tel) = (None, None);
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let mut parts = Vec::new();
    for (i, c) in value.char_indices() {
        match c {
            '"' if !angle => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    for p in parts.into_iter().take(8) {
        let a = addr_spec(p);
        let lower = a.get(..4).map(str::to_ascii_lowercase);
        match lower.as_deref() {
            Some("sip:") | Some("sips") if sip.is_none() => sip = Some(a),
            Some("tel:") if tel.is_none() => tel = Some(a),
            _ => {}
        }
    }
    (sip, tel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            addr_spec("\"J.D. User\" <sip:foo.bar@company.com>;something else"),
            "sip:foo.bar@company.com"
        );
        assert_eq!(
            addr_spec("SIP:test@recipient.com"),
            "SIP:test@recipient.com"
        );
        assert_eq!(
            addr_spec("sip:foo.bar@company.com;something else"),
            "sip:foo.bar@company.com"
        );
        assert_eq!(
            tag_param("\"a<b\"<sip:x@y>;tag=3e49177a52;epid=c8"),
            Some("3e49177a52")
        );
        assert_eq!(tag_param("sip:x@y;TAG=1"), Some("1"));
        assert_eq!(tag_param("<sip:x@y;tag=uri-param>"), None);
        assert_eq!(
            split_identity("\"Cullen Jennings\" <sip:fluffy@cisco.com>"),
            (Some("sip:fluffy@cisco.com"), None)
        );
        assert_eq!(
            split_identity("tel:+14085264000"),
            (None, Some("tel:+14085264000"))
        );
        assert_eq!(
            split_identity("\"Lunch, Lucas\" <sip:llucas@cisco.com>,<tel:+420123456;ext=88463>"),
            (
                Some("sip:llucas@cisco.com"),
                Some("tel:+420123456;ext=88463")
            )
        );
    }
}
