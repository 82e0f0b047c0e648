//! Explicit parser limits.

/// Limits applied by the parser and the framer. Exceeding one is a
/// [`ParseErrorKind::LimitExceeded`](crate::ParseErrorKind::LimitExceeded) naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size of the header section in bytes: start line, header lines and the empty line.
    pub max_message: usize,
    /// Maximum number of header fields (a folded header counts once).
    pub max_headers: usize,
    /// Maximum length of one physical line in bytes, CRLF included.
    pub max_line: usize,
    /// Maximum body length in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    /// 64 KiB header section, 128 headers, 8 KiB lines, 4 MiB body.
    fn default() -> Self {
        Self {
            max_message: 64 * 1024,
            max_headers: 128,
            max_line: 8 * 1024,
            max_body: 4 * 1024 * 1024,
        }
    }
}
