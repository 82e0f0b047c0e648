//! Scheme selection and lockout safety, as a small sans-IO state machine.
//!
//! Policy: internal network: Kerberos, then NTLM; external: NTLM; or an explicit override.
//! Safety rules (one credential attempt per account per run):
//! - each scheme is tried at most once per account;
//! - after the server refuses the password, or refuses the final token, nothing is retried;
//! - Kerberos falls back to NTLM only after a KDC or SPN failure, never after a password error.

use std::fmt;

use super::{Challenge, Scheme};

/// Where the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// Inside the corporate network (a KDC is reachable).
    Internal,
    /// Outside (edge server; NTLM).
    External,
}

/// The configured policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemePolicy {
    /// Choose by network.
    Auto(Network),
    /// Only this scheme.
    Only(Scheme),
}

/// Why a scheme was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionReason {
    /// The first scheme of the network policy that the server offers.
    Policy {
        /// The network.
        network: Network,
    },
    /// Forced by configuration.
    Override,
    /// NTLM after Kerberos failed for an infrastructure reason.
    KerberosBroken {
        /// The KDC or SPN failure.
        cause: String,
    },
}

/// A choice and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The chosen scheme.
    pub scheme: Scheme,
    /// Index of the chosen offer in the list passed to [`SignInAuth::choose`].
    pub offer: usize,
    /// Why.
    pub reason: SelectionReason,
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            SelectionReason::Policy {
                network: Network::Internal,
            } => {
                write!(
                    f,
                    "{}: first offered scheme of the internal policy (Kerberos, NTLM)",
                    self.scheme
                )
            }
            SelectionReason::Policy {
                network: Network::External,
            } => {
                write!(f, "{}: external policy (NTLM only)", self.scheme)
            }
            SelectionReason::Override => write!(f, "{}: forced by configuration", self.scheme),
            SelectionReason::KerberosBroken { cause } => {
                write!(f, "{}: Kerberos broken: {cause}", self.scheme)
            }
        }
    }
}

/// How an attempt ended, as reported by the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Signed in.
    Succeeded,
    /// Kerberos could not get or use a ticket: KDC unreachable, unknown SPN, etc. The password
    /// was not refused.
    KerberosInfrastructure {
        /// What failed.
        cause: String,
    },
    /// The KDC or the server refused the password (or the account is locked or disabled).
    PasswordRejected,
    /// The server refused the request carrying the final token.
    FinalTokenRefused,
}

/// Why no (further) attempt is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// The server offers nothing the policy allows.
    #[error("server offers {offered:?}, policy allows none of them")]
    NothingOffered {
        /// Offered schemes.
        offered: Vec<Scheme>,
    },
    /// Every allowed scheme was tried already.
    #[error("no untried scheme left (tried {tried:?})")]
    Exhausted {
        /// Tried schemes.
        tried: Vec<Scheme>,
    },
    /// The password was refused: retrying could lock the account.
    #[error("password refused with {0}; not retrying to avoid an account lockout")]
    PasswordRefused(Scheme),
    /// The previous attempt has no reported outcome; falling back could hide a password error.
    #[error("the {0} attempt has no reported outcome; not starting another")]
    OutcomeNotReported(Scheme),
    /// The final token was refused: no retry.
    #[error("final {0} token refused; not retrying")]
    FinalTokenRefused(Scheme),
}

/// The per-account selection state machine.
#[derive(Debug, Clone)]
pub struct SignInAuth {
    policy: SchemePolicy,
    tried: Vec<Scheme>,
    current: Option<Scheme>,
    kerberos_broken: Option<String>,
    stopped: Option<SelectError>,
}

impl SignInAuth {
    /// A fresh account state.
    pub fn new(policy: SchemePolicy) -> Self {
        Self {
            policy,
            tried: Vec::new(),
            current: None,
            kerberos_broken: None,
            stopped: None,
        }
    }

    /// Picks the scheme for the next attempt from the offers of a 401/407.
    pub fn choose(&mut self, offers: &[Challenge]) -> Result<Selection, SelectError> {
        if let Some(e) = &self.stopped {
            return Err(e.clone());
        }
        // Without an outcome we cannot tell a KDC failure from a password refusal: no fallback.
        if let Some(cur) = self.current {
            return Err(SelectError::OutcomeNotReported(cur));
        }
        let order: &[Scheme] = match self.policy {
            SchemePolicy::Auto(Network::Internal) => &[Scheme::Kerberos, Scheme::Ntlm],
            SchemePolicy::Auto(Network::External) => &[Scheme::Ntlm],
            SchemePolicy::Only(Scheme::Ntlm) => &[Scheme::Ntlm],
            SchemePolicy::Only(Scheme::Kerberos) => &[Scheme::Kerberos],
            SchemePolicy::Only(Scheme::TlsDsk) => &[Scheme::TlsDsk],
        };
        let allowed_offered = || order.iter().any(|s| offers.iter().any(|o| o.scheme == *s));
        for s in order.iter().filter(|s| !self.tried.contains(s)) {
            if *s == Scheme::Kerberos && self.kerberos_broken.is_some() {
                continue;
            }
            if let Some(i) = offers.iter().position(|o| o.scheme == *s) {
                self.tried.push(*s);
                self.current = Some(*s);
                let reason = match (self.policy, &self.kerberos_broken) {
                    (SchemePolicy::Only(_), _) => SelectionReason::Override,
                    (_, Some(cause)) if *s == Scheme::Ntlm => SelectionReason::KerberosBroken {
                        cause: cause.clone(),
                    },
                    (SchemePolicy::Auto(network), _) => SelectionReason::Policy { network },
                };
                return Ok(Selection {
                    scheme: *s,
                    offer: i,
                    reason,
                });
            }
        }
        if self.tried.is_empty() || !allowed_offered() {
            Err(SelectError::NothingOffered {
                offered: offers.iter().map(|o| o.scheme).collect(),
            })
        } else {
            Err(SelectError::Exhausted {
                tried: self.tried.clone(),
            })
        }
    }

    /// Records how the current attempt ended.
    pub fn report(&mut self, outcome: AttemptOutcome) {
        let Some(cur) = self.current.take() else {
            return;
        };
        match outcome {
            // A later 401 to a re-REGISTER means "authenticate again from scratch": the
            // scheme that worked may be used again; the password is known to be good.
            AttemptOutcome::Succeeded => self.tried.retain(|s| *s != cur),
            AttemptOutcome::KerberosInfrastructure { cause } if cur == Scheme::Kerberos => {
                self.kerberos_broken = Some(cause);
            }
            AttemptOutcome::KerberosInfrastructure { .. } => {}
            AttemptOutcome::PasswordRejected => {
                self.stopped = Some(SelectError::PasswordRefused(cur))
            }
            AttemptOutcome::FinalTokenRefused => {
                self.stopped = Some(SelectError::FinalTokenRefused(cur))
            }
        }
    }

    /// `Some("Kerberos broken: <cause>")` after an infrastructure failure.
    pub fn kerberos_status(&self) -> Option<String> {
        self.kerberos_broken
            .as_ref()
            .map(|c| format!("Kerberos broken: {c}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(s: Scheme) -> Challenge {
        Challenge {
            scheme: s,
            realm: "r".into(),
            targetname: "t".into(),
            version: Some(4),
            opaque: None,
            gssapi_data: None,
            sts_uri: None,
        }
    }

    #[test]
    fn internal_prefers_kerberos_and_falls_back_after_kdc_error() {
        let offers = [offer(Scheme::Ntlm), offer(Scheme::Kerberos)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
        let s = m.choose(&offers).unwrap();
        assert_eq!((s.scheme, s.offer), (Scheme::Kerberos, 1));
        m.report(AttemptOutcome::KerberosInfrastructure {
            cause: "KDC unreachable".into(),
        });
        let s = m.choose(&offers).unwrap();
        assert_eq!(s.scheme, Scheme::Ntlm);
        assert_eq!(s.to_string(), "NTLM: Kerberos broken: KDC unreachable");
        assert_eq!(
            m.kerberos_status().as_deref(),
            Some("Kerberos broken: KDC unreachable")
        );
        m.report(AttemptOutcome::Succeeded);
        // Re-authentication later: Kerberos stays broken for this run, NTLM again.
        let s = m.choose(&offers).unwrap();
        assert_eq!(s.scheme, Scheme::Ntlm);
        m.report(AttemptOutcome::PasswordRejected);
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::PasswordRefused(Scheme::Ntlm))
        );
    }

    #[test]
    fn exhausted_and_reauthentication() {
        let offers = [offer(Scheme::Ntlm)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::External));
        assert_eq!(m.choose(&offers).unwrap().scheme, Scheme::Ntlm);
        // No outcome reported (e.g. the connection dropped): no second attempt.
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::OutcomeNotReported(Scheme::Ntlm))
        );
        m.report(AttemptOutcome::Succeeded);
        assert_eq!(m.choose(&offers).unwrap().scheme, Scheme::Ntlm);
    }

    #[test]
    fn exhausted_after_every_scheme_failed_for_infrastructure() {
        let offers = [offer(Scheme::Kerberos), offer(Scheme::Ntlm)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
        m.choose(&offers).unwrap();
        m.report(AttemptOutcome::KerberosInfrastructure {
            cause: "no SPN".into(),
        });
        m.choose(&offers).unwrap();
        // An infrastructure outcome for NTLM does not re-enable anything.
        m.report(AttemptOutcome::KerberosInfrastructure {
            cause: "n/a".into(),
        });
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::Exhausted {
                tried: vec![Scheme::Kerberos, Scheme::Ntlm]
            })
        );
    }

    #[test]
    fn no_fallback_without_an_outcome() {
        let offers = [offer(Scheme::Kerberos), offer(Scheme::Ntlm)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
        assert_eq!(m.choose(&offers).unwrap().scheme, Scheme::Kerberos);
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::OutcomeNotReported(Scheme::Kerberos))
        );
    }

    #[test]
    fn never_falls_back_after_password_error() {
        let offers = [offer(Scheme::Kerberos), offer(Scheme::Ntlm)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
        assert_eq!(m.choose(&offers).unwrap().scheme, Scheme::Kerberos);
        m.report(AttemptOutcome::PasswordRejected);
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::PasswordRefused(Scheme::Kerberos))
        );
    }

    #[test]
    fn never_retries_after_final_token_refused() {
        let offers = [offer(Scheme::Ntlm)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::External));
        let s = m.choose(&offers).unwrap();
        assert_eq!(s.to_string(), "NTLM: external policy (NTLM only)");
        m.report(AttemptOutcome::FinalTokenRefused);
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::FinalTokenRefused(Scheme::Ntlm))
        );
    }

    #[test]
    fn external_and_override() {
        let offers = [offer(Scheme::Kerberos)];
        let mut m = SignInAuth::new(SchemePolicy::Auto(Network::External));
        assert_eq!(
            m.choose(&offers),
            Err(SelectError::NothingOffered {
                offered: vec![Scheme::Kerberos]
            })
        );
        let mut o = SignInAuth::new(SchemePolicy::Only(Scheme::Kerberos));
        let s = o.choose(&offers).unwrap();
        assert_eq!(s.reason, SelectionReason::Override);
        assert_eq!(s.to_string(), "Kerberos: forced by configuration");
        // Kerberos broken under an override: no NTLM fallback.
        o.report(AttemptOutcome::KerberosInfrastructure {
            cause: "no SPN".into(),
        });
        assert!(
            o.choose(&[offer(Scheme::Ntlm), offer(Scheme::Kerberos)])
                .is_err()
        );
    }
}
