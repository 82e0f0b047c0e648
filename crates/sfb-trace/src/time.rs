//! Timestamps, serialised as RFC 3339 strings (RFC 3339 §5.6, always UTC with `Z`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest RFC 3339 text accepted (a date-time with nanoseconds and an offset is 35 bytes).
const MAX_TEXT: usize = 64;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is longer than any RFC 3339 date-time.
    #[error("timestamp longer than {MAX_TEXT} bytes")]
    TooLong,
    /// The text is not an RFC 3339 date-time.
    #[error("not an rfc 3339 date-time")]
    NotRfc3339,
    /// The instant is outside the years 0000 to 9999.
    #[error("timestamp out of range")]
    OutOfRange,
}

/// An instant, with millisecond precision, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch (negative before 1970).
    unix_ms: i64,
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self { unix_ms: 0 };

    /// From milliseconds since the Unix epoch; `None` outside the years 0000 to 9999.
    pub fn from_unix_ms(unix_ms: i64) -> Option<Self> {
        let ts = Self { unix_ms };
        ts.datetime().ok().map(|_| ts)
    }

    /// From seconds since the Unix epoch (certificate validity, rustls `UnixTime`).
    pub fn from_unix_secs(secs: i64) -> Option<Self> {
        Self::from_unix_ms(secs.checked_mul(1000)?)
    }

    /// From a `SystemTime` (the driver's clock).
    pub fn from_system_time(t: SystemTime) -> Option<Self> {
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).ok()?,
            Err(e) => -i64::try_from(e.duration().as_millis()).ok()?,
        };
        Self::from_unix_ms(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_ms(self) -> i64 {
        self.unix_ms
    }

    /// This instant plus a duration (saturating at the end of the range).
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self::from_unix_ms(self.unix_ms.saturating_add(ms)).unwrap_or(self)
    }

    fn datetime(self) -> Result<OffsetDateTime, TimestampError> {
        let nanos = i128::from(self.unix_ms) * 1_000_000;
        let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| TimestampError::OutOfRange)?;
        if !(0..=9999).contains(&dt.year()) {
            return Err(TimestampError::OutOfRange);
        }
        Ok(dt)
    }

    /// RFC 3339 §5.6 `date-time`, e.g. `2026-11-27T06:31:44.120Z`.
    pub fn to_rfc3339(self) -> String {
        // The constructor guarantees the range, so formatting cannot fail; keep a fallback anyway.
        self.datetime()
            .ok()
            .and_then(|dt| dt.format(&Rfc3339).ok())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
    }

    /// Parses an RFC 3339 `date-time` (any offset; stored in UTC, sub-millisecond digits dropped).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        if text.len() > MAX_TEXT {
            return Err(TimestampError::TooLong);
        }
        let dt = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| TimestampError::NotRfc3339)?;
        let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
        let ms = i64::try_from(ms).map_err(|_| TimestampError::OutOfRange)?;
        Self::from_unix_ms(ms).ok_or(TimestampError::OutOfRange)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_millis() {
        let t = Timestamp::from_unix_ms(1_795_761_104_120).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T06:31:44.12Z");
        let t = Timestamp::from_unix_secs(0).unwrap();
        assert_eq!(t.to_rfc3339(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn parse_round_trips_and_normalises_offsets() {
        let t = Timestamp::parse("2026-11-27T07:31:44.120+01:00").unwrap();
        assert_eq!(t.unix_ms(), 1_795_761_104_120);
        assert_eq!(Timestamp::parse(&t.to_rfc3339()).unwrap(), t);
    }

    #[test]
    fn hostile_text_is_rejected() {
        assert_eq!(
            Timestamp::parse("yesterday"),
            Err(TimestampError::NotRfc3339)
        );
        assert_eq!(
            Timestamp::parse(&"9".repeat(100)),
            Err(TimestampError::TooLong)
        );
        assert_eq!(
            Timestamp::parse("2026-13-01T00:00:00Z"),
            Err(TimestampError::NotRfc3339)
        );
        assert!(Timestamp::from_unix_ms(i64::MAX).is_none());
        assert!(Timestamp::from_unix_secs(i64::MIN).is_none());
    }
}
