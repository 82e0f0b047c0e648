//! Every cause code the rules can give, with its step and a one-line meaning.
//!
//! The codes are part of the JSON contract (see `docs/diagnose.md`, which documents each with
//! its status and remedy). Renaming one needs a schema version bump in sfb-trace.

use sfb_trace::{CauseCode, EvidenceId, Status, Step, StepVerdict};

use Step::{
    Authentication as A, Connectivity as C, Discovery as D, Redirection as R, Settings as S,
};

/// `(cause code, step, meaning)` for every verdict [`crate::diagnose`] can give.
pub const CAUSES: &[(&str, Step, &str)] = &[
    // Discovery
    (
        "discovery.ok",
        D,
        "DNS (or autodiscover) named servers for the SIP domain",
    ),
    (
        "discovery.manual_server",
        D,
        "no discovery ran: the server was given by hand",
    ),
    (
        "discovery.no_evidence",
        D,
        "the trace holds no evidence at all",
    ),
    (
        "discovery.no_records",
        D,
        "no autodiscover, SRV or A record exists for the SIP domain",
    ),
    (
        "discovery.dns_failure",
        D,
        "the DNS server did not answer (timeout, SERVFAIL, refused)",
    ),
    (
        "discovery.strict_naming",
        D,
        "an SRV record points outside the SIP domain",
    ),
    (
        "discovery.srv_weights",
        D,
        "SRV priorities or weights are unusual (fragile balancing)",
    ),
    (
        "discovery.autodiscover_http_only",
        D,
        "autodiscover answers over HTTP only, not HTTPS",
    ),
    (
        "discovery.webticket_rejected",
        D,
        "the WebTicket service refused (X-Ms-diagnostics 28xxx)",
    ),
    // Connectivity
    (
        "connectivity.ok",
        C,
        "TLS works on every address of the first server",
    ),
    (
        "connectivity.skipped",
        C,
        "not run: discovery found no server",
    ),
    (
        "connectivity.no_address",
        C,
        "no candidate server had an address",
    ),
    (
        "connectivity.pool_member_down",
        C,
        "the server answers, but not on every pool address",
    ),
    (
        "connectivity.fallback_used",
        C,
        "an earlier candidate failed; a later one works",
    ),
    ("tcp.refused", C, "every address refused the TCP connection"),
    (
        "tcp.timeout",
        C,
        "no address answered the TCP connection in time",
    ),
    ("tcp.unreachable", C, "no route to the server's addresses"),
    (
        "tcp.error",
        C,
        "TCP failed for another reason (see the OS error)",
    ),
    (
        "tls.untrusted_root",
        C,
        "the certificate chains to a root this machine does not trust",
    ),
    (
        "tls.incomplete_chain",
        C,
        "the server does not send its intermediate certificate",
    ),
    (
        "tls.name_mismatch",
        C,
        "the certificate does not name the host connected to",
    ),
    ("tls.expired", C, "the server certificate has expired"),
    (
        "tls.not_yet_valid",
        C,
        "the server certificate is not valid yet (often a wrong clock)",
    ),
    (
        "tls.no_server_auth_usage",
        C,
        "the certificate lacks the Server Authentication EKU",
    ),
    (
        "tls.bad_certificate",
        C,
        "the certificate was rejected for another reason",
    ),
    (
        "tls.handshake",
        C,
        "the TLS handshake failed before the certificate",
    ),
    (
        "tls.legacy_only",
        C,
        "the server speaks only TLS 1.0/1.1 or legacy cipher suites",
    ),
    (
        "tls.expiring_soon",
        C,
        "the server certificate expires within 30 days",
    ),
    // Authentication
    (
        "auth.ok",
        A,
        "the registrar authenticated and registered the user",
    ),
    ("auth.skipped", A, "not run: no server could be reached"),
    ("auth.not_run", A, "the trace holds no SIP exchange"),
    (
        "auth.not_attempted",
        A,
        "--no-auth: the first 401 was recorded, no credentials sent",
    ),
    (
        "auth.no_response",
        A,
        "REGISTER was sent and nothing came back",
    ),
    (
        "auth.no_usable_offer",
        A,
        "the registrar offers no scheme this client can use",
    ),
    (
        "auth.wrong_password",
        A,
        "the registrar rejected the password (final handshake failed)",
    ),
    (
        "auth.ad_account_disabled",
        A,
        "the Active Directory account is disabled",
    ),
    (
        "auth.sfb_user_disabled",
        A,
        "the user is disabled for Skype for Business",
    ),
    (
        "auth.not_sip_enabled",
        A,
        "the user is not enabled for SIP or does not exist (4005)",
    ),
    (
        "auth.user_not_found",
        A,
        "the user does not exist at this hop (1003, 4007)",
    ),
    (
        "auth.user_not_in_pool",
        A,
        "the user is not homed on this pool (4006)",
    ),
    (
        "auth.credentials_mismatch",
        A,
        "the credentials do not belong to this SIP URI (4004)",
    ),
    (
        "auth.remote_access_disabled",
        A,
        "the user may not sign in from outside (4003)",
    ),
    (
        "auth.next_hop_down",
        A,
        "a hop (usually the Edge) cannot reach the next server (504)",
    ),
    (
        "auth.client_version_blocked",
        A,
        "the client version policy blocks this client",
    ),
    (
        "auth.client_bug",
        A,
        "the registrar says our REGISTER is malformed",
    ),
    (
        "auth.clock_skew",
        A,
        "the clocks differ beyond Kerberos tolerance",
    ),
    (
        "auth.clock_drift",
        A,
        "the server's Date differs from the local clock by over 5 minutes",
    ),
    (
        "auth.kerberos_spn_missing",
        A,
        "the KDC knows no service principal for the registrar",
    ),
    (
        "auth.kerberos_failed",
        A,
        "Kerberos failed for another reason (see the KRB error)",
    ),
    (
        "auth.kerberos_fell_back_to_ntlm",
        A,
        "Kerberos was offered and failed; NTLM worked",
    ),
    (
        "auth.bad_server_signature",
        A,
        "the registrar's signature did not verify",
    ),
    (
        "auth.unsigned_error_response",
        A,
        "an error response after the SA was not signed",
    ),
    (
        "auth.webticket_rejected",
        A,
        "the WebTicket service refused (X-Ms-diagnostics 28xxx)",
    ),
    (
        "auth.rejected",
        A,
        "the registrar refused the REGISTER for a reason not catalogued",
    ),
    // Redirection
    (
        "redirect.none",
        R,
        "no redirect: the first registrar is the home pool",
    ),
    (
        "redirect.ok",
        R,
        "redirected to the home pool, which registered the user",
    ),
    ("redirect.skipped", R, "not run: an earlier step failed"),
    ("redirect.loop", R, "the registrars redirect in a loop"),
    ("redirect.bad_contact", R, "a 301 without a usable Contact"),
    (
        "redirect.not_followed",
        R,
        "a redirect was received and not followed",
    ),
    (
        "redirect.home_pool_unreachable",
        R,
        "the home pool named by the 301 cannot be reached",
    ),
    (
        "redirect.backup_registrar",
        R,
        "registered at a backup registrar (limited functionality)",
    ),
    // Settings
    (
        "settings.ok",
        S,
        "in-band provisioning and the first subscriptions succeeded",
    ),
    ("settings.skipped", S, "not run: an earlier step failed"),
    ("settings.not_run", S, "the trace holds no settings request"),
    (
        "settings.provisioning_failed",
        S,
        "in-band provisioning (provisioning v2) failed",
    ),
    (
        "settings.request_failed",
        S,
        "a settings request other than provisioning failed",
    ),
];

/// The step a cause code belongs to, if it is one of [`CAUSES`].
pub fn step_of(code: &str) -> Option<Step> {
    CAUSES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, s, _)| *s)
}

/// Builds a verdict for a code of [`CAUSES`] (checked in debug builds and by the table test).
pub(crate) fn verdict(
    cause: &'static str,
    status: Status,
    sentence: String,
    remedy: Option<String>,
    mut evidence: Vec<EvidenceId>,
) -> StepVerdict {
    let step = step_of(cause);
    debug_assert!(step.is_some(), "cause {cause} missing from CAUSES");
    evidence.sort_unstable();
    evidence.dedup();
    StepVerdict {
        step: step.unwrap_or(Step::Discovery),
        status,
        cause: CauseCode::from_static(cause),
        sentence,
        remedy,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_code_is_well_formed_and_unique() {
        for (i, (code, _, meaning)) in CAUSES.iter().enumerate() {
            assert!(CauseCode::new(code).is_some(), "{code}");
            assert!(code.contains('.'), "{code} has no prefix");
            assert!(!meaning.is_empty());
            assert!(
                CAUSES[..i].iter().all(|(c, _, _)| c != code),
                "{code} twice"
            );
        }
        assert_eq!(step_of("tls.expired"), Some(Step::Connectivity));
        assert_eq!(step_of("nope.x"), None);
    }

    #[test]
    fn every_cause_code_is_documented() {
        let doc = include_str!("../../../docs/diagnose.md");
        for (code, _, _) in CAUSES {
            assert!(
                doc.contains(&format!("`{code}`")),
                "{code} not in docs/diagnose.md"
            );
        }
    }
}
