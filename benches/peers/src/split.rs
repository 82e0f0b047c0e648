//! The string-splitting fallbacks: the minimal byte work an adapter does where its parser has no
//! typed access (all of `httparse`'s task; the non-Digest auth headers of `sipx-sip`, ...).
//!
//! Values are raw header values (after the colon, no line ending). Quoted-string values are
//! returned without their quotes and not unescaped (none of the inputs has a backslash).

use crate::{AuthKind, Sink};

/// Strips leading and trailing spaces and tabs.
pub fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| !is_ws(*b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(*b)).map_or(start, |i| i + 1);
    v.get(start..end).unwrap_or_default()
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The authentication header kind for a header name, long form, any case.
pub fn auth_kind(name: &[u8]) -> Option<AuthKind> {
    if name.eq_ignore_ascii_case(b"authorization") {
        Some(AuthKind::Authorization)
    } else if name.eq_ignore_ascii_case(b"www-authenticate") {
        Some(AuthKind::WwwAuthenticate)
    } else if name.eq_ignore_ascii_case(b"authentication-info") {
        Some(AuthKind::AuthenticationInfo)
    } else {
        None
    }
}

/// Splits an authentication header value into its scheme and its parameter list.
pub fn scheme_and_rest(value: &[u8]) -> (&[u8], &[u8]) {
    let v = trim(value);
    match v.iter().position(|b| is_ws(*b)) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, &[]),
    }
}

/// Feeds one authentication header to `sink`: its scheme and each `name=value` pair of its
/// comma-separated list (RFC 3261 §25.1 `auth-param`; quoted values may hold commas).
pub fn auth_header<S: Sink>(kind: AuthKind, value: &[u8], sink: &mut S) {
    let (scheme, rest) = scheme_and_rest(value);
    sink.auth_header(kind, scheme);
    auth_params(rest, |n, v| sink.auth_param(n, v));
}

/// Calls `f(name, value)` for each `name=value` pair of a comma-separated auth-param list.
pub fn auth_params<'a>(mut rest: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) {
    loop {
        let start = rest
            .iter()
            .position(|b| !is_ws(*b) && *b != b',')
            .unwrap_or(rest.len());
        rest = &rest[start..];
        if rest.is_empty() {
            return;
        }
        let Some(eq) = rest.iter().position(|b| *b == b'=') else {
            return;
        };
        let name = trim(&rest[..eq]);
        rest = trim_start(&rest[eq + 1..]);
        if rest.first() == Some(&b'"') {
            let body = &rest[1..];
            let mut i = 0;
            while i < body.len() && body[i] != b'"' {
                i += if body[i] == b'\\' { 2 } else { 1 };
            }
            let end = i.min(body.len());
            f(name, &body[..end]);
            rest = body.get(end + 1..).unwrap_or_default();
        } else {
            let end = rest.iter().position(|b| *b == b',').unwrap_or(rest.len());
            f(name, trim(&rest[..end]));
            rest = &rest[end..];
        }
    }
}

fn trim_start(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| !is_ws(*b)).unwrap_or(v.len());
    &v[start..]
}

/// The `branch` parameter of the first via-parm of a Via value.
pub fn via_branch(value: &[u8]) -> Option<&[u8]> {
    let first = value.split(|b| *b == b',').next()?;
    first.split(|b| *b == b';').skip(1).find_map(|p| {
        let p = trim(p);
        let eq = p.iter().position(|b| *b == b'=')?;
        trim(&p[..eq])
            .eq_ignore_ascii_case(b"branch")
            .then(|| trim(&p[eq + 1..]))
    })
}

/// A CSeq value: `1*DIGIT LWS Method`.
pub fn cseq(value: &[u8]) -> Option<(u32, &[u8])> {
    let v = trim(value);
    let sp = v.iter().position(|b| is_ws(*b))?;
    let n = std::str::from_utf8(&v[..sp]).ok()?.parse().ok()?;
    Some((n, trim(&v[sp..])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Record;

    #[test]
    fn auth_params_keep_commas_inside_quotes() {
        let mut got = Vec::new();
        auth_params(b" a=\"x, y\", b=tok ,c=\"q\\\"z\"", |n, v| got.push((n, v)));
        assert_eq!(
            got,
            vec![(&b"a"[..], &b"x, y"[..]), (b"b", b"tok"), (b"c", b"q\\\"z")]
        );
    }

    #[test]
    fn auth_header_records_scheme_and_params() {
        let mut rec = Record::default();
        auth_header(
            AuthKind::WwwAuthenticate,
            b"NTLM realm=\"SIP Communications Service\", version=4",
            &mut rec,
        );
        assert_eq!(rec.auth[0].scheme, "NTLM");
        assert_eq!(rec.param_count(), 2);
        assert_eq!(rec.auth[0].params[1], ("version".into(), "4".into()));
    }

    #[test]
    fn hostile_values_do_not_panic() {
        for v in [&b""[..], b"\"", b"a=\"", b"a=\"\\", b"=", b",,,", b"NTLM a"] {
            auth_params(v, |_, _| {});
            let _ = via_branch(v);
            let _ = cseq(v);
            let _ = scheme_and_rest(v);
        }
    }

    #[test]
    fn via_branch_and_cseq() {
        assert_eq!(
            via_branch(b"SIP/2.0/TLS h:1;received=x; branch=z9hG4bKa ,SIP/2.0/TLS g;branch=b"),
            Some(&b"z9hG4bKa"[..])
        );
        assert_eq!(via_branch(b"SIP/2.0/TLS h:1;ms-received-port=1"), None);
        assert_eq!(cseq(b" 3  BENOTIFY "), Some((3, &b"BENOTIFY"[..])));
        assert_eq!(cseq(b"x REGISTER"), None);
    }
}
