//! A minimal parser of an auth header value (`NTLM realm="..", targetname="..", version=3`),
//! for tests and fuzzing. The SIP codec's `AuthHeader` replaces it in the product.
//!
//! ```text
//! value = scheme SP param *( "," *SP param )
//! param = name "=" ( quoted-string / token )
//! ```

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

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-.!%*_+`'~/:".contains(&c)
}

/// Splits an auth header value.
pub fn split(value: &str) -> Result<SplitHeader, SipaeError> {
    if value.len() > MAX_VALUE {
        return Err(SipaeError::Limit("header length"));
    }
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() && is_token(b[i]) {
        i += 1;
    }
    if i == 0 {
        return Err(SipaeError::Syntax { at: 0 });
    }
    let scheme = value[..i].to_owned();
    let mut params = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    while i < b.len() {
        if params.len() == MAX_PARAMS {
            return Err(SipaeError::Limit("parameter count"));
        }
        let start = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if i == start || b.get(i) != Some(&b'=') {
            return Err(SipaeError::Syntax { at: i });
        }
        let name = value[start..i].to_owned();
        i += 1;
        let mut v = String::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(SipaeError::Syntax { at: i }),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let c = value
                            .get(i + 1..)
                            .and_then(|s| s.chars().next())
                            .ok_or(SipaeError::Syntax { at: i })?;
                        v.push(c);
                        i += 1 + c.len_utf8();
                    }
                    Some(_) => {
                        let c = value[i..]
                            .chars()
                            .next()
                            .ok_or(SipaeError::Syntax { at: i })?;
                        v.push(c);
                        i += c.len_utf8();
                    }
                }
            }
        } else {
            let s = i;
            while i < b.len() && is_token(b[i]) {
                i += 1;
            }
            if i == s {
                return Err(SipaeError::Syntax { at: i });
            }
            v.push_str(&value[s..i]);
        }
        params.push((name, v));
        skip_ws(&mut i);
        if i < b.len() {
            if b[i] != b',' {
                return Err(SipaeError::Syntax { at: i });
            }
            i += 1;
            skip_ws(&mut i);
            if i == b.len() {
                return Err(SipaeError::Syntax { at: i });
            }
        }
    }
    Ok(SplitHeader { scheme, params })
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
            " NTLM",
            "NTLM realm",
            "NTLM realm=\"x",
            "NTLM a=1,",
            "NTLM a=1 b=2",
            "NTLM a=",
            "NTLM a=\"\\",
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        let many = format!("NTLM {}", vec!["a=1"; 40].join(","));
        assert_eq!(split(&many), Err(SipaeError::Limit("parameter count")));
    }
}
