//! Kerberos time helpers (RFC 4120 §5.2.3 KerberosTime) without a clock: time is injected.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use picky_asn1::wrapper::GeneralizedTimeAsn1;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch of a KerberosTime.
pub(crate) fn unix_seconds(t: &GeneralizedTimeAsn1) -> i64 {
    let d = &t.0;
    days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    ) * 86_400
        + i64::from(d.hour()) * 3600
        + i64::from(d.minute()) * 60
        + i64::from(d.second())
}

/// Seconds since the Unix epoch of `t` (negative before 1970).
pub(crate) fn system_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whether `a` and `b` (seconds) are within `skew`.
pub(crate) fn within(a: i64, b: i64, skew: Duration) -> bool {
    let limit = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
    a.abs_diff(b) <= limit.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 27), 20_784);
    }

    #[test]
    fn skew_window() {
        assert!(within(100, 400, Duration::from_secs(300)));
        assert!(!within(100, 401, Duration::from_secs(300)));
        assert!(within(401, 100, Duration::from_secs(301)));
    }
}
