//! An owned split of one auth header value (`NTLM realm="..", targetname="..", version=3`),
//! for callers that hold a bare value rather than a parsed message. The grammar is the SIP
//! codec's ([`sfb_sip_codec::parse_auth_value`], RFC 3261 25.1 `challenge` / `credentials`);
//! with a parsed message use [`super::ResponseAuth::from_message`] or
//! [`super::Challenge::from_header`] instead.

use super::SipaeError;

/// Longest header value accepted.
pub const MAX_VALUE: usize = 16 * 1024;
/// Most parameters accepted.
pub const MAX_PARAMS: usize = 32;

/// A split header value: scheme and parameters (values unquoted and unescaped), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitHeader {
    /// The scheme token.
    pub scheme: String,
    /// `(name, value)` in wire order.
    pub params: Vec<(String, String)>,
}

impl SplitHeader {
    /// Borrowed `(name, value)` pairs, the input form of the challenge parsers.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// Splits an auth header value with the SIP codec's `parse_auth_value` (values unquoted and
/// unescaped). A value without a leading scheme is a syntax error at byte 0.
pub fn split(value: &str) -> Result<SplitHeader, SipaeError> {
    if value.len() > MAX_VALUE {
        return Err(SipaeError::Limit("header length"));
    }
    let (scheme, params) =
        sfb_sip_codec::parse_auth_value(value).map_err(|e| SipaeError::Syntax {
            at: usize::try_from(e.column.saturating_sub(1)).unwrap_or(usize::MAX),
        })?;
    if scheme.is_empty() {
        return Err(SipaeError::Syntax { at: 0 });
    }
    if params.len() > MAX_PARAMS {
        return Err(SipaeError::Limit("parameter count"));
    }
    Ok(SplitHeader {
        scheme: scheme.to_owned(),
        params: params
            .iter()
            .map(|p| (p.name.to_owned(), p.value.unescaped().into_owned()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_tokens_without_spaces() {
        let h = split(r#"NTLM rspauth="0100",srand="0B9D33A2",snum="1",qop="auth", version=4"#)
            .unwrap();
        assert_eq!(h.scheme, "NTLM");
        assert_eq!(h.params[1], ("srand".into(), "0B9D33A2".into()));
        assert_eq!(h.params[4], ("version".into(), "4".into()));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "NTLM realm",
            "NTLM realm=\"x",
            "NTLM a=1,",
            "NTLM a=1 b=2",
            "NTLM a=",
            "NTLM a=\"\\",
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        // Leading LWS is the codec's call (a header value never starts with it).
        assert_eq!(split(" NTLM a=1").unwrap().scheme, "NTLM");
        let many = format!("NTLM {}", vec!["a=1"; 40].join(","));
        assert_eq!(split(&many), Err(SipaeError::Limit("parameter count")));
    }
}
