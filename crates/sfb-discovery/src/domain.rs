//! Strict DNS host names and the SIP domain taken from a SIP URI.
//!
//! Parse, don't validate: a [`DomainName`] can only be built by [`DomainName::parse`], so every
//! name the lookup plan queries or compares is a checked, lower-case, LDH host name.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest name in presentation form, without the trailing dot (RFC 1035 §2.3.4: 255 octets on
/// the wire, which is 253 characters of text).
pub const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest SIP URI accepted by [`SipDomain::from_sip_uri`].
pub const MAX_URI_LEN: usize = 2048;

/// Why a host name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The name is empty.
    #[error("domain name is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("domain name is {len} characters long, the limit is {MAX_NAME_LEN}")]
    TooLong {
        /// Length of the input.
        len: usize,
    },
    /// Two dots in a row, or a leading dot.
    #[error("label {index} is empty")]
    EmptyLabel {
        /// Zero-based label index.
        index: usize,
    },
    /// A label is longer than [`MAX_LABEL_LEN`].
    #[error("label {index} is {len} characters long, the limit is {MAX_LABEL_LEN}")]
    LabelTooLong {
        /// Zero-based label index.
        index: usize,
        /// Length of the label.
        len: usize,
    },
    /// A character outside letters, digits and hyphen.
    #[error("invalid character {ch:?} at offset {offset}")]
    InvalidChar {
        /// The character.
        ch: char,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A label starts or ends with a hyphen.
    #[error("label {index} starts or ends with a hyphen")]
    HyphenAtEdge {
        /// Zero-based label index.
        index: usize,
    },
    /// The last label is all digits (an IPv4 literal or a typo, not a host name).
    #[error("top-level label is numeric")]
    NumericTld,
}

/// A host name: LDH labels (RFC 1123 §2.1, RFC 952), 1..=63 characters each, at most 253
/// characters, stored in lower case without a trailing dot.
///
/// ```text
/// name  = label *("." label) ["."]
/// label = let-dig [*(let-dig-hyp) let-dig]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Parses a host name. One trailing dot (the root) is accepted and dropped.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        Self::parse_inner(input, false)
    }

    /// Parses a query name: a host name, optionally preceded by SRV service and protocol
    /// labels (`_sipinternaltls._tcp.contoso.com`, RFC 2782; RFC 2181 §11 allows any octet in
    /// DNS labels, this crate only admits `_` + LDH as leading labels, plus the Active Directory
    /// locator's `_msdcs` label after a host label, as in `_kerberos._tcp.dc._msdcs.contoso.com`).
    pub fn parse_query_name(input: &str) -> Result<Self, DomainError> {
        Self::parse_inner(input, true)
    }

    fn parse_inner(input: &str, service_labels: bool) -> Result<Self, DomainError> {
        let name = input.strip_suffix('.').unwrap_or(input);
        if name.is_empty() {
            return Err(DomainError::Empty);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(DomainError::TooLong { len: name.len() });
        }
        let mut offset = 0;
        let mut last = "";
        let mut leading = service_labels;
        for (index, label) in name.split('.').enumerate() {
            match label.strip_prefix('_') {
                Some(rest) if leading => check_label(rest, index, offset + 1)?,
                // The Active Directory locator's sub-zone ([MS-ADTS] 6.3.2.3:
                // `_kerberos._tcp.dc._msdcs.<domain>`): the one underscore label admitted after
                // a host label, and only in query names.
                Some(rest) if service_labels && index > 0 && rest.eq_ignore_ascii_case("msdcs") => {
                }
                _ => {
                    leading = false;
                    check_label(label, index, offset)?;
                }
            }
            offset += label.len() + 1;
            last = label;
        }
        if leading || last.starts_with('_') {
            // Nothing but service labels, or `_msdcs` last: no host part.
            return Err(DomainError::InvalidChar { ch: '_', offset: 0 });
        }
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::NumericTld);
        }
        Ok(Self(name.to_ascii_lowercase()))
    }

    /// The name in lower case, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `prefix.self`; `prefix` must be one or more labels made of letters, digits, `-` and `_`
    /// (underscore only for the SRV service labels built by this crate).
    pub(crate) fn with_prefix(&self, prefix: &str) -> Self {
        Self(format!("{prefix}.{}", self.0))
    }

    /// Is `self` equal to `parent` or a sub-domain of it (label-wise, so `badcontoso.com` is not
    /// under `contoso.com`)?
    pub fn is_same_or_under(&self, parent: &DomainName) -> bool {
        self.0 == parent.0
            || self
                .0
                .strip_suffix(parent.0.as_str())
                .is_some_and(|head| head.ends_with('.'))
    }
}

fn check_label(label: &str, index: usize, offset: usize) -> Result<(), DomainError> {
    if label.is_empty() {
        return Err(DomainError::EmptyLabel { index });
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(DomainError::LabelTooLong {
            index,
            len: label.len(),
        });
    }
    for (i, ch) in label.char_indices() {
        if !(ch.is_ascii_alphanumeric() || ch == '-') {
            return Err(DomainError::InvalidChar {
                ch,
                offset: offset + i,
            });
        }
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DomainError::HyphenAtEdge { index });
    }
    Ok(())
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DomainName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DomainName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_query_name(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for DomainName {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why a SIP URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipUriError {
    /// Longer than [`MAX_URI_LEN`].
    #[error("sip uri is {len} characters long, the limit is {MAX_URI_LEN}")]
    TooLong {
        /// Length of the input.
        len: usize,
    },
    /// No `user@` part.
    #[error("sip uri has no user part (expected user@domain)")]
    MissingUser,
    /// The user part is empty (`@contoso.com`).
    #[error("sip uri has an empty user part")]
    EmptyUser,
    /// A scheme other than `sip:` or `sips:`.
    #[error("sip uri scheme {scheme:?} is not sip or sips")]
    BadScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The host part carries a port; the SIP domain is a bare host name.
    #[error("sip uri host has a port; a sign-in address has none")]
    PortNotAllowed,
    /// The host part is not a valid host name.
    #[error("sip uri domain is invalid: {0}")]
    Domain(#[from] DomainError),
}

/// The SIP domain of a sign-in address: the host part of `sip:user@domain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SipDomain(DomainName);

impl SipDomain {
    /// Parses `sip:user@domain`, `sips:user@domain` or `user@domain` (RFC 3261 §19.1.1, reduced
    /// to what a sign-in address holds). URI parameters (`;…`) and headers (`?…`) are ignored.
    pub fn from_sip_uri(input: &str) -> Result<Self, SipUriError> {
        if input.len() > MAX_URI_LEN {
            return Err(SipUriError::TooLong { len: input.len() });
        }
        let rest = match input.split_once(':') {
            Some((scheme, rest)) if !scheme.contains('@') => {
                if !(scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")) {
                    return Err(SipUriError::BadScheme {
                        scheme: scheme.chars().take(32).collect(),
                    });
                }
                rest
            }
            _ => input,
        };
        let (user, hostpart) = rest.rsplit_once('@').ok_or(SipUriError::MissingUser)?;
        if user.is_empty() {
            return Err(SipUriError::EmptyUser);
        }
        let host = hostpart.split([';', '?']).next().unwrap_or_default();
        if host.contains(':') {
            return Err(SipUriError::PortNotAllowed);
        }
        Ok(Self(DomainName::parse(host)?))
    }

    /// Uses an already parsed host name as the SIP domain.
    pub fn from_domain(domain: DomainName) -> Self {
        Self(domain)
    }

    /// The domain name.
    pub fn name(&self) -> &DomainName {
        &self.0
    }
}

impl fmt::Display for SipDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases() {
        let d = DomainName::parse("Sip.Contoso.COM.").unwrap();
        assert_eq!(d.as_str(), "sip.contoso.com");
    }

    #[test]
    fn precise_errors() {
        assert_eq!(DomainName::parse(""), Err(DomainError::Empty));
        assert_eq!(DomainName::parse("."), Err(DomainError::Empty));
        assert_eq!(
            DomainName::parse("a..b"),
            Err(DomainError::EmptyLabel { index: 1 })
        );
        assert_eq!(
            DomainName::parse(".a"),
            Err(DomainError::EmptyLabel { index: 0 })
        );
        let long = format!("{}.com", "a".repeat(64));
        assert_eq!(
            DomainName::parse(&long),
            Err(DomainError::LabelTooLong { index: 0, len: 64 })
        );
        let ok63 = format!("{}.com", "a".repeat(63));
        assert!(DomainName::parse(&ok63).is_ok());
        let total = vec!["a".repeat(50); 6].join(".");
        assert_eq!(
            DomainName::parse(&total),
            Err(DomainError::TooLong { len: 305 })
        );
        assert_eq!(
            DomainName::parse("con_toso.com"),
            Err(DomainError::InvalidChar { ch: '_', offset: 3 })
        );
        assert_eq!(
            DomainName::parse("contoso.c\u{e9}"),
            Err(DomainError::InvalidChar {
                ch: '\u{e9}',
                offset: 9
            })
        );
        assert_eq!(
            DomainName::parse("a.-b.com"),
            Err(DomainError::HyphenAtEdge { index: 1 })
        );
        assert_eq!(DomainName::parse("10.0.0.1"), Err(DomainError::NumericTld));
        assert_eq!(
            DomainName::parse("a b.com"),
            Err(DomainError::InvalidChar { ch: ' ', offset: 1 })
        );
    }

    #[test]
    fn service_labels_only_in_query_names() {
        let n = DomainName::parse_query_name("_SIP._tls.Contoso.com").unwrap();
        assert_eq!(n.as_str(), "_sip._tls.contoso.com");
        assert_eq!(
            DomainName::parse("_sip._tls.contoso.com"),
            Err(DomainError::InvalidChar { ch: '_', offset: 0 })
        );
        assert_eq!(
            DomainName::parse_query_name("a._tls.com"),
            Err(DomainError::InvalidChar { ch: '_', offset: 2 })
        );
        assert_eq!(
            DomainName::parse_query_name("_sip._tls"),
            Err(DomainError::InvalidChar { ch: '_', offset: 0 })
        );
        let ad = DomainName::parse_query_name("_kerberos._tcp.dc._msdcs.Contoso.com").unwrap();
        assert_eq!(ad.as_str(), "_kerberos._tcp.dc._msdcs.contoso.com");
        // `_msdcs` only after a host label, and only in query names.
        assert_eq!(
            DomainName::parse("dc._msdcs.contoso.com"),
            Err(DomainError::InvalidChar { ch: '_', offset: 3 })
        );
        assert_eq!(
            DomainName::parse_query_name("dc._other.contoso.com"),
            Err(DomainError::InvalidChar { ch: '_', offset: 3 })
        );
        assert_eq!(
            DomainName::parse_query_name("_.contoso.com"),
            Err(DomainError::EmptyLabel { index: 0 })
        );
    }

    #[test]
    fn subdomain_is_label_wise() {
        let parent = DomainName::parse("contoso.com").unwrap();
        let yes = DomainName::parse("pool01.contoso.com").unwrap();
        let no = DomainName::parse("badcontoso.com").unwrap();
        assert!(yes.is_same_or_under(&parent));
        assert!(parent.is_same_or_under(&parent));
        assert!(!no.is_same_or_under(&parent));
        assert!(!parent.is_same_or_under(&yes));
    }

    #[test]
    fn sip_uri_forms() {
        for ok in [
            "sip:alice@contoso.com",
            "SIPS:alice@Contoso.com",
            "alice@contoso.com",
            "sip:alice@contoso.com;transport=tls",
            "sip:alice@contoso.com?subject=x",
        ] {
            assert_eq!(
                SipDomain::from_sip_uri(ok).unwrap().name().as_str(),
                "contoso.com",
                "{ok}"
            );
        }
    }

    #[test]
    fn sip_uri_errors() {
        assert_eq!(
            SipDomain::from_sip_uri("contoso.com"),
            Err(SipUriError::MissingUser)
        );
        assert_eq!(
            SipDomain::from_sip_uri("sip:@contoso.com"),
            Err(SipUriError::EmptyUser)
        );
        assert_eq!(
            SipDomain::from_sip_uri("http:alice@contoso.com"),
            Err(SipUriError::BadScheme {
                scheme: "http".into()
            })
        );
        assert_eq!(
            SipDomain::from_sip_uri("sip:alice@contoso.com:5061"),
            Err(SipUriError::PortNotAllowed)
        );
        assert_eq!(
            SipDomain::from_sip_uri("sip:alice@"),
            Err(SipUriError::Domain(DomainError::Empty))
        );
        assert_eq!(
            SipDomain::from_sip_uri("sip:alice@exa mple.com"),
            Err(SipUriError::Domain(DomainError::InvalidChar {
                ch: ' ',
                offset: 3
            }))
        );
        let huge = format!("sip:a@{}", "a".repeat(5000));
        assert_eq!(
            SipDomain::from_sip_uri(&huge),
            Err(SipUriError::TooLong { len: 5006 })
        );
        // The error names the fault in lower case.
        let msg = SipDomain::from_sip_uri("sip:a@x..y")
            .unwrap_err()
            .to_string();
        assert_eq!(msg, "sip uri domain is invalid: label 1 is empty");
    }
}
