//! The fault scenarios: each reproduces one real sign-in failure (or fragility).
//!
//! The table of triggers, wire responses, blamed steps and remedies is in `docs/lab.md`.

use std::fmt;
use std::str::FromStr;

/// Which part of the lab produces a scenario's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The DNS zone.
    Dns,
    /// The listeners (TCP) or the certificates (TLS).
    Network,
    /// The SIP roles.
    Sip,
}

macro_rules! scenarios {
    ($($variant:ident = $name:literal, $layer:ident, $what:literal;)*) => {
        /// A named lab scenario. [`Scenario::Healthy`] is the default: everything works.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $(#[doc = $what] $variant,)*
        }

        impl Scenario {
            /// Every scenario, in the documented order.
            pub const ALL: &'static [Scenario] = &[$(Scenario::$variant,)*];

            /// The name used on the command line (`--scenario NAME`).
            pub fn name(self) -> &'static str {
                match self { $(Scenario::$variant => $name,)* }
            }

            /// One line on what it reproduces.
            pub fn description(self) -> &'static str {
                match self { $(Scenario::$variant => $what,)* }
            }

            /// Which part of the lab produces it.
            pub fn layer(self) -> Layer {
                match self { $(Scenario::$variant => Layer::$layer,)* }
            }
        }
    };
}

scenarios! {
    Healthy = "healthy", Sip, "Everything works.";
    NoDnsRecords = "no-dns-records", Dns, "The zone has no autodiscover, SRV or A records for SIP.";
    SrvOutsideDomain = "srv-outside-domain", Dns, "The SRV record points to a host outside the SIP domain (strict naming).";
    TcpRefused = "tcp-refused", Network, "Nothing listens on the SRV target's port.";
    TlsUntrustedRoot = "tls-untrusted-root", Network, "The registrars' certificates chain to a root the client does not trust.";
    TlsIncompleteChain = "tls-incomplete-chain", Network, "The registrars send their leaf certificate without the intermediate.";
    TlsNameMismatch = "tls-name-mismatch", Network, "The certificate's SANs lack the name the client connects to.";
    TlsExpired = "tls-expired", Network, "The registrars' certificates have expired.";
    NtlmWrongPassword = "ntlm-wrong-password", Sip, "The directory's password differs from the one given to the user.";
    AdAccountDisabled = "ad-account-disabled", Sip, "The Active Directory account is disabled.";
    SfbUserDisabled = "sfb-user-disabled", Sip, "The user is disabled for Skype for Business.";
    UserNotSipEnabled = "user-not-sip-enabled", Sip, "The account exists but is not enabled for SIP.";
    RemoteAccessDisabled = "remote-access-disabled", Sip, "The Edge refuses external users (ms-diagnostics 4003).";
    EdgeNextHopDown = "edge-next-hop-down", Sip, "The Edge cannot reach its next hop, the Director (504).";
    RedirectLoop = "redirect-loop", Sip, "The Director and the pools redirect to each other.";
    HomePoolUnreachableAfter301 = "home-pool-unreachable-after-301", Network, "The Director redirects to a home pool that nothing answers on.";
    BackupRegistrar = "backup-registrar", Sip, "The home pool is down; the backup registrar accepts (limited functionality).";
    ProvisioningError = "provisioning-error", Sip, "In-band provisioning fails after a successful registration.";
    BadServerSignature = "bad-server-signature", Sip, "The registrar's signatures do not verify.";
    ClientVersionBlocked = "client-version-blocked", Sip, "The client version policy blocks the client's User-Agent.";
    KerberosClockSkew = "kerberos-clock-skew", Sip, "The registrar's clock is skewed beyond Kerberos tolerance.";
    KerberosMissingSpn = "kerberos-missing-spn", Sip, "The home pool's sip/ service principal is missing from the KDC.";
}

impl Default for Scenario {
    fn default() -> Self {
        Self::Healthy
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario {0:?} (see --list-scenarios)")]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| UnknownScenario(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, s) in Scenario::ALL.iter().enumerate() {
            assert_eq!(s.name().parse::<Scenario>(), Ok(*s));
            assert!(Scenario::ALL[..i].iter().all(|o| o.name() != s.name()));
        }
        assert!("nope".parse::<Scenario>().is_err());
    }
}
