//! The codec benchmark against peer SIP parsers: one adapter per parser, the inputs and the
//! expected results.
//!
//! Every adapter does the same TASK on one message: parse the whole message, then read the top
//! Via's `branch`, the CSeq (number and method), the Call-ID, and every parameter (name and
//! value) of every `Authorization` / `WWW-Authenticate` / `Authentication-Info` header, through
//! the parser's typed API where it has one. What it reads goes to a [`Sink`]: the benchmark uses
//! [`Checksum`] (sums of lengths, cheap, `black_box`ed by the caller) and the checks use
//! [`Record`] (owned copies, compared with [`Expected`]).
//!
//! Where a peer has no typed access for a value it falls back to string splitting
//! ([`split`]); [`Parser::note`] says where, and the bench writes those notes to
//! `sfb-bench-meta.json` for `cargo xtask bench codec`.
//!
//! Modules: [`corpus`] (inputs, expected values, unsupported pairs), [`split`] (the string
//! fallbacks), [`adapters`] (one per parser).

pub mod adapters;
pub mod corpus;
pub mod split;

pub use corpus::{Expected, Input, LoadError, UNSUPPORTED, expected, load_corpus};

use std::fmt;

/// Which authentication header a parameter came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthKind {
    /// `Authorization`.
    Authorization,
    /// `WWW-Authenticate`.
    WwwAuthenticate,
    /// `Authentication-Info`.
    AuthenticationInfo,
}

/// Receives what an adapter extracts from one message.
pub trait Sink {
    /// The top Via's `branch` parameter, when it has one.
    fn branch(&mut self, branch: &[u8]);
    /// The CSeq number and method.
    fn cseq(&mut self, number: u32, method: &[u8]);
    /// The Call-ID.
    fn call_id(&mut self, call_id: &[u8]);
    /// The start of an authentication header: its kind and scheme (`NTLM`, `Kerberos`, ...).
    fn auth_header(&mut self, kind: AuthKind, scheme: &[u8]);
    /// One parameter of the last authentication header; `value` without its quotes.
    fn auth_param(&mut self, name: &[u8], value: &[u8]);
}

/// The sink of the timed loop: adds lengths and numbers, so nothing can be optimised away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checksum(pub u64);

impl Sink for Checksum {
    fn branch(&mut self, branch: &[u8]) {
        self.0 = self.0.wrapping_add(branch.len() as u64);
    }
    fn cseq(&mut self, number: u32, method: &[u8]) {
        self.0 = self
            .0
            .wrapping_add(u64::from(number))
            .wrapping_add(method.len() as u64);
    }
    fn call_id(&mut self, call_id: &[u8]) {
        self.0 = self.0.wrapping_add(call_id.len() as u64);
    }
    fn auth_header(&mut self, kind: AuthKind, scheme: &[u8]) {
        self.0 = self
            .0
            .wrapping_add(kind as u64)
            .wrapping_add(scheme.len() as u64);
    }
    fn auth_param(&mut self, name: &[u8], value: &[u8]) {
        self.0 = self
            .0
            .wrapping_add(name.len() as u64)
            .wrapping_add(value.len() as u64);
    }
}

/// One authentication header as extracted: kind, scheme and parameters in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRecord {
    /// The header it came from.
    pub kind: AuthKind,
    /// The scheme token.
    pub scheme: String,
    /// `(name, value)` pairs, values without quotes.
    pub params: Vec<(String, String)>,
}

/// The sink of the checks: owned copies of everything extracted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The top Via's branch.
    pub branch: Option<String>,
    /// CSeq number and method.
    pub cseq: Option<(u32, String)>,
    /// The Call-ID.
    pub call_id: Option<String>,
    /// Every authentication header.
    pub auth: Vec<AuthRecord>,
}

impl Record {
    /// How many authentication parameters were extracted, over all headers.
    pub fn param_count(&self) -> usize {
        self.auth.iter().map(|a| a.params.len()).sum()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Sink for Record {
    fn branch(&mut self, branch: &[u8]) {
        self.branch = Some(text(branch));
    }
    fn cseq(&mut self, number: u32, method: &[u8]) {
        self.cseq = Some((number, text(method)));
    }
    fn call_id(&mut self, call_id: &[u8]) {
        self.call_id = Some(text(call_id));
    }
    fn auth_header(&mut self, kind: AuthKind, scheme: &[u8]) {
        self.auth.push(AuthRecord {
            kind,
            scheme: text(scheme),
            params: Vec::new(),
        });
    }
    fn auth_param(&mut self, name: &[u8], value: &[u8]) {
        if let Some(last) = self.auth.last_mut() {
            last.params.push((text(name), text(value)));
        }
    }
}

/// Why an adapter could not do the task on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The parser rejected the message.
    Parse(String),
    /// A header the task reads is missing.
    MissingHeader(&'static str),
    /// A header the task reads is there but its value did not parse.
    BadHeader(&'static str, String),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(e) => write!(f, "message rejected: {e}"),
            Self::MissingHeader(h) => write!(f, "no {h} header"),
            Self::BadHeader(h, e) => write!(f, "bad {h} header: {e}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// The parsers under test, in the order `cargo xtask bench codec` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parser {
    /// sfb's own codec, `sfb-sip-codec`.
    Sfb,
    /// `httparse::parse_headers` on the header block: the floor (no SIP grammar).
    Httparse,
    /// `rsipstack::sip` (its vendored rsip fork).
    Rsipstack,
    /// `rsip`.
    Rsip,
    /// `sipx-sip`.
    SipxSip,
}

impl Parser {
    /// Every parser.
    pub const ALL: [Parser; 5] = [
        Parser::Sfb,
        Parser::Httparse,
        Parser::Rsipstack,
        Parser::Rsip,
        Parser::SipxSip,
    ];

    /// The benchmark id, as `cargo xtask bench codec` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sfb => "sfb",
            Self::Httparse => "httparse",
            Self::Rsipstack => "rsipstack",
            Self::Rsip => "rsip",
            Self::SipxSip => "sipx-sip",
        }
    }

    /// The parser named `name` (a benchmark id).
    pub fn from_name(name: &str) -> Option<Parser> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Does the task on one message.
    pub fn run<S: Sink>(self, input: &Input, sink: &mut S) -> Result<(), TaskError> {
        match self {
            Self::Sfb => adapters::sfb::run(input, sink),
            Self::Httparse => adapters::httparse::run(input, sink),
            Self::Rsipstack => adapters::rsipstack::run(input, sink),
            Self::Rsip => adapters::rsip::run(input, sink),
            Self::SipxSip => adapters::sipx_sip::run(input, sink),
        }
    }

    /// Where this parser's adapter leaves the typed API, for `sfb-bench-meta.json`.
    pub fn note(self) -> &'static str {
        match self {
            Self::Sfb => adapters::sfb::NOTE,
            Self::Httparse => adapters::httparse::NOTE,
            Self::Rsipstack => adapters::rsipstack::NOTE,
            Self::Rsip => adapters::rsip::NOTE,
            Self::SipxSip => adapters::sipx_sip::NOTE,
        }
    }

    /// Whether this parser is known not to handle the message `message` (a file stem), and why.
    pub fn unsupported(self, message: &str) -> Option<&'static str> {
        UNSUPPORTED
            .iter()
            .find(|(p, m, _)| *p == self && *m == message)
            .map(|(_, _, why)| *why)
    }
}

/// Runs every parser on every input and checks the outcome: the [`Expected`] values where the
/// parser supports the message, an error where [`UNSUPPORTED`] says it does not. Returns one
/// line per mismatch (empty when all is well).
pub fn verify(inputs: &[Input]) -> Vec<String> {
    let mut problems = Vec::new();
    for p in Parser::ALL {
        for input in inputs {
            problems.extend(verify_one(p, input).err());
        }
    }
    problems
}

/// The check of [`verify`] for one parser and one input.
pub fn verify_one(p: Parser, input: &Input) -> Result<(), String> {
    let mut rec = Record::default();
    let outcome = p.run(input, &mut rec);
    let who = format!("{} on {}", p.name(), input.name);
    match (p.unsupported(&input.name), outcome) {
        (Some(_), Err(_)) => Ok(()),
        (Some(why), Ok(())) => Err(format!(
            "{who}: listed as unsupported ({why}) but it succeeded: update UNSUPPORTED"
        )),
        (None, Err(e)) => Err(format!("{who}: {e}")),
        (None, Ok(())) => {
            let exp = expected(&input.name).ok_or_else(|| format!("{who}: no expected values"))?;
            exp.check(&rec).map_err(|e| format!("{who}: {e}"))
        }
    }
}

/// The JSON written to `<target>/sfb-bench-meta.json`: the size of each group and the notes.
pub fn meta_json(groups: &[(String, usize, usize)]) -> serde_json::Value {
    let mut g = serde_json::Map::new();
    for (name, bytes, messages) in groups {
        g.insert(
            name.clone(),
            serde_json::json!({ "bytes": bytes, "messages": messages }),
        );
    }
    let mut notes = serde_json::Map::new();
    for p in Parser::ALL {
        notes.insert(p.name().to_owned(), p.note().into());
    }
    serde_json::json!({ "groups": g, "notes": notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parser_extracts_the_expected_values() {
        let inputs = load_corpus().unwrap();
        let problems = verify(&inputs);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn supported_parsers_agree_on_every_param() {
        for input in load_corpus().unwrap() {
            let mut all = Vec::new();
            for p in Parser::ALL {
                if p.unsupported(&input.name).is_some() {
                    continue;
                }
                let mut rec = Record::default();
                p.run(&input, &mut rec).unwrap();
                all.push((p, rec));
            }
            let (p0, r0) = &all[0];
            for (p, r) in &all[1..] {
                assert_eq!(
                    r0,
                    r,
                    "{} and {} differ on {}",
                    p0.name(),
                    p.name(),
                    input.name
                );
            }
        }
    }

    #[test]
    fn checksum_depends_on_the_values() {
        let inputs = load_corpus().unwrap();
        for p in Parser::ALL {
            let mut sums = Vec::new();
            for input in &inputs {
                let mut c = Checksum::default();
                if p.run(input, &mut c).is_ok() {
                    sums.push(c.0);
                }
            }
            assert!(sums.iter().all(|s| *s > 0), "{}: {sums:?}", p.name());
        }
    }

    #[test]
    fn names_round_trip() {
        for p in Parser::ALL {
            assert_eq!(Parser::from_name(p.name()), Some(p));
        }
        assert_eq!(Parser::from_name("nope"), None);
    }

    #[test]
    fn meta_has_groups_and_notes() {
        let m = meta_json(&[("corpus".into(), 10, 2)]);
        assert_eq!(m["groups"]["corpus"]["bytes"], 10);
        assert_eq!(m["groups"]["corpus"]["messages"], 2);
        assert!(m["notes"]["rsip"].as_str().is_some_and(|s| !s.is_empty()));
    }
}
