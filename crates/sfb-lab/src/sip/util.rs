//! Small helpers of the SIP roles: the seeded random source, the `Date` header and FILETIME.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// SplitMix64: a seeded, deterministic source for tags, opaque values, nonces and NTLM server
/// challenges. The lab is a throw-away deployment; the driver seeds it from the OS.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(v.get(..chunk.len()).unwrap_or_default());
        }
    }

    /// `n` random bytes as upper-case hex.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    /// A boxed source for sfb-auth, forked from this one.
    pub(crate) fn fork(&mut self) -> Box<dyn sfb_auth::RandomSource> {
        let mut child = Rng::new(self.next_u64());
        Box::new(move |b: &mut [u8]| child.fill(b))
    }
}

/// Seconds since the epoch (0 before it).
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Windows FILETIME (100 ns since 1601-01-01) for the NTLM timestamp.
pub(crate) fn filetime(t: SystemTime) -> u64 {
    unix_secs(t)
        .saturating_add(11_644_473_600)
        .saturating_mul(10_000_000)
}

/// `t` shifted forward by `skew` (a registrar whose clock runs fast).
pub(crate) fn skewed(t: SystemTime, skew: Duration) -> SystemTime {
    t.checked_add(skew).unwrap_or(t)
}

/// RFC 7231 IMF-fixdate, as SIP's `Date` (RFC 3261 20.17): `Thu, 31 Jan 2008 00:01:56 GMT`.
pub(crate) fn http_date(t: SystemTime) -> String {
    let secs = unix_secs(t);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = WD
        .get(usize::try_from(days % 7).unwrap_or(0))
        .unwrap_or(&"Thu");
    let mon = MO
        .get(usize::try_from(mo - 1).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_matches_the_ms_sipae_example() {
        // [MS-SIPAE] 4.1: "Date: Thu, 31 Jan 2008 00:01:56 GMT".
        let t = UNIX_EPOCH + Duration::from_secs(1_201_737_716);
        assert_eq!(http_date(t), "Thu, 31 Jan 2008 00:01:56 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(filetime(far), u64::MAX);
        assert!(http_date(far).ends_with(" GMT"));
        assert_eq!(filetime(UNIX_EPOCH), 116_444_736_000_000_000);
        assert_eq!(skewed(far, Duration::MAX), far);
    }

    #[test]
    fn rng_is_seeded() {
        let (mut a, mut b) = (Rng::new(5), Rng::new(5));
        assert_eq!(a.hex(4), b.hex(4));
        assert_ne!(Rng::new(6).hex(4), Rng::new(5).hex(4));
        let mut buf = [0u8; 11];
        a.fill(&mut buf);
        assert!(buf.iter().any(|x| *x != 0));
    }
}
