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
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("sip_uri", &self.sip_uri)
            .field("login", &self.login)
            .field("home_pool", &self.home_pool)
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
