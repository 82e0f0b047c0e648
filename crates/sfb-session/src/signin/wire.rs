//! Small pure readers the sign-in machine needs: redirect Contacts, the `Date` header,
//! `ms-diagnostics`, and the REGISTER 200 OK's facts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sfb_sip_codec::Message;

use super::{Endpoint, Transport};

/// Most Contacts of a 301/302 considered.
pub(crate) const MAX_REDIRECT_CONTACTS: usize = 8;

/// The redirect targets of a 301/302, best first (highest `q`; ties keep wire order).
///
/// [protocol.md §5]: `sip:host[:port][;transport=tls|tcp]`; TLS and 5061 by default.
pub(crate) fn redirect_targets(msg: &Message<'_>, from: &str) -> Vec<Endpoint> {
    let mut out: Vec<(u32, Endpoint)> = Vec::new();
    for c in msg.contacts().take(MAX_REDIRECT_CONTACTS).flatten() {
        let Some(addr) = c.addr() else { continue };
        let Ok(uri) = addr.sip_uri() else { continue };
        if uri.host.is_empty() || uri.scheme == sfb_sip_codec::Scheme::Tel {
            continue;
        }
        let transport = match uri.param("transport") {
            Some(t) if t.eq_ignore_ascii_case("tcp") => Transport::Tcp,
            _ => Transport::Tls,
        };
        let port = uri.port.unwrap_or(match transport {
            Transport::Tls => 5061,
            Transport::Tcp => 5060,
        });
        let q = c.q().map_or(1000, parse_q);
        out.push((
            q,
            Endpoint {
                host: uri
                    .host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_ascii_lowercase(),
                port,
                transport,
                source: format!("redirect from {from}"),
                redirected: true,
                edge: false,
            },
        ));
    }
    // Stable: equal q keeps wire order.
    out.sort_by_key(|e| std::cmp::Reverse(e.0));
    out.into_iter().map(|(_, e)| e).collect()
}

/// RFC 3261 `qvalue` as thousandths (`1` = 1000, `0.5` = 500); malformed is 0.
fn parse_q(s: &str) -> u32 {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let i = match int {
        "0" => 0,
        "1" => 1000,
        _ => return 0,
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut f = 0u32;
    for (k, b) in frac.bytes().enumerate() {
        f += u32::from(b - b'0') * [100, 10, 1][k];
    }
    (i + f).min(1000)
}

/// RFC 7231 IMF-fixdate (`Fri, 27 Nov 2026 08:00:00 GMT`) as a `SystemTime`.
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (_, rest) = s.split_once(", ")?;
    let mut it = rest.split_ascii_whitespace();
    let day: u32 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days from civil (H. Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + sec;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Server clock minus ours, in seconds (positive: the server is ahead).
pub(crate) fn clock_skew(server: SystemTime, ours: SystemTime) -> i64 {
    match server.duration_since(ours) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The first `ms-diagnostics` (or `-public`) entry as `code;reason="..."`.
pub(crate) fn diagnostics(msg: &Message<'_>) -> Option<String> {
    let d = msg.ms_diagnostics().flatten().next()?;
    let mut s = d.code.to_string();
    if let Some(r) = d.reason() {
        s.push_str(&format!(";reason=\"{r}\""));
    }
    if let Some(src) = d.source() {
        s.push_str(&format!(";source=\"{src}\""));
    }
    Some(s)
}

/// A header's raw value, bounded.
pub(crate) fn header(msg: &Message<'_>, name: &str) -> Option<String> {
    msg.header(name)
        .map(|h| h.value.chars().take(512).collect())
}

/// The `timeout=` of `ms-keep-alive`, seconds.
pub(crate) fn keep_alive_timeout(msg: &Message<'_>) -> Option<u32> {
    let v = msg.ms_keep_alive()?.ok()?;
    v.params.value("timeout")?.trim().parse().ok()
}

/// The registration lifetime granted: our Contact's `expires`, else `Expires`.
pub(crate) fn granted_expires(msg: &Message<'_>, instance: &str) -> Option<u32> {
    let ours = msg.contacts().flatten().find(|c| {
        c.sip_instance()
            .is_some_and(|i| i.trim_matches(['<', '>']).eq_ignore_ascii_case(instance))
    });
    ours.and_then(|c| c.expires()?.ok())
        .or_else(|| msg.expires()?.ok())
}

/// Our GRUU from the Contact carrying our `+sip.instance` (protocol.md §6.1).
pub(crate) fn gruu(msg: &Message<'_>, instance: &str) -> Option<String> {
    msg.contacts()
        .flatten()
        .find(|c| {
            c.sip_instance()
                .is_some_and(|i| i.trim_matches(['<', '>']).eq_ignore_ascii_case(instance))
        })
        .and_then(|c| c.gruu().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfb_sip_codec::{Limits, parse_datagram};

    #[test]
    fn q_values() {
        assert_eq!(parse_q("1"), 1000);
        assert_eq!(parse_q("0.5"), 500);
        assert_eq!(parse_q("0.25"), 250);
        assert_eq!(parse_q("1.0"), 1000);
        assert_eq!(parse_q("2"), 0);
        assert_eq!(parse_q("0.x"), 0);
    }

    #[test]
    fn http_date() {
        let t = parse_http_date("Fri, 27 Nov 2026 08:00:00 GMT").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_795_766_400
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        for bad in [
            "",
            "27 Nov 2026",
            "Fri, 27 Foo 2026 08:00:00 GMT",
            "Fri, 27 Nov 2026 08:00:00 PST",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(
            clock_skew(UNIX_EPOCH + Duration::from_secs(10), UNIX_EPOCH),
            10
        );
        assert_eq!(
            clock_skew(UNIX_EPOCH, UNIX_EPOCH + Duration::from_secs(10)),
            -10
        );
    }

    #[test]
    fn redirect_contacts_by_q() {
        let raw = b"SIP/2.0 301 Moved Permanently\r\nVia: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1\r\n\
From: <sip:a@contoso.test>;tag=1\r\nTo: <sip:a@contoso.test>;tag=2\r\nCall-ID: c\r\nCSeq: 3 REGISTER\r\n\
Contact: <sip:pool2.contoso.test;transport=tcp>;q=0.5, <sip:POOL1.contoso.test:5071>;q=0.9\r\n\
Contact: sip:pool3.contoso.test\r\nContent-Length: 0\r\n\r\n";
        let m = parse_datagram(raw, &Limits::default()).unwrap();
        let t = redirect_targets(&m, "dir.contoso.test:5061");
        let got: Vec<_> = t
            .iter()
            .map(|e| (e.host.as_str(), e.port, e.transport))
            .collect();
        assert_eq!(
            got,
            [
                ("pool3.contoso.test", 5061, Transport::Tls),
                ("pool1.contoso.test", 5071, Transport::Tls),
                ("pool2.contoso.test", 5060, Transport::Tcp),
            ]
        );
        assert!(t[0].redirected);
    }
}
