//! `X-Ms-diagnostics` header values ([MS-OCAUTHWS] 2.2.2.1, error ids from [MS-OCER] §7.22):
//! `<errorId>;source="<fqdn>";reason="<text>";fault="<ns:name>"`.
//!
//! ABNF read here (liberal in spacing, strict in shape):
//! `value = 1*DIGIT *( ";" *SP token "=" ( quoted-string / token ) )`.

/// Longest header value accepted.
pub const MAX_DIAGNOSTICS_LEN: usize = 4096;
/// Most parameters accepted.
const MAX_PARAMS: usize = 16;

/// A parsed `X-Ms-diagnostics` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsDiagnostics {
    /// The error id (28xxx for the web ticket service).
    pub code: u32,
    /// `source`: the server that reported it.
    pub source: Option<String>,
    /// `reason`: the text.
    pub reason: Option<String>,
    /// `fault`: the SOAP fault name, e.g. `wsse:FailedAuthentication`.
    pub fault: Option<String>,
}

/// Why a header value is not a diagnostics value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiagnosticsError {
    /// Longer than [`MAX_DIAGNOSTICS_LEN`].
    #[error("x-ms-diagnostics value longer than {MAX_DIAGNOSTICS_LEN} bytes")]
    TooLong,
    /// No leading numeric error id.
    #[error("x-ms-diagnostics value does not start with a numeric error id")]
    NoCode,
    /// A parameter is not `name=value`.
    #[error("x-ms-diagnostics parameter {index} is not name=value")]
    BadParameter {
        /// Zero-based parameter index.
        index: usize,
    },
    /// A quoted string has no closing quote.
    #[error("x-ms-diagnostics has an unterminated quoted string")]
    Unterminated,
    /// More than the parameter limit.
    #[error("x-ms-diagnostics has more than {MAX_PARAMS} parameters")]
    TooManyParameters,
}

impl MsDiagnostics {
    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, DiagnosticsError> {
        if value.len() > MAX_DIAGNOSTICS_LEN {
            return Err(DiagnosticsError::TooLong);
        }
        let value = value.trim();
        let digits = value.bytes().take_while(u8::is_ascii_digit).count();
        let code: u32 = value
            .get(..digits)
            .and_then(|d| d.parse().ok())
            .ok_or(DiagnosticsError::NoCode)?;
        let mut out = MsDiagnostics {
            code,
            source: None,
            reason: None,
            fault: None,
        };
        let mut rest = value.get(digits..).unwrap_or_default().trim_start();
        let mut index = 0;
        while let Some(after) = rest.strip_prefix(';') {
            if index >= MAX_PARAMS {
                return Err(DiagnosticsError::TooManyParameters);
            }
            let after = after.trim_start();
            if after.is_empty() {
                break;
            }
            let eq = after
                .find('=')
                .ok_or(DiagnosticsError::BadParameter { index })?;
            let name = after.get(..eq).unwrap_or_default().trim();
            if name.is_empty() || name.contains(';') || name.contains('"') {
                return Err(DiagnosticsError::BadParameter { index });
            }
            let v = after.get(eq + 1..).unwrap_or_default().trim_start();
            let (val, tail) = if let Some(q) = v.strip_prefix('"') {
                let (text, used) = unquote(q)?;
                (text, q.get(used..).unwrap_or_default())
            } else {
                let end = v.find(';').unwrap_or(v.len());
                (
                    v.get(..end).unwrap_or_default().trim().to_owned(),
                    v.get(end..).unwrap_or_default(),
                )
            };
            match name.to_ascii_lowercase().as_str() {
                "source" => out.source = Some(val),
                "reason" => out.reason = Some(val),
                "fault" => out.fault = Some(val),
                _ => {}
            }
            rest = tail.trim_start();
            index += 1;
        }
        if !rest.is_empty() {
            return Err(DiagnosticsError::BadParameter { index });
        }
        Ok(out)
    }
}

/// RFC 9110 §5.6.4 quoted-string body (after the opening quote): the text and the bytes used
/// including the closing quote.
fn unquote(s: &str) -> Result<(String, usize), DiagnosticsError> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => return Err(DiagnosticsError::Unterminated),
            },
            c => out.push(c),
        }
    }
    Err(DiagnosticsError::Unterminated)
}

impl std::fmt::Display for MsDiagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(r) = &self.reason {
            write!(f, " ({r})")?;
        }
        if let Some(s) = &self.fault {
            write!(f, " fault {s}")?;
        }
        if let Some(s) = &self.source {
            write!(f, " from {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let d = MsDiagnostics::parse(
            r#"28020;source="fe01.contoso.com";reason="Failed to authenticate; bad \"creds\"";fault="wsse:FailedAuthentication""#,
        )
        .unwrap();
        assert_eq!(d.code, 28020);
        assert_eq!(d.source.as_deref(), Some("fe01.contoso.com"));
        assert_eq!(
            d.reason.as_deref(),
            Some("Failed to authenticate; bad \"creds\"")
        );
        assert_eq!(d.fault.as_deref(), Some("wsse:FailedAuthentication"));
        let bare = MsDiagnostics::parse(" 28032 ").unwrap();
        assert_eq!((bare.code, bare.reason), (28032, None));
        let spaced = MsDiagnostics::parse("28001; reason=Plain ; source=\"x\"").unwrap();
        assert_eq!(spaced.reason.as_deref(), Some("Plain"));
        assert_eq!(spaced.source.as_deref(), Some("x"));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(MsDiagnostics::parse(""), Err(DiagnosticsError::NoCode));
        assert_eq!(MsDiagnostics::parse("x;a=b"), Err(DiagnosticsError::NoCode));
        assert_eq!(
            MsDiagnostics::parse("99999999999"),
            Err(DiagnosticsError::NoCode)
        );
        assert_eq!(
            MsDiagnostics::parse("28020;reason=\"open"),
            Err(DiagnosticsError::Unterminated)
        );
        assert_eq!(
            MsDiagnostics::parse("28020;novalue"),
            Err(DiagnosticsError::BadParameter { index: 0 })
        );
        assert_eq!(
            MsDiagnostics::parse("28020 junk"),
            Err(DiagnosticsError::BadParameter { index: 0 })
        );
        assert_eq!(
            MsDiagnostics::parse(&"1".repeat(MAX_DIAGNOSTICS_LEN + 1)),
            Err(DiagnosticsError::TooLong)
        );
        assert_eq!(
            MsDiagnostics::parse(&format!("1{}", ";a=b".repeat(40))),
            Err(DiagnosticsError::TooManyParameters)
        );
    }
}
