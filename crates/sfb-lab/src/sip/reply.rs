//! Building responses: the headers copied from the request, the registrar's To tag, the
//! `ms-diagnostics` values, and the bare 400 for a message that does not parse.

use sfb_sip_codec::{Message, ResponseBuilder};

/// `Server` of every lab response: `RTC/6.0` is Skype for Business Server 2015 (protocol.md
/// §6.1, pidgin-sipe reads RTC/6.x as SfB).
pub(crate) const SERVER: &str = "RTC/6.0";

/// The MS-SIPAE realm of every role ([MS-SIPAE] 4.1; the Lync default).
pub(crate) const REALM: &str = "SIP Communications Service";

/// One `ms-diagnostics` (or `-public`) entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Diag {
    /// The ErrorId.
    pub(crate) code: u32,
    /// The reason text as on the wire.
    pub(crate) reason: &'static str,
    /// Sent as `ms-diagnostics-public` (no `source`), across the enterprise boundary.
    pub(crate) public: bool,
}

/// [MS-OCER] 7.2 (protocol.md §7.4): the authentication handshake failed.
pub(crate) const FINAL_HANDSHAKE_FAILED: Diag = Diag {
    code: 1000,
    reason: "Final handshake failed",
    public: false,
};
/// [MS-OCER] 7.2: the next hop cannot be reached.
pub(crate) const TEMPORARILY_CANNOT_ROUTE: Diag = Diag {
    code: 1007,
    reason: "Temporarily cannot route",
    public: false,
};
/// [MS-OCER] 7.2: clock skew during authentication.
pub(crate) const TIME_SKEW: Diag = Diag {
    code: 1013,
    reason: "Significant time skew detected during authentication",
    public: false,
};
/// [MS-OCER] 7.5: User Services default (used for the provisioning failure, [RECON]).
pub(crate) const USER_SERVICES_DEFAULT: Diag = Diag {
    code: 4000,
    reason: "User services default",
    public: false,
};
/// [MS-OCER] 7.5: external access policy refuses remote users (public form).
pub(crate) const NOT_ENABLED_FOR_REMOTE_ACCESS: Diag = Diag {
    code: 4003,
    reason: "From URI not enabled for remote access",
    public: true,
};
/// [MS-OCER] 7.5: the authenticated account is not the From user (public form).
pub(crate) const NOT_AUTHORIZED_FOR_FROM: Diag = Diag {
    code: 4004,
    reason: "Credentials provided are not authorized to act as specified from URI",
    public: true,
};
/// [MS-OCER] 7.5: the user is not enabled for SIP or does not exist.
pub(crate) const NOT_ENABLED_FOR_SIP: Diag = Diag {
    code: 4005,
    reason: "Destination URI either not enabled for SIP or does not exist",
    public: false,
};
/// The client version filter's refusal: ErrorId range 17000-17999 is the client version
/// filter (protocol.md §7.4); the exact id and text are [RECON].
pub(crate) const CLIENT_VERSION_BLOCKED: Diag = Diag {
    code: 17000,
    reason: "Client version is blocked by the client version policy",
    public: false,
};

impl Diag {
    /// The header name and value; `source` is the FQDN of the role that produced it.
    pub(crate) fn header(&self, source: &str) -> (&'static str, String) {
        if self.public {
            (
                "ms-diagnostics-public",
                format!("{};reason=\"{}\"", self.code, self.reason),
            )
        } else {
            (
                "ms-diagnostics",
                format!(
                    "{};reason=\"{}\";source=\"{source}\"",
                    self.code, self.reason
                ),
            )
        }
    }
}

/// A header value with its folds (CRLF + WSP) turned into one space, so the builder accepts
/// it; signed fields never contain folds that matter (the URIs and tags are unchanged).
pub(crate) fn unfold(v: &str) -> String {
    if !v.contains(['\r', '\n']) {
        return v.to_owned();
    }
    let mut out = String::with_capacity(v.len());
    let mut pending_space = false;
    for c in v.chars() {
        if c == '\r' || c == '\n' {
            pending_space = true;
            continue;
        }
        if pending_space && (c == ' ' || c == '\t') {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Text for a `Warning` value: no quotes, no control characters, bounded.
pub(crate) fn warning_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .take(200)
        .collect()
}

/// A response to `req`: Via and From copied (in wire order), To with `to_tag` added when the
/// request's To has none, Call-ID and CSeq copied, and `Server`.
pub(crate) fn base(req: &Message<'_>, code: u16, reason: &str, to_tag: &str) -> ResponseBuilder {
    let mut b = ResponseBuilder::new(code, reason);
    for h in req.headers().filter(|h| h.is("Via") || h.is("From")) {
        b = b.header(h.name, &unfold(h.value));
    }
    if let Some(to) = req.header("To") {
        let has_tag = req
            .to()
            .and_then(Result::ok)
            .is_some_and(|na| na.tag().is_some());
        let v = unfold(to.value);
        if has_tag || code == 100 {
            b = b.header(to.name, &v);
        } else {
            b = b.header(to.name, &format!("{v};tag={to_tag}"));
        }
    }
    for h in req.headers().filter(|h| h.is("Call-ID") || h.is("CSeq")) {
        b = b.header(h.name, &unfold(h.value));
    }
    b.header("Server", SERVER)
}

/// The answer to bytes that do not parse as a SIP message: a 400 with nothing copied (there is
/// nothing to copy) and the parse error in a `Warning` (RFC 3261 20.43, code 399).
pub(crate) fn unparseable(agent: &str, error: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 400 Bad Request\r\nWarning: 399 {agent} \"{}\"\r\nServer: {SERVER}\r\nContent-Length: 0\r\n\r\n",
        warning_text(error)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolding_and_warnings() {
        assert_eq!(unfold("a\r\n  b\r\n\tc"), "a b c");
        assert_eq!(unfold("plain"), "plain");
        assert_eq!(warning_text("x\"y\r\nz\\"), "xyz");
        let (n, v) = NOT_ENABLED_FOR_SIP.header("pool0.contoso.test");
        assert_eq!(n, "ms-diagnostics");
        assert_eq!(
            v,
            "4005;reason=\"Destination URI either not enabled for SIP or does not exist\";source=\"pool0.contoso.test\""
        );
        assert_eq!(
            NOT_ENABLED_FOR_REMOTE_ACCESS.header("x").1,
            "4003;reason=\"From URI not enabled for remote access\""
        );
    }
}
