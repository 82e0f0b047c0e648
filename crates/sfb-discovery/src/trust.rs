//! The strict DNS naming rule and the Lync 2010+ trust model (protocol.md §1.3).

use serde::{Deserialize, Serialize};

use crate::domain::{DomainName, SipDomain};

/// The domains a discovered server may live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    sip_domain: DomainName,
    trusted: Vec<DomainName>,
}

/// The verdict on one endpoint's host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum TrustVerdict {
    /// The host is the SIP domain or under it.
    SipDomain,
    /// The host is a configured trusted domain or under it.
    TrustedDomain {
        /// The trusted domain that matched.
        domain: DomainName,
    },
    /// Configured by hand: manual servers count as trusted (protocol.md §1.3).
    Manual,
    /// Strict naming violated: the host is outside the SIP domain and every trusted domain.
    Violation {
        /// The record chain that led to the host, e.g.
        /// `_sipinternaltls._tcp.contoso.com SRV -> sip.fabrikam.net`.
        chain: String,
    },
}

impl TrustVerdict {
    /// Is the host acceptable without a prompt?
    pub fn is_trusted(&self) -> bool {
        !matches!(self, Self::Violation { .. })
    }
}

impl TrustPolicy {
    /// The SIP domain plus extra trusted domains (`--trust`, the `TrustModelData` policy).
    pub fn new(sip_domain: &SipDomain, trusted: Vec<DomainName>) -> Self {
        Self {
            sip_domain: sip_domain.name().clone(),
            trusted,
        }
    }

    /// \[MSDOC\] strict DNS naming: the SRV target must be in the SIP domain; \[COMM\] Lync 2010+
    /// trust model: a server matches when it is in a trusted domain, directly or as a
    /// sub-domain. `chain` names the records that led to `host`, for the violation report.
    pub fn check(&self, host: &DomainName, chain: &str) -> TrustVerdict {
        if host.is_same_or_under(&self.sip_domain) {
            return TrustVerdict::SipDomain;
        }
        if let Some(d) = self.trusted.iter().find(|d| host.is_same_or_under(d)) {
            return TrustVerdict::TrustedDomain { domain: d.clone() };
        }
        TrustVerdict::Violation {
            chain: chain.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DomainName {
        DomainName::parse(s).unwrap()
    }

    #[test]
    fn verdicts() {
        let sip = SipDomain::from_domain(d("contoso.com"));
        let p = TrustPolicy::new(&sip, vec![d("online.lync.com")]);
        assert_eq!(
            p.check(&d("pool.contoso.com"), "x"),
            TrustVerdict::SipDomain
        );
        assert_eq!(
            p.check(&d("sipdir.online.lync.com"), "x"),
            TrustVerdict::TrustedDomain {
                domain: d("online.lync.com")
            }
        );
        let v = p.check(
            &d("sip.fabrikam.net"),
            "_sipinternaltls._tcp.contoso.com SRV -> sip.fabrikam.net",
        );
        assert!(!v.is_trusted());
        assert_eq!(
            v,
            TrustVerdict::Violation {
                chain: "_sipinternaltls._tcp.contoso.com SRV -> sip.fabrikam.net".into()
            }
        );
        assert!(!p.check(&d("evilcontoso.com"), "x").is_trusted());
    }
}
