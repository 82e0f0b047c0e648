//! The inputs (four Lync/SfB messages read at run time), what the task must extract from each,
//! and the (parser, message) pairs a peer is known not to handle.

use crate::{AuthKind, Parser, Record};
use bytes::Bytes;
use std::fmt;
use std::path::PathBuf;

/// Where the messages are, relative to this crate's directory.
pub const INPUT_DIR: &str = "../../crates/sfb-sip-codec/testdata/lync";

/// The messages, by file stem, in benchmark order.
pub const MESSAGES: [&str; 4] = [
    "register-ntlm-auth",
    "401-three-offers",
    "200-ok-register",
    "notify-xml",
];

/// (parser, message, why): the peer rejects the message, so it is left out of that message's
/// group and of the `corpus` group; the checks assert that it still fails.
pub const UNSUPPORTED: &[(Parser, &str, &str)] = &[
    (
        Parser::Rsipstack,
        "notify-xml",
        "closed Method enum: `invalid method: BENOTIFY`",
    ),
    (
        Parser::Rsip,
        "notify-xml",
        "closed Method enum: `invalid method: BENOTIFY`",
    ),
];

/// One message, ready for every parser.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file stem, also the benchmark group name.
    pub name: String,
    /// The bytes as read.
    pub raw: Vec<u8>,
    /// The same bytes as a refcounted buffer (`sipx-sip` takes one; cloning it is a refcount
    /// increment).
    pub bytes: Bytes,
}

/// A message file could not be read.
#[derive(Debug)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read benchmark input {}: {} (the inputs are the Lync messages of \
             crates/sfb-sip-codec/testdata/lync/)",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The directory holding the messages.
pub fn input_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(INPUT_DIR)
}

/// Reads the four messages; a missing file is an error naming its path (there is no fallback).
pub fn load_corpus() -> Result<Vec<Input>, LoadError> {
    let dir = input_dir();
    MESSAGES
        .iter()
        .map(|stem| {
            let path = dir.join(format!("{stem}.sip"));
            let raw = std::fs::read(&path).map_err(|source| LoadError { path, source })?;
            Ok(Input {
                name: (*stem).to_owned(),
                bytes: Bytes::from(raw.clone()),
                raw,
            })
        })
        .collect()
}

/// What the task must extract from one message (facts read off the files).
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// File stem.
    pub message: &'static str,
    /// The top Via's branch (two of the messages have a Via without one).
    pub branch: Option<&'static str>,
    /// CSeq number and method.
    pub cseq: (u32, &'static str),
    /// Call-ID.
    pub call_id: &'static str,
    /// Kind and scheme of each authentication header, in wire order.
    pub auth: &'static [(AuthKind, &'static str)],
    /// Parameter count over all authentication headers.
    pub params: usize,
    /// One parameter that must be there, with its unquoted value.
    pub sample: (&'static str, &'static str),
}

/// The expected values of every message.
pub const EXPECTED: [Expected; 4] = [
    Expected {
        message: "register-ntlm-auth",
        branch: None,
        cseq: (3, "REGISTER"),
        call_id: "4037df9284354df39065195bd57a4b14",
        auth: &[(AuthKind::Authorization, "NTLM")],
        params: 9,
        sample: ("response", "0100000029618e9651b65a7764000000"),
    },
    Expected {
        message: "401-three-offers",
        branch: Some("z9hG4bK6C2A5E1F.0D8B4A37"),
        cseq: (1, "REGISTER"),
        call_id: "6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60",
        auth: &[
            (AuthKind::WwwAuthenticate, "NTLM"),
            (AuthKind::WwwAuthenticate, "Kerberos"),
            (AuthKind::WwwAuthenticate, "TLS-DSK"),
        ],
        params: 10,
        sample: (
            "sts-uri",
            "https://sfbfe01.contoso.com:443/CertProv/CertProvisioningService.svc",
        ),
    },
    Expected {
        message: "200-ok-register",
        branch: None,
        cseq: (3, "REGISTER"),
        call_id: "4037df9284354df39065195bd57a4b14",
        auth: &[(AuthKind::AuthenticationInfo, "NTLM")],
        params: 7,
        sample: ("rspauth", "01000000E615438A917661BE64000000"),
    },
    Expected {
        message: "notify-xml",
        branch: Some("z9hG4bK7A1D3F52.9C4E6B08"),
        cseq: (3, "BENOTIFY"),
        call_id: "d2f4a6c8e0b14d3f5a7c9e1b3d5f7a9c",
        auth: &[(AuthKind::AuthenticationInfo, "TLS-DSK")],
        params: 8,
        sample: ("snum", "5"),
    },
];

/// The expected values of the message `message` (a file stem).
pub fn expected(message: &str) -> Option<&'static Expected> {
    EXPECTED.iter().find(|e| e.message == message)
}

impl Expected {
    /// Compares a [`Record`] with these values; the error names the first difference.
    pub fn check(&self, rec: &Record) -> Result<(), String> {
        if rec.branch.as_deref() != self.branch {
            return Err(format!("branch {:?}, want {:?}", rec.branch, self.branch));
        }
        let cseq = rec.cseq.as_ref().map(|(n, m)| (*n, m.as_str()));
        if cseq != Some(self.cseq) {
            return Err(format!("cseq {cseq:?}, want {:?}", self.cseq));
        }
        if rec.call_id.as_deref() != Some(self.call_id) {
            return Err(format!("call-id {:?}, want {}", rec.call_id, self.call_id));
        }
        let auth: Vec<_> = rec
            .auth
            .iter()
            .map(|a| (a.kind, a.scheme.as_str()))
            .collect();
        if auth != self.auth {
            return Err(format!("auth headers {auth:?}, want {:?}", self.auth));
        }
        if rec.param_count() != self.params {
            return Err(format!(
                "{} auth params, want {}",
                rec.param_count(),
                self.params
            ));
        }
        let (name, value) = self.sample;
        let found = rec
            .auth
            .iter()
            .flat_map(|a| &a.params)
            .any(|(n, v)| n == name && v == value);
        if !found {
            return Err(format!("no auth param {name}={value:?}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_covers_every_message() {
        for m in MESSAGES {
            assert!(expected(m).is_some(), "{m}");
        }
    }

    #[test]
    fn check_catches_a_wrong_value() {
        let e = expected("notify-xml").unwrap();
        let mut rec = Record {
            branch: e.branch.map(str::to_owned),
            cseq: Some((e.cseq.0, e.cseq.1.to_owned())),
            call_id: Some(e.call_id.to_owned()),
            auth: Vec::new(),
        };
        assert!(e.check(&rec).unwrap_err().contains("auth headers"));
        rec.call_id = Some("x".into());
        assert!(e.check(&rec).unwrap_err().contains("call-id"));
    }

    #[test]
    fn missing_input_is_a_clear_error() {
        let err = LoadError {
            path: "/nope/x.sip".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(err.to_string().contains("/nope/x.sip"));
    }
}
