//! Errors of the grammar tier ([`ParseError`]) and of the validation tier ([`ValidationError`]).
//!
//! Both carry a 1-based `line` and `column` so a tool can print
//! `error: <what> at line L, column C`. Both are `Copy`.

use core::fmt;

/// Which configured limit was exceeded (see [`crate::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Limit {
    /// `max_message`: the header section (start line, headers, empty line).
    Message,
    /// `max_headers`: the number of header fields.
    Headers,
    /// `max_line`: the length of one physical line.
    Line,
    /// `max_body`: the body length announced or found.
    Body,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Message => "max_message",
            Limit::Headers => "max_headers",
            Limit::Line => "max_line",
            Limit::Body => "max_body",
        })
    }
}

/// What was wrong with the bytes (grammar tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ParseErrorKind {
    /// The input is empty.
    #[error("empty message")]
    Empty,
    /// The header section has no terminating empty line.
    #[error("header section not terminated by an empty line")]
    Unterminated,
    /// A configured limit was exceeded.
    #[error("{limit} exceeded (limit {max})")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
    /// A line ends in LF without the CR that RFC 3261 requires.
    #[error("line ends in a bare LF (CRLF required)")]
    BareLf,
    /// A CR not followed by LF.
    #[error("CR not followed by LF")]
    BareCr,
    /// The header section is not UTF-8.
    #[error("header section is not valid UTF-8")]
    NotUtf8,
    /// The start line is neither a Request-Line nor a Status-Line.
    #[error("malformed start line")]
    InvalidStartLine,
    /// The method is not a token.
    #[error("invalid method")]
    InvalidMethod,
    /// The Request-URI is not an absolute URI without spaces.
    #[error("invalid request-uri")]
    InvalidRequestUri,
    /// The version is not `SIP/<digits>.<digits>`.
    #[error("invalid sip version")]
    InvalidVersion,
    /// The status code is not three digits.
    #[error("invalid status code")]
    InvalidStatusCode,
    /// A header line has no colon.
    #[error("header line without colon")]
    MissingColon,
    /// A header name is empty or not a token.
    #[error("invalid header name")]
    InvalidHeaderName,
    /// A folded continuation line appears before any header.
    #[error("continuation line without a header")]
    OrphanContinuation,
    /// Content-Length is absent on a stream transport (RFC 3261 18.3).
    #[error("content-length missing on a stream")]
    MissingContentLength,
    /// Content-Length is not a decimal number that fits.
    #[error("invalid content-length")]
    InvalidContentLength,
    /// Two Content-Length headers disagree.
    #[error("conflicting content-length values")]
    ConflictingContentLength,
    /// The body is shorter than Content-Length says.
    #[error("body shorter than content-length")]
    BodyTruncated,
    /// A keep-alive CR was followed by something other than LF.
    #[error("malformed keep-alive")]
    InvalidKeepAlive,
    /// A header value is empty where a value is required.
    #[error("empty header value")]
    EmptyValue,
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// An angle-bracketed URI has no closing `>`.
    #[error("unterminated angle bracket")]
    UnterminatedAngle,
    /// A parameter is empty or malformed.
    #[error("invalid parameter")]
    InvalidParam,
    /// A display name is neither a quoted string nor tokens.
    #[error("invalid display name")]
    InvalidDisplayName,
    /// A name-addr or addr-spec is malformed.
    #[error("invalid address")]
    InvalidAddress,
    /// A URI is malformed.
    #[error("invalid uri")]
    InvalidUri,
    /// A `%` escape is not followed by two hex digits.
    #[error("invalid percent escape")]
    InvalidEscape,
    /// A host or port is malformed.
    #[error("invalid host or port")]
    InvalidHostPort,
    /// A number is malformed or out of range.
    #[error("invalid number")]
    InvalidNumber,
    /// A token was expected.
    #[error("invalid token")]
    InvalidToken,
    /// A Via value is malformed.
    #[error("invalid via")]
    InvalidVia,
    /// A CSeq value is malformed.
    #[error("invalid cseq")]
    InvalidCSeq,
    /// An auth header (challenge or credentials) is malformed.
    #[error("invalid auth header")]
    InvalidAuth,
    /// An ms-diagnostics value is malformed.
    #[error("invalid ms-diagnostics")]
    InvalidDiagnostic,
    /// A Warning value is malformed.
    #[error("invalid warning")]
    InvalidWarning,
}

/// A grammar error with its 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[error("{kind} at line {line}, column {column}")]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in bytes).
    pub column: u32,
}

impl ParseError {
    /// A new error at a position.
    pub fn new(kind: ParseErrorKind, line: u32, column: u32) -> Self {
        Self { kind, line, column }
    }
}

/// What was wrong with a grammatically correct message (validation tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ValidationErrorKind {
    /// The version is not `SIP/2.0`.
    #[error("unsupported sip version (SIP/2.0 required)")]
    UnsupportedVersion,
    /// The status code is outside 100..=699.
    #[error("status code out of range 100..=699")]
    StatusOutOfRange,
    /// A required header is absent.
    #[error("missing required header {0}")]
    MissingHeader(&'static str),
    /// A single-value header appears more than once.
    #[error("header {0} appears more than once")]
    DuplicateHeader(&'static str),
    /// The CSeq method differs from the request method.
    #[error("cseq method does not match the request method")]
    CSeqMethodMismatch,
    /// A number is outside its allowed range.
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// Content-Length disagrees with the body length.
    #[error("content-length does not match the body")]
    ContentLengthMismatch,
    /// The Request-URI carries URI headers (`?...`), forbidden by RFC 3261 19.1.1.
    #[error("request-uri must not contain headers")]
    RequestUriHeaders,
    /// A Date value is not an RFC 1123 date in GMT.
    #[error("date must be an rfc 1123 date in GMT")]
    InvalidDate,
    /// A header value does not follow its grammar.
    #[error("malformed {header}: {kind}")]
    Malformed {
        /// The header (long form).
        header: &'static str,
        /// The grammar fault.
        kind: ParseErrorKind,
    },
}

/// A validation error with the 1-based position of the offending header (or start line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[error("{kind} at line {line}, column {column}")]
pub struct ValidationError {
    /// What was wrong.
    pub kind: ValidationErrorKind,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}
