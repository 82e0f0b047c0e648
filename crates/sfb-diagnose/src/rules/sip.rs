//! Authentication, Redirection and Settings: the SIP exchange (protocol.md §3, §5, §6, §7.4).
//!
//! The exchange is cut into legs at each received 301/302 to a REGISTER; the decisive REGISTER
//! response is the last final one. Authentication judges it (success, `--no-auth`, a refused
//! credential, a registrar's refusal read through the [`crate::catalogue`]); Redirection judges
//! the 3xx chain (loops, a missing Contact, an unreachable home pool) and the registrar that
//! accepted (a backup registrar warns); Settings judges the requests sent after the
//! registration (provisioning v2 failing fails, other requests failing warn).

use sfb_trace::{AuthProtocol, AuthTokenEvidence, EvidenceId, Status, Step, StepVerdict};

use super::connectivity::{self, targets};
use super::list;
use crate::causes::verdict;
use crate::facts::{Diag, Sip, clip, read_http_diag};
use crate::{Ctx, catalogue, is_redirect};

/// Clock difference beyond which Kerberos fails (the default maximum tolerance, 5 minutes).
const SKEW_MS: i64 = 5 * 60 * 1000;

/// How the registration ended, for the later steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A 2xx to REGISTER.
    Registered,
    /// Authenticated, then redirected, and no registration followed.
    Redirected,
    /// Not attempted or not run.
    NotDone,
    /// Failed.
    Failed,
}

pub(crate) fn judge(ctx: &Ctx<'_>, connectivity_ok: bool) -> Vec<StepVerdict> {
    let (mut out, outcome) = authentication(ctx, connectivity_ok);
    out.extend(redirection(ctx, outcome));
    out.extend(settings(ctx, outcome));
    out
}

fn is_reg_related(s: &Sip) -> bool {
    s.is_register() || (!s.sent && s.is_register_response())
}

fn leg(ctx: &Ctx<'_>, id: EvidenceId) -> usize {
    ctx.leg(id)
}

/// The largest difference between a received `Date` and the local receive time, ms, signed
/// (positive: the server is ahead), with the message.
fn skew<'c>(ctx: &'c Ctx<'_>) -> Option<(i64, &'c Sip)> {
    ctx.sip
        .iter()
        .filter(|s| !s.sent)
        .filter_map(|s| {
            let d = s.date?.unix_ms().checked_sub(s.at?.unix_ms())?;
            Some((d, s))
        })
        .max_by_key(|(d, _)| d.unsigned_abs())
}

fn minutes(ms: i64) -> String {
    let m = ms.unsigned_abs() / 60_000;
    let dir = if ms >= 0 { "ahead of" } else { "behind" };
    format!("{m} minutes {dir}")
}

fn field<'a>(t: &'a AuthTokenEvidence, name: &str) -> Option<&'a str> {
    t.fields.get(name).map(String::as_str)
}

/// Who the registrar is: the targetname of an offer, else the Server header and the peer.
fn registrar(s: &Sip, ctx: &Ctx<'_>) -> String {
    ctx.sip
        .iter()
        .filter(|m| !m.sent && m.id <= s.id)
        .rev()
        .find_map(|m| m.offers.iter().find_map(|o| o.targetname.clone()))
        .unwrap_or_else(|| match &s.server {
            Some(server) => format!("{} ({server})", s.peer),
            None => s.peer.clone(),
        })
}

/// The hop that said it: the diagnostic's source, else the registrar.
fn hop(s: &Sip, d: Option<&Diag>, ctx: &Ctx<'_>) -> String {
    d.and_then(|d| d.source.clone())
        .unwrap_or_else(|| registrar(s, ctx))
}

fn diag_words(s: &Sip) -> String {
    if s.diags.is_empty() {
        return "no ms-diagnostics".to_owned();
    }
    let w: Vec<String> = s
        .diags
        .iter()
        .map(|d| format!("{} [{}]", d.words(), catalogue::describe(d.code, false)))
        .collect();
    format!("ms-diagnostics {}", w.join("; "))
}

/// "CONTOSO\alice (workstation PC1)" from the last NTLM authenticate, or the Kerberos realm.
fn who(ctx: &Ctx<'_>) -> Option<String> {
    ctx.tokens.iter().rev().find_map(|(_, t)| match t.protocol {
        AuthProtocol::Ntlm if t.message_type == "authenticate" => {
            let user = clip(field(t, "user").unwrap_or("?"));
            let mut s = match field(t, "domain").filter(|d| !d.is_empty()) {
                Some(d) => format!("{}\\{user}", clip(d)),
                None => user,
            };
            if let Some(w) = field(t, "workstation").filter(|w| !w.is_empty()) {
                s.push_str(&format!(" (workstation {})", clip(w)));
            }
            Some(s)
        }
        AuthProtocol::Kerberos if t.message_type == "ap_req" => Some(format!(
            "a Kerberos ticket of realm {} for {}",
            clip(field(t, "realm").unwrap_or("?")),
            clip(field(t, "sname").unwrap_or("?"))
        )),
        _ => None,
    })
}

fn known_scheme(s: &str) -> bool {
    ["ntlm", "kerberos", "tls-dsk"].contains(&s.to_ascii_lowercase().as_str())
}

fn offers_words(s: &Sip) -> String {
    let w: Vec<String> = s
        .offers
        .iter()
        .map(|o| {
            let mut x = o.scheme.clone();
            if let Some(t) = &o.targetname {
                x.push_str(&format!(" (targetname {t})"));
            }
            x
        })
        .collect();
    let realm = s
        .offers
        .iter()
        .find_map(|o| o.realm.clone())
        .map(|r| format!(", realm \"{r}\""))
        .unwrap_or_default();
    let sts = s
        .offers
        .iter()
        .find_map(|o| o.sts_uri.clone())
        .map(|u| format!(", sts-uri {u}"))
        .unwrap_or_default();
    format!("{}{realm}{sts}", list(&w, 6))
}

fn authentication(ctx: &Ctx<'_>, connectivity_ok: bool) -> (Vec<StepVerdict>, Outcome) {
    let mut out = Vec::new();
    // WebTicket refusals while authenticating (TLS-DSK certificate provisioning).
    for (id, h, step) in &ctx.http {
        if *step != Some(Step::Authentication) {
            continue;
        }
        if let Some(d) = h
            .headers
            .iter()
            .take(64)
            .filter(|(n, _)| n.eq_ignore_ascii_case("x-ms-diagnostics"))
            .find_map(|(_, v)| read_http_diag(v))
        {
            let remedy = catalogue::webticket(d.code)
                .map_or("Read the reason and the Front End's event log.", |e| {
                    e.remedy
                });
            out.push(verdict(
                "auth.webticket_rejected",
                Status::Fail,
                format!(
                    "The WebTicket service at {} refused: X-Ms-diagnostics {} ({}).",
                    clip(&h.url),
                    d.words(),
                    catalogue::describe(d.code, true)
                ),
                Some(remedy.to_owned()),
                vec![*id],
            ));
            return (out, Outcome::Failed);
        }
    }
    // A REGISTER routed through the Access Edge after a 301 that its next hop could not
    // deliver belongs to the Redirection step: the authentication it follows succeeded.
    let unreachable = routed_unreachable(ctx).map(|(req, resp)| [req.id, resp.id]);
    let regs: Vec<&Sip> = ctx
        .sip
        .iter()
        .filter(|s| is_reg_related(s))
        .filter(|s| !unreachable.is_some_and(|ids| ids.contains(&s.id)))
        .collect();
    if regs.is_empty() {
        let v = if connectivity_ok {
            verdict(
                "auth.not_run",
                Status::Skipped,
                "No SIP exchange was recorded after the connection was made.".to_owned(),
                None,
                Vec::new(),
            )
        } else {
            verdict(
                "auth.skipped",
                Status::Skipped,
                "Not run: no server could be reached.".to_owned(),
                None,
                Vec::new(),
            )
        };
        return (vec![v], Outcome::NotDone);
    }
    if let Some(v) = ctx
        .prior(Step::Authentication, "signature")
        .or_else(|| ctx.prior(Step::Redirection, "signature"))
        .or_else(|| ctx.prior(Step::Settings, "signature"))
        .filter(|v| v.status == Status::Fail)
    {
        let last = regs
            .iter()
            .rev()
            .find(|s| !s.sent)
            .copied()
            .unwrap_or(regs[0]);
        let mut evidence = v.evidence.clone();
        evidence.push(last.id);
        out.push(verdict(
            "auth.bad_server_signature",
            Status::Fail,
            format!(
                "The signature of a message from {} did not verify ({}); the sign-in was stopped.",
                registrar(last, ctx),
                clip(&v.sentence)
            ),
            Some("Look for a device rewriting SIP on the path (SIP ALG, load balancer re-encrypting); check the registrar's certificate and time; report it with the trace.".to_owned()),
            evidence,
        ));
        return (out, Outcome::Failed);
    }
    let finals: Vec<&Sip> = regs
        .iter()
        .filter(|s| !s.sent && s.status.is_some_and(|c| c >= 200))
        .copied()
        .collect();
    let last_sent = regs.iter().rev().find(|s| s.sent).copied();
    let Some(last) = finals.last().copied() else {
        let s = last_sent.unwrap_or(regs[0]);
        out.push(verdict(
            "auth.no_response",
            Status::Fail,
            format!("REGISTER was sent to {} and no final answer came back.", s.peer),
            Some("Check that the server is a Skype for Business registrar or Edge and that nothing on the path drops SIP (a proxy, a firewall inspecting TLS).".to_owned()),
            vec![s.id],
        ));
        return (out, Outcome::Failed);
    };
    if let Some(s) = last_sent.filter(|s| s.id > last.id) {
        // Our last REGISTER went unanswered (after an earlier final answer).
        out.push(verdict(
            "auth.no_response",
            Status::Fail,
            format!(
                "The REGISTER sent to {} after {} got no answer.",
                s.peer,
                last.status_words()
            ),
            Some("Check the registrar's health and what drops SIP on the path.".to_owned()),
            vec![last.id, s.id],
        ));
        return (out, Outcome::Failed);
    }
    let sent_auth: Vec<&Sip> = regs
        .iter()
        .filter(|s| s.sent && !s.authorizations.is_empty())
        .copied()
        .collect();
    let skew = skew(ctx);
    let drift = skew.filter(|(d, _)| d.abs() > SKEW_MS);
    let status = last.status.unwrap_or(0);
    let outcome = match status {
        200..=299 => {
            out.push(success(ctx, last, &sent_auth, false));
            out.extend(kerberos_fallback(ctx, &sent_auth));
            Outcome::Registered
        }
        301 | 302 => {
            out.push(success(ctx, last, &sent_auth, true));
            out.extend(kerberos_fallback(ctx, &sent_auth));
            Outcome::Redirected
        }
        401 | 407 if sent_auth.is_empty() => {
            out.push(no_credentials(ctx, last));
            if out.iter().any(|v| v.status == Status::Fail) {
                Outcome::Failed
            } else {
                Outcome::NotDone
            }
        }
        401 | 407 => {
            out.push(credentials_refused(ctx, last, &sent_auth, drift));
            Outcome::Failed
        }
        _ => {
            out.push(refused(ctx, last, &regs));
            Outcome::Failed
        }
    };
    if let Some((d, s)) = drift
        && !out.iter().any(|v| v.cause.as_str() == "auth.clock_skew")
    {
        out.push(verdict(
            "auth.clock_drift",
            Status::Warn,
            format!(
                "The Date of {}'s {} is {} this machine's clock: Kerberos fails beyond 5 minutes.",
                registrar(s, ctx),
                s.status_words(),
                minutes(d)
            ),
            Some(
                "Synchronise this machine's clock (and the server's) with the domain time source."
                    .to_owned(),
            ),
            vec![s.id],
        ));
    }
    out.extend(unsigned_errors(ctx));
    (out, outcome)
}

fn scheme_used(sent_auth: &[&Sip]) -> String {
    sent_auth
        .last()
        .and_then(|s| s.authorizations.first())
        .cloned()
        .unwrap_or_else(|| "no credentials".to_owned())
}

fn success(ctx: &Ctx<'_>, last: &Sip, sent_auth: &[&Sip], redirected: bool) -> StepVerdict {
    let scheme = scheme_used(sent_auth);
    let reg = registrar(last, ctx);
    let signed = if last.signed { "signed" } else { "unsigned" };
    let sentence = if redirected {
        let to = last
            .contacts
            .first()
            .cloned()
            .unwrap_or_else(|| "?".to_owned());
        if sent_auth.is_empty() {
            format!(
                "{reg} redirected to {to} before any authentication ({signed} {}).",
                last.status_words()
            )
        } else {
            format!(
                "{reg} authenticated the user ({scheme}) and redirected to {to} ({signed} {}).",
                last.status_words()
            )
        }
    } else {
        format!(
            "{reg} registered the user ({scheme}, {signed} {}).",
            last.status_words()
        )
    };
    let mut ids: Vec<EvidenceId> = sent_auth.iter().map(|s| s.id).collect();
    ids.push(last.id);
    verdict("auth.ok", Status::Pass, sentence, None, ids)
}

/// Kerberos offered and tried, then NTLM used successfully: it works, but Kerberos is broken.
fn kerberos_fallback(ctx: &Ctx<'_>, sent_auth: &[&Sip]) -> Option<StepVerdict> {
    let kerberos: Vec<&&Sip> = sent_auth
        .iter()
        .filter(|s| {
            s.authorizations
                .iter()
                .any(|a| a.eq_ignore_ascii_case("kerberos"))
        })
        .collect();
    let last_scheme = scheme_used(sent_auth);
    // No ticket at all (a missing SPN, an unreachable KDC): the session says so in a
    // `kerberos` fact, and no Kerberos token ever left the client.
    let no_ticket = ctx.facts.iter().rev().find_map(|(id, f)| {
        (f.source == "kerberos")
            .then(|| f.fields.get("error").map(|e| (*id, clip(e))))
            .flatten()
    });
    if (kerberos.is_empty() && no_ticket.is_none()) || !last_scheme.eq_ignore_ascii_case("ntlm") {
        return None;
    }
    let err = krb_error(ctx);
    let why = err
        .map(|(_, t)| {
            format!(
                " (KRB error {} {})",
                clip(field(t, "error_code").unwrap_or("?")),
                clip(field(t, "error_name").unwrap_or(""))
            )
        })
        .or_else(|| no_ticket.as_ref().map(|(_, e)| format!(" ({e})")))
        .unwrap_or_default();
    let mut ids: Vec<EvidenceId> = kerberos.iter().map(|s| s.id).collect();
    ids.extend(err.map(|(id, _)| id));
    ids.extend(no_ticket.map(|(id, _)| id));
    Some(verdict(
        "auth.kerberos_fell_back_to_ntlm",
        Status::Warn,
        format!("Kerberos was offered and failed{why}; the client fell back to NTLM, which worked. Users sign in, silently without Kerberos."),
        Some("Fix Kerberos: check the registrar's SPN (sip/<pool FQDN>) and its account's keys (Set-CsKerberosAccountPassword), and the clocks.".to_owned()),
        ids,
    ))
}

fn krb_error<'a>(ctx: &Ctx<'a>) -> Option<(EvidenceId, &'a AuthTokenEvidence)> {
    ctx.tokens
        .iter()
        .rev()
        .find(|(_, t)| t.protocol == AuthProtocol::Kerberos && t.message_type == "krb_error")
        .map(|(id, t)| (*id, *t))
}

/// A 401 and no credentials sent: `--no-auth`, nothing usable offered, or no Kerberos ticket
/// could be had (the session's `kerberos` fact says why; no token ever left the client).
fn no_credentials(ctx: &Ctx<'_>, last: &Sip) -> StepVerdict {
    let reg = registrar(last, ctx);
    if let Some((id, error)) = ctx.facts.iter().rev().find_map(|(id, f)| {
        (f.source == "kerberos")
            .then(|| f.fields.get("error").map(|e| (*id, clip(e))))
            .flatten()
    }) {
        let lower = error.to_ascii_lowercase();
        if lower.contains("service principal") || lower.contains("s_principal_unknown") {
            return verdict(
                "auth.kerberos_spn_missing",
                Status::Fail,
                format!("No Kerberos ticket could be had for {reg}: {error}."),
                Some("Register the pool's sip/<pool FQDN> SPN on its Kerberos account (Set-CsKerberosAccountAssignment, setspn -S), once, then test again.".to_owned()),
                vec![id, last.id],
            );
        }
        return verdict(
            "auth.kerberos_failed",
            Status::Fail,
            format!("No Kerberos ticket could be had for {reg}: {error}."),
            Some("Check the KDC (--kdc, or the _kerberos._tcp SRV records), the realm (--realm), the clocks and the password.".to_owned()),
            vec![id, last.id],
        );
    }
    let offers = offers_words(last);
    let known = last.offers.iter().any(|o| known_scheme(&o.scheme));
    let refused = ctx.prior(Step::Authentication, "offer");
    if !known || refused.is_some() {
        let why = refused
            .map(|v| format!(" ({})", clip(&v.sentence)))
            .unwrap_or_default();
        return verdict(
            "auth.no_usable_offer",
            Status::Fail,
            format!("{reg} offers no authentication scheme this client can use: {offers}{why}."),
            Some("Enable NTLM (or the scheme the clients use) on the registrar or Edge; Kerberos is usable only inside the network, with a KDC in reach.".to_owned()),
            vec![last.id],
        );
    }
    let kerberos_only = last
        .offers
        .iter()
        .all(|o| o.scheme.eq_ignore_ascii_case("kerberos"));
    let note = if kerberos_only {
        " Only Kerberos is offered: a client outside the network (no domain controller in reach) cannot sign in."
    } else {
        ""
    };
    let server = last
        .server
        .as_deref()
        .map(|s| format!(" Server: {s}."))
        .unwrap_or_default();
    verdict(
        "auth.not_attempted",
        Status::Skipped,
        format!(
            "Not attempted (no credentials): {reg} answered {} offering {offers}.{server}{note}",
            last.status_words()
        ),
        Some(
            "Run again with credentials (--user and a password source) to test the sign-in itself."
                .to_owned(),
        ),
        vec![last.id],
    )
}

/// A 401 after credentials were sent.
fn credentials_refused(
    ctx: &Ctx<'_>,
    last: &Sip,
    sent_auth: &[&Sip],
    drift: Option<(i64, &Sip)>,
) -> StepVerdict {
    let reg = registrar(last, ctx);
    let d = last.main_diag();
    let diag = diag_words(last);
    let mut ids: Vec<EvidenceId> = sent_auth.iter().map(|s| s.id).collect();
    ids.push(last.id);
    let scheme = scheme_used(sent_auth);
    let kerberos = scheme.eq_ignore_ascii_case("kerberos");
    let err = krb_error(ctx);
    ids.extend(err.map(|(id, _)| id));
    let err_code = err
        .and_then(|(_, t)| field(t, "error_code"))
        .and_then(|c| c.trim().parse::<i64>().ok());
    let err_name = err
        .and_then(|(_, t)| field(t, "error_name"))
        .unwrap_or("")
        .to_ascii_uppercase();
    let ticket = ctx
        .tokens
        .iter()
        .rev()
        .find(|(_, t)| t.protocol == AuthProtocol::Kerberos && t.message_type == "ap_req")
        .map(|(_, t)| *t);
    let sname = ticket
        .and_then(|t| field(t, "sname"))
        .or_else(|| err.and_then(|(_, t)| field(t, "sname")))
        .map(clip)
        .or_else(|| {
            last.offers
                .iter()
                .find(|o| o.scheme.eq_ignore_ascii_case("kerberos"))
                .and_then(|o| o.targetname.clone())
        })
        .unwrap_or_else(|| format!("sip/{reg}"));
    let skew_code = last.diags.iter().any(|x| x.code == 1013)
        || err_code == Some(37)
        || err_name.contains("SKEW");
    if skew_code || (kerberos && drift.is_some()) {
        let by = drift
            .map(|(ms, _)| {
                format!(
                    " The server's Date is {} this machine's clock.",
                    minutes(ms)
                )
            })
            .unwrap_or_default();
        ids.extend(drift.map(|(_, s)| s.id));
        return verdict(
            "auth.clock_skew",
            Status::Fail,
            format!("{reg} refused the {scheme} credentials because the clocks differ too much ({diag}).{by}"),
            Some("Synchronise this machine's clock (and the server's) with the domain time source; Kerberos tolerates 5 minutes.".to_owned()),
            ids,
        );
    }
    if err_code == Some(7) || err_name.contains("S_PRINCIPAL_UNKNOWN") {
        return verdict(
            "auth.kerberos_spn_missing",
            Status::Fail,
            format!(
                "The KDC knows no service principal {sname} (KDC_ERR_S_PRINCIPAL_UNKNOWN): no Kerberos ticket can be issued for {reg}."
            ),
            Some(format!(
                "Register the SPN {sname} on the pool's Kerberos account (Set-CsKerberosAccountAssignment, setspn -S), then test again."
            )),
            ids,
        );
    }
    if err_code == Some(18) || err_name.contains("CLIENT_REVOKED") {
        return verdict(
            "auth.ad_account_disabled",
            Status::Fail,
            format!(
                "The KDC says the account is disabled or locked (KDC_ERR_CLIENT_REVOKED) while signing in at {reg}."
            ),
            Some("Enable or unlock the user's Active Directory account.".to_owned()),
            ids,
        );
    }
    if kerberos {
        let krb = err
            .map(|(_, t)| {
                format!(
                    "KRB error {} {}",
                    clip(field(t, "error_code").unwrap_or("?")),
                    clip(field(t, "error_name").unwrap_or(""))
                )
            })
            .unwrap_or_else(|| "no KRB error recorded".to_owned());
        return verdict(
            "auth.kerberos_failed",
            Status::Fail,
            format!("{reg} refused the Kerberos ticket for {sname} ({krb}; {diag})."),
            Some("Check the SPN and the keys of the pool's Kerberos account (Test-CsKerberosAccountAssignment), and the clocks.".to_owned()),
            ids,
        );
    }
    let user = who(ctx).unwrap_or_else(|| "the user".to_owned());
    let ntlm_tokens = ctx
        .tokens
        .iter()
        .any(|(_, t)| t.protocol == AuthProtocol::Ntlm);
    let authenticated = ctx
        .tokens
        .iter()
        .any(|(_, t)| t.protocol == AuthProtocol::Ntlm && t.message_type == "authenticate");
    if ntlm_tokens && !authenticated {
        let why = ctx
            .prior(Step::Authentication, "")
            .map(|v| format!(" The client recorded: {}", clip(&v.sentence)))
            .unwrap_or_default();
        return verdict(
            "auth.rejected",
            Status::Fail,
            format!("The NTLM handshake with {reg} stopped after the server's challenge: no credentials were sent ({diag}).{why}"),
            Some("Read the client's reason (scheme selection, lockout safety); run again with --auth ntlm and a password source.".to_owned()),
            ids,
        );
    }
    if mentions_disabled(last) {
        return verdict(
            "auth.ad_account_disabled",
            Status::Fail,
            format!("{} refused the credentials of {user}: the Active Directory account is disabled ({diag}).", hop(last, d, ctx)),
            Some("Enable the user's account in Active Directory (a wrong password looks the same over NTLM: check the account first).".to_owned()),
            ids,
        );
    }
    verdict(
        "auth.wrong_password",
        Status::Fail,
        format!("{} refused the {scheme} credentials of {user} for {}: {} ({diag}).", hop(last, d, ctx), clip(&ctx.trace.target), last.status_words()),
        Some("Check the password and the login (DOMAIN\\user or UPN); if they are right, check that the Active Directory account is not disabled, locked or expired.".to_owned()),
        ids,
    )
}

fn text_of(s: &Sip) -> String {
    let mut t = s.phrase.clone();
    for d in &s.diags {
        t.push(' ');
        t.push_str(d.reason.as_deref().unwrap_or_default());
    }
    for w in &s.warnings {
        t.push(' ');
        t.push_str(w);
    }
    t.to_ascii_lowercase()
}

fn mentions_disabled(s: &Sip) -> bool {
    text_of(s).contains("disabled")
}

/// A final non-2xx, non-3xx, non-401 answer to REGISTER.
fn refused(ctx: &Ctx<'_>, last: &Sip, regs: &[&Sip]) -> StepVerdict {
    let d = last.main_diag();
    let diag = diag_words(last);
    let by = hop(last, d, ctx);
    let status = last.status_words();
    let target = clip(&ctx.trace.target);
    let ids = vec![last.id];
    let text = text_of(last);
    let authenticated = regs
        .iter()
        .any(|s| !s.sent && s.signed && s.id <= last.id && leg(ctx, s.id) == leg(ctx, last.id));
    // The catalogue's cause for the first catalogued code.
    let catalogued = last
        .diags
        .iter()
        .find_map(|x| catalogue::sip(x.code).and_then(|e| e.cause.map(|c| (x, e, c))));
    let specific = catalogued.is_some_and(|(_, _, c)| {
        !matches!(
            c,
            "auth.not_sip_enabled" | "auth.user_not_found" | "auth.user_not_in_pool"
        )
    });
    if text.contains("disabled") && !specific {
        let ad = text.contains("active directory")
            || text.contains("account is disabled")
            || last.diags.iter().any(|x| x.code == 1000);
        if ad && !authenticated {
            return verdict(
                "auth.ad_account_disabled",
                Status::Fail,
                format!(
                    "{by} refused {target}: the Active Directory account is disabled ({status}; {diag})."
                ),
                Some("Enable the user's account in Active Directory.".to_owned()),
                ids,
            );
        }
        return verdict(
            "auth.sfb_user_disabled",
            Status::Fail,
            format!("{by} authenticated the credentials but refused {target}: the user is disabled for Skype for Business ({status}; {diag})."),
            Some("Enable the user for Skype for Business (Set-CsUser -Enabled $true, or the Control Panel) and wait for replication.".to_owned()),
            ids,
        );
    }
    if let Some((x, e, cause)) = catalogued {
        let said = x.source.clone().unwrap_or_else(|| by.clone());
        let sentence = match cause {
            "auth.credentials_mismatch" => format!(
                "{said} says the credentials of {} are not authorized to act as {target} ({status}; {diag}).",
                who(ctx).unwrap_or_else(|| "the account used".to_owned())
            ),
            "auth.next_hop_down" => format!(
                "{said} could not reach its next hop{} ({status}; {diag}).",
                x.peer_server
                    .as_deref()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default(),
            ),
            "auth.client_version_blocked" => format!(
                "{said} blocks this client version ({status}; {diag}); the User-Agent sent was \"{}\".",
                user_agent(ctx)
            ),
            _ => format!("{said} refused {target}: {} ({status}; {diag}).", e.meaning),
        };
        return verdict(
            cause,
            Status::Fail,
            sentence,
            Some(e.remedy.to_owned()),
            ids,
        );
    }
    if last.diags.iter().any(|x| x.code == 1000) {
        return verdict(
            "auth.wrong_password",
            Status::Fail,
            format!("{by} refused the credentials of {} for {target} ({status}; {diag}).", who(ctx).unwrap_or_else(|| "the user".to_owned())),
            Some("Check the password and the login; then check that the Active Directory account is not disabled or locked.".to_owned()),
            ids,
        );
    }
    if last.status == Some(403) && text.contains("version") {
        return verdict(
            "auth.client_version_blocked",
            Status::Fail,
            format!(
                "{by} blocks this client version ({status}; {diag}); the User-Agent sent was \"{}\".",
                user_agent(ctx)
            ),
            Some(
                "Update the client, or allow its version in the client version policy.".to_owned(),
            ),
            ids,
        );
    }
    if last.status == Some(504) {
        return verdict(
            "auth.next_hop_down",
            Status::Fail,
            format!("{by} timed out reaching its next hop ({status}; {diag})."),
            Some("Check that the Director or pool behind the Edge is up and reachable from the Edge's internal interface.".to_owned()),
            ids,
        );
    }
    verdict(
        "auth.rejected",
        Status::Fail,
        format!("{by} answered REGISTER for {target} with {status} ({diag}; Server: {}).", last.server.as_deref().unwrap_or("not given")),
        Some("Look the code up in the Front End's event log and the catalogue in docs/diagnose.md; report the trace if it stays unexplained.".to_owned()),
        ids,
    )
}

fn user_agent(ctx: &Ctx<'_>) -> String {
    ctx.sip
        .iter()
        .rev()
        .find_map(|s| s.user_agent.clone().filter(|_| s.sent))
        .unwrap_or_else(|| "not recorded".to_owned())
}

/// Error answers to REGISTER without a signature after the registrar signed earlier ones.
fn unsigned_errors(ctx: &Ctx<'_>) -> Option<StepVerdict> {
    // The first signed message received in each leg.
    let mut first_signed: Vec<(usize, EvidenceId)> = Vec::new();
    for e in ctx.sip.iter().filter(|e| !e.sent && e.signed) {
        let l = leg(ctx, e.id);
        if !first_signed.iter().any(|(x, _)| *x == l) {
            first_signed.push((l, e.id));
        }
    }
    let bad: Vec<&Sip> = ctx
        .sip
        .iter()
        .filter(|s| !s.sent && s.is_register_response() && !s.signed)
        .filter(|s| s.status.is_some_and(|c| c >= 400 && c != 401 && c != 407))
        .filter(|s| {
            first_signed
                .iter()
                .any(|(l, id)| *l == leg(ctx, s.id) && *id < s.id)
        })
        .collect();
    let first = bad.first()?;
    let words: Vec<String> = bad.iter().map(|s| s.status_words()).collect();
    Some(verdict(
        "auth.unsigned_error_response",
        Status::Warn,
        format!("{} sent {} without a signature after the security association was set up: anyone on the path could have forged it.", registrar(first, ctx), list(&words, 4)),
        Some("Expected from some Edge refusals; otherwise check what sits between the client and the registrar.".to_owned()),
        bad.iter().map(|s| s.id).collect(),
    ))
}

fn host_of(hostport: &str) -> String {
    let h = if let Some(rest) = hostport.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        hostport.split(':').next().unwrap_or_default()
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// Behind an Access Edge a remote client stays on the Edge connection after a 301 and routes
/// its next REGISTER to the Contact (`Route`). A 408, 480 or 5xx to that REGISTER, before any
/// credentials were sent to the new registrar, is the Edge's side failing to reach the target:
/// the routed REGISTER and its answer.
fn routed_unreachable<'c>(ctx: &'c Ctx<'_>) -> Option<(&'c Sip, &'c Sip)> {
    let redirect = ctx
        .sip
        .iter()
        .rev()
        .find(|s| !s.sent && s.is_register_response() && is_redirect(s))?;
    let to = host_of(redirect.contacts.first()?);
    let req = ctx
        .sip
        .iter()
        .find(|s| s.id > redirect.id && s.is_register() && s.routes.contains(&to))?;
    let resp = ctx.sip.iter().find(|s| {
        s.id > req.id
            && !s.sent
            && s.is_register_response()
            && s.call_id == req.call_id
            && s.cseq == req.cseq
    })?;
    let status = resp.status?;
    (matches!(status, 408 | 480 | 500..=599) && req.authorizations.is_empty())
        .then_some((req, resp))
}

/// `host:port` for a SIP peer (`ip:port`), from the TCP connection made to it; else the peer.
fn peer_name(ctx: &Ctx<'_>, peer: &str) -> String {
    ctx.tcp
        .iter()
        .map(|(_, t)| t)
        .find(|t| std::net::SocketAddr::new(t.address, t.port).to_string() == peer)
        .map_or_else(
            || peer.to_owned(),
            |t| format!("{}:{}", clip(&t.host), t.port),
        )
}

fn redirection(ctx: &Ctx<'_>, outcome: Outcome) -> Vec<StepVerdict> {
    let redirects: Vec<&Sip> = ctx
        .sip
        .iter()
        .filter(|s| !s.sent && s.is_register_response() && is_redirect(s))
        .collect();
    // The first 2xx to a REGISTER is the registration (later ones: re-REGISTER, un-REGISTER).
    let registered_at = ctx.sip.iter().find(|s| {
        !s.sent && s.is_register_response() && s.status.is_some_and(|c| (200..300).contains(&c))
    });
    let mut out = Vec::new();
    let Some(last) = redirects.last() else {
        if outcome == Outcome::Registered
            && let Some(r) = registered_at
        {
            out.push(verdict(
                "redirect.none",
                Status::Pass,
                format!(
                    "No redirect: {} is the user's registrar.",
                    registrar(r, ctx)
                ),
                None,
                vec![r.id],
            ));
            out.extend(backup(ctx, r));
        } else {
            out.push(skipped("redirect.skipped"));
        }
        return out;
    };
    if let Some(bad) = redirects.iter().find(|r| r.contacts.is_empty()) {
        out.push(verdict(
            "redirect.bad_contact",
            Status::Fail,
            format!(
                "{} redirected ({}) without a usable Contact: there is nowhere to go.",
                registrar(bad, ctx),
                bad.status_words()
            ),
            Some(
                "Check the user's home pool assignment and the Director's configuration."
                    .to_owned(),
            ),
            vec![bad.id],
        ));
        return out;
    }
    let to = last.contacts[0].clone();
    let by = registrar(last, ctx);
    if let Some(r) = registered_at.filter(|r| r.id > last.id) {
        out.push(verdict(
            "redirect.ok",
            Status::Pass,
            format!("{by} redirected to {to}, which registered the user."),
            None,
            vec![last.id, r.id],
        ));
        out.extend(backup(ctx, r));
        return out;
    }
    // The chain of registrars: the first leg's host, then each Contact.
    let first_host = targets(ctx, |id| ctx.first_leg(id))
        .into_iter()
        .find(|t| t.attempts.iter().any(connectivity::Attempt::works))
        .map(|t| t.host.to_ascii_lowercase());
    let mut chain: Vec<String> = first_host.into_iter().collect();
    let mut looped = redirects.len() > 5;
    for r in &redirects {
        let h = host_of(&r.contacts[0]);
        looped |= chain.contains(&h);
        chain.push(h);
    }
    if looped {
        out.push(verdict(
            "redirect.loop",
            Status::Fail,
            format!("The registrars redirect in a loop: {}.", chain.join(" -> ")),
            Some("Fix the user's home pool assignment (Get-CsUser RegistrarPool) and the pools' Director/registrar settings so the chain ends at the home pool.".to_owned()),
            redirects.iter().map(|r| r.id).collect(),
        ));
        return out;
    }
    if let Some((req, resp)) = routed_unreachable(ctx).filter(|(req, _)| req.id > last.id) {
        out.push(verdict(
            "redirect.home_pool_unreachable",
            Status::Fail,
            format!(
                "{by} redirected to the home pool {to}; the client stayed on the Access Edge ({}) as a remote client does, and the home pool could not be reached behind it: {} ({}).",
                peer_name(ctx, &req.peer),
                resp.status_words(),
                diag_words(resp)
            ),
            Some("Check that the user's home pool is up and that the Edge's next hop (the Director or pool) reaches it on 5061; Get-CsUser shows the RegistrarPool.".to_owned()),
            vec![last.id, req.id, resp.id],
        ));
        return out;
    }
    let after = targets(ctx, |id| id > last.id);
    if !after.is_empty()
        && !after
            .iter()
            .any(|t| t.attempts.iter().any(connectivity::Attempt::works))
    {
        let f = connectivity::failure(&after);
        let mut ids = f.evidence.clone();
        ids.push(last.id);
        out.push(verdict(
            "redirect.home_pool_unreachable",
            Status::Fail,
            format!(
                "{by} redirected to the home pool {to}, which cannot be reached ({}): {}",
                f.cause, f.sentence
            ),
            f.remedy.clone(),
            ids,
        ));
        return out;
    }
    let sip_after = ctx.sip.iter().any(|s| s.id > last.id);
    if after.is_empty() && !sip_after {
        out.push(verdict(
            "redirect.not_followed",
            Status::Fail,
            format!("{by} redirected to {to} and the redirect was not followed (nothing was recorded after it)."),
            Some("Check the client's log for why it stopped (a redirect limit, an untrusted target); run again with the home pool as the server.".to_owned()),
            vec![last.id],
        ));
        return out;
    }
    out.push(verdict(
        "redirect.ok",
        Status::Pass,
        format!(
            "{by} redirected to {to}, which was reached (see Authentication for what it answered)."
        ),
        None,
        vec![last.id],
    ));
    out
}

/// Registered at a backup registrar: a warning (resiliency mode: limited functionality).
fn backup(ctx: &Ctx<'_>, r: &Sip) -> Option<StepVerdict> {
    let text = text_of(r);
    let ps = r
        .presence_state
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(' ', "");
    let hit = ["backup", "resilien", "survivab", "limited functionality"]
        .iter()
        .any(|k| text.contains(k))
        || ps.contains("is-connected-to-primary=\"no\"")
        || ps.contains("is-connected-to-primary=no");
    if !hit {
        return None;
    }
    let why = r
        .main_diag()
        .map(|d| d.words())
        .or_else(|| {
            r.presence_state
                .clone()
                .map(|p| format!("presence-state: {p}"))
        })
        .unwrap_or_default();
    Some(verdict(
        "redirect.backup_registrar",
        Status::Warn,
        format!(
            "{} registered the user as a backup registrar ({why}): the home pool is unavailable, some features (contacts, conferencing, presence changes) are limited.",
            registrar(r, ctx)
        ),
        Some("Bring the user's home pool back (or fail it over) and check its health.".to_owned()),
        vec![r.id],
    ))
}

fn skipped(cause: &'static str) -> StepVerdict {
    verdict(
        cause,
        Status::Skipped,
        "Not run: an earlier step did not succeed.".to_owned(),
        None,
        Vec::new(),
    )
}

fn settings(ctx: &Ctx<'_>, outcome: Outcome) -> Vec<StepVerdict> {
    if outcome != Outcome::Registered {
        return vec![skipped("settings.skipped")];
    }
    // The first 2xx to a REGISTER is the registration; a later one is a re-REGISTER or the
    // un-REGISTER that ends every run, after which nothing is asked.
    let Some(reg) = ctx.sip.iter().find(|s| {
        !s.sent && s.is_register_response() && s.status.is_some_and(|c| (200..300).contains(&c))
    }) else {
        return vec![skipped("settings.skipped")];
    };
    let requests: Vec<&Sip> = ctx
        .sip
        .iter()
        .filter(|s| s.sent && s.id > reg.id)
        .filter(|s| {
            matches!(
                s.method.as_deref().map(str::to_ascii_uppercase).as_deref(),
                Some("SUBSCRIBE" | "SERVICE")
            )
        })
        .take(64)
        .collect();
    if requests.is_empty() {
        return vec![verdict(
            "settings.not_run",
            Status::Skipped,
            "No settings request (provisioning, contacts, presence) was recorded after the registration.".to_owned(),
            None,
            Vec::new(),
        )];
    }
    let mut out = Vec::new();
    let mut ok = Vec::new();
    let mut warn = Vec::new();
    for q in &requests {
        let name = format!(
            "{} {}",
            q.method.as_deref().unwrap_or("?"),
            q.event.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_owned();
        let answer = ctx.sip.iter().find(|s| {
            !s.sent
                && s.id > q.id
                && s.status.is_some_and(|c| c >= 200)
                && s.cseq == q.cseq
                && s.call_id == q.call_id
                && s.cseq_method
                    .as_deref()
                    .zip(q.method.as_deref())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        let provisioning = q
            .event
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().contains("provisioning"));
        match answer {
            Some(a) if a.status.is_some_and(|c| (200..300).contains(&c)) => {
                ok.push((format!("{name} ({})", a.status_words()), a.id))
            }
            // A user without a dial plan: the location profile is absent, not failed.
            Some(a) if q.location_profile && a.status == Some(404) => ok.push((
                format!("{name} location profile (none: {})", a.status_words()),
                a.id,
            )),
            _ if provisioning => {
                let (words, mut ids) = match answer {
                    Some(a) => (
                        format!("{} ({})", a.status_words(), diag_words(a)),
                        vec![a.id],
                    ),
                    None => ("no answer".to_owned(), Vec::new()),
                };
                ids.push(q.id);
                out.push(verdict(
                    "settings.provisioning_failed",
                    Status::Fail,
                    format!("In-band provisioning failed: {name} got {words}; the client gets no server configuration (location profile, address book, policies)."),
                    Some("Check the Front End's User Services and the user's policies; read the ms-diagnostics in the Front End's event log.".to_owned()),
                    ids,
                ));
            }
            Some(a) => warn.push((
                format!("{name}: {} ({})", a.status_words(), diag_words(a)),
                a.id,
            )),
            None => warn.push((format!("{name}: no answer"), q.id)),
        }
    }
    if !warn.is_empty() {
        let words: Vec<String> = warn.iter().map(|(w, _)| w.clone()).collect();
        out.push(verdict(
            "settings.request_failed",
            Status::Warn,
            format!("Some settings requests failed: {}.", list(&words, 5)),
            Some("The user signs in with reduced features (contacts, presence, dial plan); check the Front End's services for these event packages.".to_owned()),
            warn.iter().map(|(_, id)| *id).collect(),
        ));
    }
    if out.iter().all(|v| v.status != Status::Fail) && !ok.is_empty() {
        let words: Vec<String> = ok.iter().map(|(w, _)| w.clone()).collect();
        out.insert(
            0,
            verdict(
                "settings.ok",
                Status::Pass,
                format!("Settings retrieved: {}.", list(&words, 6)),
                None,
                ok.iter().map(|(_, id)| *id).collect(),
            ),
        );
    }
    out
}
