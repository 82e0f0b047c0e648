//! The Kerberos layer's error enum: one variant per fault.

/// Everything that can go wrong in the Kerberos scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KerberosError {
    /// KDC_ERR_PREAUTH_FAILED: the password (or key) of the user is wrong.
    #[error("the KDC rejected the pre-authentication: wrong password")]
    WrongPassword,
    /// KDC_ERR_C_PRINCIPAL_UNKNOWN.
    #[error("the KDC does not know the user principal")]
    UnknownUserPrincipal,
    /// KDC_ERR_S_PRINCIPAL_UNKNOWN (or a duplicated SPN): no usable `sip/<pool>` principal.
    #[error("the KDC does not know the service principal {spn} (missing or duplicated SPN)")]
    UnknownServicePrincipal {
        /// The service principal asked for.
        spn: String,
    },
    /// KDC_ERR_PRINCIPAL_NOT_UNIQUE: typically the `sip/<pool>` SPN is on several accounts.
    #[error("the KDC found several accounts for a principal (duplicated SPN {spn}?)")]
    PrincipalNotUnique {
        /// The service principal asked for.
        spn: String,
    },
    /// KDC_ERR_KEY_EXPIRED: the user's password has expired.
    #[error("the user's password has expired")]
    PasswordExpired,
    /// KDC_ERR_CLIENT_REVOKED: the account is disabled, locked out or expired.
    #[error("the user's account is disabled, locked out or expired")]
    ClientRevoked,
    /// KDC_ERR_ETYPE_NOSUPP or a non-AES key/ticket.
    #[error("unsupported encryption type {etype} (only aes256/aes128-cts-hmac-sha1-96)")]
    UnsupportedEnctype {
        /// The RFC 3961 etype number.
        etype: i64,
    },
    /// The service ticket is encrypted with a non-AES key (RC4-HMAC is etype 23).
    #[error("the service ticket uses etype {etype}: the sip/ service has no AES keys")]
    ServiceWithoutAesKeys {
        /// The ticket's etype.
        etype: i64,
    },
    /// KRB_AP_ERR_SKEW or our own skew check.
    #[error("clock skew too large between client, KDC and server")]
    ClockSkew,
    /// No KDC in the list answered.
    #[error("no KDC reachable ({kdcs})")]
    KdcUnreachable {
        /// The KDC addresses tried.
        kdcs: String,
    },
    /// The KDC returned some other Kerberos error.
    #[error("the KDC refused the request: {detail}")]
    KdcRefused {
        /// sspi's description of the KRB-ERROR.
        detail: String,
    },
    /// A malformed user principal or realm was given.
    #[error("invalid principal or realm {name}")]
    InvalidPrincipal {
        /// The offending name.
        name: String,
    },
    /// The GSS framing of the token is wrong (RFC 2743 §3.1).
    #[error("malformed gss framing: {what}")]
    GssFraming {
        /// What was wrong.
        what: &'static str,
    },
    /// The token is not a Kerberos AP-REQ (RFC 4121 §4.1 TOK_ID 01 00).
    #[error("not a kerberos ap-req (token id {id:02x?})")]
    NotApReq {
        /// The token id found.
        id: [u8; 2],
    },
    /// DER decoding of a Kerberos structure failed.
    #[error("malformed kerberos {what}")]
    Asn1 {
        /// The structure.
        what: &'static str,
    },
    /// Decryption or checksum verification failed (wrong key, or tampered data).
    #[error("kerberos integrity check failed while decrypting the {what}")]
    Integrity {
        /// The structure.
        what: &'static str,
    },
    /// No service key matches the ticket's etype and kvno.
    #[error("no service key for etype {etype} kvno {kvno:?}")]
    NoServiceKey {
        /// Ticket etype.
        etype: i64,
        /// Ticket kvno.
        kvno: Option<i64>,
    },
    /// The ticket was issued for another service.
    #[error("the ticket is for another service principal")]
    WrongService,
    /// The ticket has expired or is not yet valid.
    #[error("the ticket is expired or not yet valid")]
    TicketExpired,
    /// The authenticator's client differs from the ticket's client.
    #[error("the authenticator's client does not match the ticket")]
    ClientMismatch,
    /// The authenticator carries no subkey (needed for MS-SIPAE signatures).
    #[error("the authenticator has no subkey")]
    NoSubkey,
    /// An RFC 1964 / RFC 4757 RC4-HMAC token was received.
    #[error("rc4-hmac kerberos token: the sip/ service has no AES keys")]
    Rc4Token,
    /// The MIC token is shorter than 28 octets.
    #[error("truncated mic token ({len} octets)")]
    MicTruncated {
        /// Length received.
        len: usize,
    },
    /// The MIC token is longer than 28 octets.
    #[error("overlong mic token ({len} octets)")]
    MicTooLong {
        /// Length received.
        len: usize,
    },
    /// Unknown TOK_ID.
    #[error("not a mic token (token id {id:02x?})")]
    MicTokenId {
        /// The token id found.
        id: [u8; 2],
    },
    /// Filler octets are not FF.
    #[error("mic token filler is not ff ff ff ff ff")]
    MicFiller,
    /// Flags not allowed in MS-SIPAE MIC tokens (Sealed or AcceptorSubkey).
    #[error("unexpected mic token flags {flags:#04x}")]
    MicFlags {
        /// The flags octet.
        flags: u8,
    },
    /// The SentByAcceptor flag says the token came from the wrong side.
    #[error("mic token sent by the wrong side (SentByAcceptor flag)")]
    MicDirection,
    /// The checksum does not match: tampered data or wrong key.
    #[error("mic checksum mismatch")]
    MicMismatch,
    /// The context is not established yet.
    #[error("the kerberos context is not established")]
    NotReady,
    /// The input does not fit the current state.
    #[error("unexpected input in state {state}")]
    UnexpectedInput {
        /// Current state.
        state: &'static str,
    },
    /// A keytab file is malformed.
    #[error("malformed keytab: {what}")]
    Keytab {
        /// What was wrong.
        what: &'static str,
    },
    /// A key has the wrong length for its enctype.
    #[error("key length {len} does not fit the enctype")]
    KeyLength {
        /// Length given.
        len: usize,
    },
    /// A crypto primitive failed.
    #[error("kerberos crypto failure in {step}")]
    Crypto {
        /// Which step.
        step: &'static str,
    },
    /// sspi failed in a way not covered above.
    #[error("kerberos client library failure: {detail}")]
    Library {
        /// sspi's description.
        detail: String,
    },
}
