//! Classifying a failed TCP connect (the OS error) into the trace's outcome.

use std::io;

use sfb_trace::TcpOutcome;

/// The outcome, the OS's words and its error number for a connect error.
pub fn classify_connect_error(e: &io::Error) -> (TcpOutcome, String, Option<i32>) {
    let outcome = match e.kind() {
        io::ErrorKind::ConnectionRefused => TcpOutcome::Refused,
        io::ErrorKind::TimedOut => TcpOutcome::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            TcpOutcome::Unreachable
        }
        _ => TcpOutcome::Error,
    };
    (outcome, e.to_string(), e.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_outcomes() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(classify_connect_error(&e).0, TcpOutcome::Refused);
        let e = io::Error::from(io::ErrorKind::HostUnreachable);
        assert_eq!(classify_connect_error(&e).0, TcpOutcome::Unreachable);
        let e = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(classify_connect_error(&e).0, TcpOutcome::Timeout);
        let e = io::Error::from_raw_os_error(111);
        let (outcome, text, code) = classify_connect_error(&e);
        assert_eq!((outcome, code), (TcpOutcome::Refused, Some(111)));
        assert!(text.contains("refused"), "{text}");
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(classify_connect_error(&e).0, TcpOutcome::Error);
    }
}
