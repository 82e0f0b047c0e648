//! `ms-diagnostics` and `ms-diagnostics-public` ([MS-SIPRE] 2.2.3):
//! `code *( ";" name "=" value )`, attributes in any order, LWS tolerated around `=`.

use crate::scan::{split_top, trim};
use crate::typed::{Params, parse_params};
use crate::{Message, ParseError, ParseErrorKind};

/// One diagnostic entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MsDiagnostic<'a> {
    /// True when from `ms-diagnostics-public`.
    pub public: bool,
    /// The numeric diagnostic code.
    pub code: u32,
    /// Every attribute in order (`reason`, `source`, and any other).
    pub params: Params<'a>,
}

impl<'a> MsDiagnostic<'a> {
    /// Parse one value.
    pub fn parse(s: &'a str, public: bool) -> Result<Self, ParseErrorKind> {
        let mut it = split_top(s, b';');
        let code = trim(it.next().unwrap_or_default());
        let code = crate::scan::parse_u64(code).map_err(|_| ParseErrorKind::InvalidDiagnostic)?;
        let code = u32::try_from(code).map_err(|_| ParseErrorKind::InvalidDiagnostic)?;
        Ok(Self {
            public,
            code,
            params: parse_params(it)?,
        })
    }

    /// The `reason` attribute (quoted inner text, escapes kept).
    pub fn reason(&self) -> Option<&'a str> {
        self.params.value("reason")
    }

    /// The `source` attribute.
    pub fn source(&self) -> Option<&'a str> {
        self.params.value("source")
    }
}

impl<'a> Message<'a> {
    /// Every `ms-diagnostics` and `ms-diagnostics-public` value, in wire order.
    pub fn ms_diagnostics(
        &self,
    ) -> impl Iterator<Item = Result<MsDiagnostic<'a>, ParseError>> + '_ {
        self.headers()
            .filter_map(|h| {
                let public = if h.name.eq_ignore_ascii_case("ms-diagnostics") {
                    false
                } else if h.name.eq_ignore_ascii_case("ms-diagnostics-public") {
                    true
                } else {
                    return None;
                };
                Some((h, public))
            })
            .flat_map(|(h, public)| {
                split_top(h.value, b',')
                    .map(move |v| MsDiagnostic::parse(v, public).map_err(|k| h.error(k)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_order_and_spaces() {
        let d = MsDiagnostic::parse(
            r#"4005;reason="Destination URI either not enabled for SIP or does not exist";source="fe.contoso.com""#,
            false,
        )
        .unwrap();
        assert_eq!(d.code, 4005);
        assert_eq!(
            d.reason(),
            Some("Destination URI either not enabled for SIP or does not exist")
        );
        assert_eq!(d.source(), Some("fe.contoso.com"));
        let d = MsDiagnostic::parse(r#" 1000 ; source = "s" ;reason= "r, x"; AppUri="x""#, true)
            .unwrap();
        assert_eq!(
            (d.code, d.reason(), d.source(), d.params.0.len()),
            (1000, Some("r, x"), Some("s"), 3)
        );
        assert!(MsDiagnostic::parse("abc;reason=\"x\"", false).is_err());
        assert!(MsDiagnostic::parse("1;reason=\"x", false).is_err());
    }
}
