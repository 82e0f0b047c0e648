//! The lab's users.

/// Which home pool a user lives on (an index into the topology's pools).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolId(pub usize);

/// One user of `contoso.test`.
#[derive(Clone)]
pub struct User {
    /// `sip:alice@contoso.test`.
    pub sip_uri: String,
    /// The down-level login, `CONTOSO\alice`.
    pub login: String,
    /// The UPN, `alice@contoso.test`.
    pub upn: String,
    /// The password (a throw-away lab's: it may be printed by `sfb lab --json`).
    pub password: String,
    /// The user's home pool.
    pub home_pool: PoolId,
    /// The account's state in AD and in Skype for Business (what the SIP roles check).
    pub state: AccountState,
}

/// What an administrator can switch off for a user; each field maps to one sign-in failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// The Active Directory account is enabled (off: the domain controller refuses the logon,
    /// the registrar sees a failed final handshake).
    pub ad_enabled: bool,
    /// The user is enabled for Skype for Business (`Set-CsUser -Enabled`).
    pub sfb_enabled: bool,
    /// The account has a SIP address at all (`Enable-CsUser` was run).
    pub sip_enabled: bool,
    /// The external access policy allows remote (Edge) sign-in.
    pub remote_access: bool,
}

impl Default for AccountState {
    /// Everything enabled.
    fn default() -> Self {
        Self {
            ad_enabled: true,
            sfb_enabled: true,
            sip_enabled: true,
            remote_access: true,
        }
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("sip_uri", &self.sip_uri)
            .field("login", &self.login)
            .field("home_pool", &self.home_pool)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The users of the lab.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The SIP domain, `contoso.test`.
    pub sip_domain: String,
    /// The NetBIOS domain, `CONTOSO`.
    pub netbios_domain: String,
    /// The users.
    pub users: Vec<User>,
}

impl Directory {
    /// `contoso.test` with alice (home pool 0) and bob (home pool 1).
    pub fn contoso() -> Self {
        let user = |name: &str, password: &str, pool: usize| User {
            sip_uri: format!("sip:{name}@contoso.test"),
            login: format!("CONTOSO\\{name}"),
            upn: format!("{name}@contoso.test"),
            password: password.to_owned(),
            home_pool: PoolId(pool),
            state: AccountState::default(),
        };
        Self {
            sip_domain: "contoso.test".to_owned(),
            netbios_domain: "CONTOSO".to_owned(),
            users: vec![
                user("alice", "Lab-Pass-1!", 0),
                user("bob", "Lab-Pass-2!", 1),
            ],
        }
    }

    /// The user whose down-level login (`CONTOSO\\alice`), UPN (`alice@contoso.test`) or
    /// Kerberos principal (`alice@CONTOSO.TEST`) this is (case-insensitive).
    pub fn by_login(&self, login: &str) -> Option<&User> {
        let name = |s: &str| -> String {
            let s = s.rsplit_once('\\').map_or(s, |(_, u)| u);
            s.split_once('@').map_or(s, |(u, _)| u).to_ascii_lowercase()
        };
        let (want, realm) = match login.split_once('@') {
            Some((u, r)) => (u.to_ascii_lowercase(), Some(r)),
            None => (name(login), None),
        };
        let domain_ok = |u: &User| match (login.split_once('\\'), realm) {
            (Some((d, _)), _) => d.eq_ignore_ascii_case(&self.netbios_domain),
            (None, Some(r)) => {
                r.eq_ignore_ascii_case(&self.sip_domain)
                    || u.upn
                        .rsplit_once('@')
                        .is_some_and(|(_, s)| s.eq_ignore_ascii_case(r))
            }
            (None, None) => true,
        };
        self.users
            .iter()
            .find(|u| name(&u.login) == want && domain_ok(u))
    }

    /// The user with this SIP URI (`sip:` prefix optional, case-insensitive).
    pub fn by_sip_uri(&self, uri: &str) -> Option<&User> {
        let want = uri.strip_prefix("sip:").unwrap_or(uri);
        self.users.iter().find(|u| {
            u.sip_uri
                .strip_prefix("sip:")
                .is_some_and(|have| have.eq_ignore_ascii_case(want))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_find_their_user() {
        let d = Directory::contoso();
        for login in [
            "CONTOSO\\alice",
            "contoso\\ALICE",
            "alice@contoso.test",
            "alice@CONTOSO.TEST",
            "alice",
        ] {
            assert_eq!(
                d.by_login(login).map(|u| u.sip_uri.as_str()),
                Some("sip:alice@contoso.test"),
                "{login}"
            );
        }
        for login in ["OTHER\\alice", "alice@other.test", "carol", ""] {
            assert!(d.by_login(login).is_none(), "{login}");
        }
        assert_eq!(
            d.by_sip_uri("sip:Bob@Contoso.Test").map(|u| u.home_pool),
            Some(PoolId(1))
        );
        let dbg = format!("{:?}", d);
        assert!(!dbg.contains("Lab-Pass"), "{dbg}");
        assert!(dbg.contains("remote_access: true"));
    }
}
