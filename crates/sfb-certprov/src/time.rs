//! `xs:dateTime` in UTC as WS-Trust lifetimes carry it (`2026-11-27T06:00:00.123Z`), read into
//! seconds since the Unix epoch.

/// A UTC instant, whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(pub i64);

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp is not yyyy-mm-ddThh:mm:ss[.fff]Z")]
pub struct BadTime;

fn num(s: &str, at: usize, len: usize) -> Result<i64, BadTime> {
    let d = s.get(at..at + len).ok_or(BadTime)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadTime);
    }
    d.parse().map_err(|_| BadTime)
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl UtcTime {
    /// Parses `YYYY-MM-DDThh:mm:ss` with optional fraction and a `Z` (or `+00:00`) suffix.
    pub fn parse(s: &str) -> Result<Self, BadTime> {
        let s = s.trim();
        if s.len() > 40 || s.get(4..5) != Some("-") || s.get(7..8) != Some("-") {
            return Err(BadTime);
        }
        if !matches!(s.get(10..11), Some("T" | "t")) || s.get(13..14) != Some(":") {
            return Err(BadTime);
        }
        if s.get(16..17) != Some(":") {
            return Err(BadTime);
        }
        let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 2)?, num(s, 8, 2)?);
        let (h, mi, se) = (num(s, 11, 2)?, num(s, 14, 2)?, num(s, 17, 2)?);
        let mut rest = s.get(19..).ok_or(BadTime)?;
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Err(BadTime);
            }
            rest = frac.get(n..).ok_or(BadTime)?;
        }
        if !matches!(rest, "Z" | "z" | "+00:00" | "-00:00") {
            return Err(BadTime);
        }
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return Err(BadTime);
        }
        Ok(UtcTime(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
        ))
    }

    /// Formats as `YYYY-MM-DDThh:mm:ssZ`.
    pub fn format(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        // Inverse of days_from_civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(UtcTime::parse("1970-01-01T00:00:00Z"), Ok(UtcTime(0)));
        // date -u -d 2026-11-27T06:31:25Z +%s
        assert_eq!(
            UtcTime::parse("2026-11-27T06:31:25.1234567Z"),
            Ok(UtcTime(1_795_761_085))
        );
        assert_eq!(UtcTime(1_795_761_085).format(), "2026-11-27T06:31:25Z");
        assert_eq!(UtcTime(951_782_400).format(), "2000-02-29T00:00:00Z");
        assert_eq!(
            UtcTime::parse("2000-02-29T00:00:00+00:00"),
            Ok(UtcTime(951_782_400))
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for s in [
            "",
            "2026-11-27",
            "2026-11-27T06:31:25",
            "2026-11-27T06:31:25+01:00",
            "2026-13-27T06:31:25Z",
            "2026-11-27T24:31:25Z",
            "2026-11-27T06:31:25.Z",
            "+026-11-27T06:31:25Z",
            "2026-11-27T06:31:2éZ",
        ] {
            assert_eq!(UtcTime::parse(s), Err(BadTime), "{s}");
        }
    }
}
