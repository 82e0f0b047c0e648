//! The ms-diagnostics catalogue: what a server's diagnostic code means and what to do.
//!
//! Two families ([MS-OCER]): SIP `ms-diagnostics` / `ms-diagnostics-public` (protocol.md §7.4,
//! the registration-related codes of the SipStack and UserServices components, [MS-OCER] §7.2
//! and §7.5) and the HTTP `X-Ms-diagnostics` of the WebTicket service (the 28000 range,
//! [MS-OCER] §7.22, [MS-OCAUTHWS] 2.2.2.1). An entry marked "reconstructed" was not read in the
//! specification itself (its text comes from field captures or the project's own peers).
//!
//! A code that is not here is shown raw, never hidden: [`describe`] falls back to the component
//! of its range ([`component`]).

/// One catalogued code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The first code of the entry.
    pub code: u32,
    /// The last code of the entry (equal to `code` for a single code).
    pub last: u32,
    /// The reason text servers send (or a summary of the range).
    pub reason: &'static str,
    /// What it means for a sign-in.
    pub meaning: &'static str,
    /// What to do.
    pub remedy: &'static str,
    /// The cause code a final REGISTER failure carrying it gets (`None`: decided by context).
    pub cause: Option<&'static str>,
    /// Where it comes from.
    pub citation: &'static str,
}

const OCER_SIP: &str = "[MS-OCER] §7.2 (SipStack), protocol.md §7.4";
const OCER_US: &str = "[MS-OCER] §7.5 (UserServices), protocol.md §7.4";
const OCER_WT: &str = "[MS-OCER] §7.22, [MS-OCAUTHWS] 2.2.2.1";

const fn e(
    code: u32,
    reason: &'static str,
    meaning: &'static str,
    remedy: &'static str,
    cause: Option<&'static str>,
    citation: &'static str,
) -> Entry {
    Entry {
        code,
        last: code,
        reason,
        meaning,
        remedy,
        cause,
        citation,
    }
}

/// The SIP `ms-diagnostics` codes that matter for registration.
pub const SIP: &[Entry] = &[
    e(
        1000,
        "Final handshake failed.",
        "the authentication handshake failed: usually a wrong password, else an NTLM/Kerberos/TLS-DSK failure",
        "Check the password and the login (DOMAIN\\user or UPN); if it is right, check that the account is not disabled or locked in Active Directory.",
        None,
        OCER_SIP,
    ),
    e(
        1003,
        "User does not exist.",
        "the hop that answered does not know the user",
        "Check the sign-in address; check that the user is enabled for Skype for Business and replicated.",
        Some("auth.user_not_found"),
        OCER_SIP,
    ),
    e(
        1005,
        "Cannot route to destination domain.",
        "the hop has no route for the SIP domain",
        "Check the SIP domain list and the Edge's routing for this domain.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1006,
        "Error routing on client connection.",
        "the server could not route back to the client",
        "Check the Edge and the client's connection (NAT, proxy).",
        None,
        OCER_SIP,
    ),
    e(
        1007,
        "Temporarily cannot route.",
        "the hop that said it cannot reach its next hop (Edge to Director or pool)",
        "Check that the next hop named (PeerServer) is up and that the Edge's internal interface reaches it on 5061.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1008,
        "Unable to resolve DNS SRV record.",
        "the hop's DNS lookup of the next hop failed",
        "Fix the DNS records the Edge or Director uses for the next hop.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1009,
        "Conflicting SRV and host domains in DNS.",
        "strict naming failed on the server side",
        "Make the SRV target a host in the SRV record's domain.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1010,
        "Certificate trust with next-hop server could not be established.",
        "the hop does not trust the next hop's certificate (internal CA, expired or wrong name)",
        "Check the next hop's certificate and that the hop trusts its CA.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1011,
        "ms-diagnostics header not provided by previous hop.",
        "the real cause is on another hop",
        "Read the other ms-diagnostics values of the response, or the next hop's logs.",
        None,
        OCER_SIP,
    ),
    e(
        1013,
        "Significant time skew detected during authentication.",
        "the clocks of the client and the server differ too much",
        "Synchronise this machine's clock (and the server's) with the domain time source.",
        Some("auth.clock_skew"),
        OCER_SIP,
    ),
    e(
        1014,
        "Unable to resolve DNS A record.",
        "the hop's DNS lookup of the next hop failed",
        "Fix the A record of the next hop.",
        Some("auth.next_hop_down"),
        OCER_SIP,
    ),
    e(
        1034,
        "Previous hop server component did not report diagnostic information",
        "the next hop failed silently; the hop that said it names it in PeerServer",
        "Check the server named in PeerServer: it is down or unreachable from the hop that said it.",
        Some("auth.next_hop_down"),
        "reconstructed (field captures; the [MS-OCER] §7.2 entry was not read)",
    ),
    e(
        4000,
        "User services default.",
        "a generic User Services failure",
        "Read the reason text and the Front End's event log.",
        None,
        OCER_US,
    ),
    e(
        4001,
        "XML parse failure.",
        "the server could not parse our XML (our bug)",
        "Report it with the trace.",
        Some("auth.client_bug"),
        OCER_US,
    ),
    e(
        4003,
        "From URI not enabled for remote access.",
        "the user may not sign in from outside the network",
        "Enable remote user access for this user (external access policy) or sign in from inside.",
        Some("auth.remote_access_disabled"),
        OCER_US,
    ),
    e(
        4004,
        "Credentials provided are not authorized to act as specified from URI.",
        "the account that authenticated is not the owner of the SIP URI",
        "Sign in with the account that owns this SIP address (compare the login with the user's msRTCSIP-PrimaryUserAddress).",
        Some("auth.credentials_mismatch"),
        OCER_US,
    ),
    e(
        4005,
        "Destination URI either not enabled for SIP or does not exist.",
        "the user is not enabled for SIP, or not yet replicated to this pool",
        "Enable the user for Skype for Business (Enable-CsUser) and wait for replication.",
        Some("auth.not_sip_enabled"),
        OCER_US,
    ),
    e(
        4006,
        "User not found in pool.",
        "the user is homed elsewhere or not replicated to this pool",
        "Check the user's registrar pool (Get-CsUser) and replication.",
        Some("auth.user_not_in_pool"),
        OCER_US,
    ),
    e(
        4007,
        "Resource is unknown in this deployment.",
        "the deployment does not know the user",
        "Check the sign-in address and that the user is enabled.",
        Some("auth.user_not_found"),
        OCER_US,
    ),
    Entry {
        code: 4010,
        last: 4013,
        reason: "Missing endpoint identifier / Epid not present / Epid too long / Content-type mismatch.",
        meaning: "the REGISTER was malformed (our bug)",
        remedy: "Report it with the trace.",
        cause: Some("auth.client_bug"),
        citation: OCER_US,
    },
    Entry {
        code: 17000,
        last: 17999,
        reason: "Client version filter.",
        meaning: "the client version policy blocks this client's User-Agent",
        remedy: "Update the client, or allow its version in the client version policy (Get-CsClientVersionPolicy).",
        cause: Some("auth.client_version_blocked"),
        citation: "protocol.md §7.4 (range table: client version filter)",
    },
];

/// The HTTP `X-Ms-diagnostics` codes of the WebTicket service.
pub const WEBTICKET: &[Entry] = &[
    e(
        28000,
        "Bad request.",
        "the WebTicket service could not read the request (reconstructed)",
        "Report it with the trace.",
        None,
        "reconstructed (the project's WebTicket peer)",
    ),
    e(
        28020,
        "Invalid credentials.",
        "the WebTicket service rejected the credentials (wsse:FailedAuthentication)",
        "Check the password and the login.",
        None,
        "reconstructed (field captures, the project's WebTicket peer)",
    ),
    e(
        28032,
        "The user is not SIP enabled.",
        "the WebTicket service found no SIP-enabled user for these credentials",
        "Enable the user for Skype for Business.",
        None,
        "reconstructed (field captures, the project's WebTicket peer)",
    ),
    Entry {
        code: 28001,
        last: 28999,
        reason: "WebTicket service.",
        meaning: "the WebTicket service refused the request",
        remedy: "Read the reason and fault, and the Front End's event log.",
        cause: None,
        citation: OCER_WT,
    },
];

/// The entry for a SIP `ms-diagnostics` code, if catalogued.
pub fn sip(code: u32) -> Option<&'static Entry> {
    SIP.iter().find(|e| (e.code..=e.last).contains(&code))
}

/// The entry for an HTTP `X-Ms-diagnostics` code, if catalogued (single codes before ranges).
pub fn webticket(code: u32) -> Option<&'static Entry> {
    WEBTICKET.iter().find(|e| (e.code..=e.last).contains(&code))
}

/// The server component owning a code's range (protocol.md §7.4 range table).
pub fn component(code: u32) -> &'static str {
    match code / 1000 {
        0 => "common",
        1 => "SIP stack",
        2 => "User Services (presence)",
        3 => "conferencing",
        4 => "User Services",
        5 => "API applications",
        6 => "IM MCU",
        7 => "AV MCU",
        8 => "telephony conferencing",
        9 => "MRAS",
        10 => "Mediation Server",
        11 => "metrics",
        12 => "outbound routing",
        13 => "inbound routing",
        14 => "translation",
        15 => "Exchange UM",
        16 => "IM filter",
        17 => "client version filter",
        28 => "WebTicket service",
        _ => "an uncatalogued component",
    }
}

/// One line for a code: the catalogued meaning, or the raw code and its component.
pub fn describe(code: u32, http: bool) -> String {
    let entry = if http { webticket(code) } else { sip(code) };
    match entry {
        Some(e) => format!("{code}: {}", e.meaning),
        None => format!("{code}: an uncatalogued code of {}", component(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::step_of;

    #[test]
    fn entries_are_ordered_and_causes_exist() {
        for table in [SIP, WEBTICKET] {
            for e in table {
                assert!(e.code <= e.last, "{}", e.code);
                assert!(!e.meaning.is_empty() && !e.remedy.is_empty() && !e.citation.is_empty());
                if let Some(c) = e.cause {
                    assert!(step_of(c).is_some(), "{c}");
                }
            }
        }
        assert_eq!(
            sip(4005).and_then(|e| e.cause),
            Some("auth.not_sip_enabled")
        );
        assert_eq!(
            sip(17011).and_then(|e| e.cause),
            Some("auth.client_version_blocked")
        );
        assert_eq!(webticket(28020).map(|e| e.code), Some(28020));
        assert_eq!(webticket(28500).map(|e| e.code), Some(28001));
        assert!(sip(2999).is_none());
    }

    #[test]
    fn unknown_codes_are_shown_raw() {
        assert_eq!(
            describe(2999, false),
            "2999: an uncatalogued code of User Services (presence)"
        );
        assert!(describe(99_999, false).starts_with("99999: "));
        assert!(describe(4003, false).contains("outside"));
    }
}
