//! [MS-SIPAE]: challenges, Authentication-Info, Authorization values, signature buffers,
//! the security association and the scheme-selection policy. Sans-IO: values come from the SIP
//! codec (`sfb-sip-codec`): [`Challenge::from_header`], [`ResponseAuth::from_message`],
//! [`MessageFields::from_message`]; the `from_params` forms take already split values.

mod authorization;
mod challenge;
mod codec;
pub mod params;
mod sa;
mod scheme;
mod select;
mod server;
mod signature;
mod table;

pub use authorization::{AuthorizationValue, Signed};
pub use challenge::{AuthInfo, Challenge, MAX_GSSAPI_B64, parse_challenges};
pub use codec::{MAX_AUTH_HEADERS, ResponseAuth, authorizations};
pub use sa::{HeaderKind, SaKey, SecurityAssociation};
pub use scheme::Scheme;
pub use select::{
    AttemptOutcome, Network, SchemePolicy, SelectError, Selection, SelectionReason, SignInAuth,
};
pub use server::{ServerAssociation, ServerVerdict};
pub use signature::{
    MessageFields, SignatureFields, SignatureLayout, addr_spec, split_identity, tag_param,
};
pub use table::{Associations, MAX_ASSOCIATIONS};

/// A failure of the MS-SIPAE layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipaeError {
    /// The scheme is not NTLM, Kerberos or TLS-DSK.
    #[error("unsupported auth scheme {0:?}")]
    UnsupportedScheme(String),
    /// A required parameter is missing.
    #[error("missing auth parameter {0}")]
    MissingParam(&'static str),
    /// A parameter appears twice.
    #[error("duplicate auth parameter {0}")]
    DuplicateParam(String),
    /// A parameter value is malformed.
    #[error("malformed auth parameter {name}")]
    BadParam {
        /// The parameter.
        name: &'static str,
    },
    /// The header value does not follow the auth-param grammar.
    #[error("malformed auth header at byte {at}")]
    Syntax {
        /// Byte offset of the fault.
        at: usize,
    },
    /// A header the signature buffer needs is absent.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header the signature buffer needs does not parse.
    #[error("malformed {name} header: {error}")]
    MalformedHeader {
        /// The header.
        name: &'static str,
        /// The codec's error (line and column).
        error: sfb_sip_codec::ParseError,
    },
    /// A limit was exceeded.
    #[error("auth header exceeds the limit on {0}")]
    Limit(&'static str),
    /// A challenge or Info does not belong to this security association.
    #[error("no security association for ({scheme}, {realm:?}, {targetname:?})")]
    NoAssociation {
        /// Scheme.
        scheme: Scheme,
        /// Realm.
        realm: String,
        /// Target.
        targetname: String,
    },
    /// A signed request reused or decreased `cnum`.
    #[error("replayed cnum {cnum} (last accepted {last})")]
    ReplayedCnum {
        /// Received.
        cnum: u32,
        /// Last accepted.
        last: u32,
    },
    /// The server sent a token the handshake did not expect.
    #[error("unexpected handshake state: {0}")]
    UnexpectedState(&'static str),
}
