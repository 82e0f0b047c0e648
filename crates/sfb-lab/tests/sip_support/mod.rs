//! A SIP client for the lab's SIP roles, driven in process: sfb-auth's client half (NTLM
//! client and security association) and the codec's builders, as `sfb-auth/tests/sipae_e2e.rs`
//! does against a scripted server.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a part of the support module"
)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sfb_auth::AuthError;
use sfb_auth::ntlm::{NtlmClient, NtlmClientConfig, NtlmProfile};
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::sipae::{MessageFields, ResponseAuth, Scheme, SecurityAssociation};
use sfb_lab::directory::{Directory, PoolId};
use sfb_lab::scenario::Scenario;
use sfb_lab::sip::{
    Endpoint, KerberosConfig, Pool, Role, SipConfig, SipConnection, SipLab, Topology,
};
use sfb_sip_codec::{Limits, OwnedMessage, RequestBuilder};

/// A fixed "now" (2026-01-01T00:00:00Z).
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn ep(fqdn: &str, addr: &str) -> Endpoint {
    Endpoint {
        fqdn: fqdn.into(),
        addr: addr.parse().unwrap(),
    }
}

/// edge, director, pool0 (backup pool1), pool1 (backup pool0).
pub fn topology() -> Topology {
    Topology {
        sip_domain: "contoso.test".into(),
        edge: ep("sip.contoso.test", "192.0.2.1:5061"),
        director: ep("director.contoso.test", "192.0.2.2:5061"),
        pools: vec![
            Pool {
                endpoint: ep("pool0.contoso.test", "192.0.2.3:5061"),
                backup: Some(PoolId(1)),
            },
            Pool {
                endpoint: ep("pool1.contoso.test", "192.0.2.4:5062"),
                backup: Some(PoolId(0)),
            },
        ],
    }
}

/// A keytab (format 0x0502) with an AES-256 key for `sip/<fqdn>` of each name, written to a
/// fresh file; the keys are random-looking constants (no KDC issues tickets for them: enough
/// for the offers, not for a Kerberos sign-in).
pub fn keytab(names: &[&str]) -> PathBuf {
    let mut file = vec![5u8, 2];
    for (i, n) in names.iter().enumerate() {
        let mut b = Vec::new();
        b.extend_from_slice(&2u16.to_be_bytes());
        for s in ["CONTOSO.TEST", "sip", n] {
            b.extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&1u32.to_be_bytes()); // KRB5_NT_PRINCIPAL
        b.extend_from_slice(&0u32.to_be_bytes());
        b.push(3);
        b.extend_from_slice(&18u16.to_be_bytes()); // aes256-cts-hmac-sha1-96
        b.extend_from_slice(&32u16.to_be_bytes());
        b.extend((0..32u8).map(|x| x.wrapping_mul(7).wrapping_add(u8::try_from(i).unwrap())));
        file.extend_from_slice(&i32::try_from(b.len()).unwrap().to_be_bytes());
        file.extend_from_slice(&b);
    }
    // One file per call: tests run in parallel threads, and a keytab rewritten while another
    // test reads it is a torn read.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "sfb-lab-sip-{}-{n}-{}",
        std::process::id(),
        names.join("+")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sip.keytab");
    std::fs::write(&path, file).unwrap();
    path
}

/// The lab for a scenario, optionally with a Kerberos keytab for the Director and the pools.
pub fn lab(scenario: Scenario, kerberos: bool) -> SipLab {
    let kerberos = kerberos.then(|| KerberosConfig {
        keytab: keytab(&[
            "director.contoso.test",
            "pool0.contoso.test",
            "pool1.contoso.test",
        ]),
        realm: "CONTOSO.TEST".into(),
    });
    SipLab::with_seed(
        SipConfig {
            topology: topology(),
            directory: Directory::contoso(),
            scenario,
            kerberos,
        },
        42,
    )
    .unwrap()
}

pub fn peer() -> SocketAddr {
    "192.0.2.10:50123".parse().unwrap()
}

/// Parses a response of the lab (must parse with the codec's default limits).
pub fn parse(b: &[u8]) -> OwnedMessage {
    OwnedMessage::from_bytes(b.to_vec(), Limits::default())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

pub fn header(m: &OwnedMessage, name: &str) -> Option<String> {
    m.message().header(name).map(|h| h.value.to_owned())
}

pub fn status(m: &OwnedMessage) -> u16 {
    m.message().status_code().unwrap()
}

pub fn text(m: &OwnedMessage) -> String {
    String::from_utf8_lossy(m.as_bytes()).into_owned()
}

/// One client endpoint of alice or bob on one lab connection.
pub struct Client {
    pub conn: SipConnection,
    pub uri: String,
    pub login: String,
    pub password: String,
    pub cseq: u32,
    pub call_id: String,
    pub user_agent: Option<String>,
    /// A `Route` added to every request (a client staying on the Edge after a 301).
    pub route: Option<String>,
    pub sa: Option<SecurityAssociation>,
    pub now: SystemTime,
    /// Every REGISTER transaction of the last [`Client::register`].
    pub register_transactions: u32,
}

pub const CONTACT: &str = "<sip:192.0.2.10:50123;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:4233FD41-093B-5FD6-B5D2-651ED55969E6>\"";

impl Client {
    pub fn new(lab: &SipLab, role: Role, user: &str) -> Self {
        let dir = Directory::contoso();
        let u = dir.by_sip_uri(&format!("sip:{user}@contoso.test")).unwrap();
        Self {
            conn: lab.accept(role, peer()),
            uri: u.sip_uri.clone(),
            login: u.login.clone(),
            password: u.password.clone(),
            cseq: 0,
            call_id: format!("{user}0f9c2e7d41"),
            user_agent: None,
            route: None,
            sa: None,
            now: now(),
            register_transactions: 0,
        }
    }

    /// A request from this client (To = From = self unless `to` is given).
    pub fn build(
        &mut self,
        method: &str,
        ruri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        auth: Option<(&str, &str)>,
    ) -> OwnedMessage {
        let mut b = RequestBuilder::new(method, ruri)
            .header(
                "Via",
                &format!(
                    "SIP/2.0/TLS 192.0.2.10:50123;branch=z9hG4bK{}{}",
                    self.call_id, self.cseq
                ),
            )
            .header("Max-Forwards", "70")
            .header("From", &format!("<{}>;tag=a1b2c3;epid=01010101", self.uri))
            .header("To", &format!("<{}>", self.uri))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} {method}", self.cseq));
        if let Some(r) = &self.route {
            b = b.header("Route", r);
        }
        if let Some(ua) = &self.user_agent {
            b = b.header("User-Agent", ua);
        }
        for (n, v) in headers {
            b = b.header(n, v);
        }
        if let Some((n, v)) = auth {
            b = b.header(n, v);
        }
        b.body(body).build().unwrap()
    }

    /// Sends raw bytes; parses every answer.
    pub fn send_raw(&mut self, raw: &[u8]) -> Vec<OwnedMessage> {
        self.conn
            .on_message(raw, self.now)
            .iter()
            .map(|b| parse(b))
            .collect()
    }

    /// Sends one request; exactly one answer is expected.
    pub fn send(&mut self, m: &OwnedMessage) -> OwnedMessage {
        let mut v = self.send_raw(m.as_bytes());
        assert_eq!(v.len(), 1, "one answer expected");
        v.remove(0)
    }

    /// A request signed with the established SA, sent.
    pub fn signed(
        &mut self,
        method: &str,
        ruri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> OwnedMessage {
        let m = self.signed_request(method, ruri, headers, body);
        self.send(&m)
    }

    /// A request signed with the established SA (not sent).
    pub fn signed_request(
        &mut self,
        method: &str,
        ruri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> OwnedMessage {
        self.cseq += 1;
        let unsigned = self.build(method, ruri, headers, body, None);
        let sa = self.sa.as_mut().expect("signed in");
        let um = unsigned.message();
        let v = sa
            .authorize(&MessageFields::from_message(&um).unwrap())
            .unwrap();
        let name = sa.header().request_header();
        self.build(method, ruri, headers, body, Some((name, &v.to_string())))
    }

    /// Verifies the server signature of a response with the SA.
    pub fn verify(&mut self, m: &OwnedMessage) -> Result<(), AuthError> {
        let sa = self.sa.as_mut().expect("signed in");
        let msg = m.message();
        let ra = ResponseAuth::from_message(&msg);
        let info = ra.info_for(sa).expect("signed response").clone();
        sa.verify_info(&info, &MessageFields::from_message(&msg).unwrap())
    }

    fn ntlm(&self) -> Box<dyn sfb_auth::SecurityContext> {
        let cfg = NtlmClientConfig {
            credential: Credential::from_login(
                &self.login,
                CredentialSecret::Password(Password::new(&self.password)),
            ),
            workstation: "WS01".into(),
            profile: NtlmProfile::Windows,
            version: [10, 0, 0x61, 0x4a, 0, 0, 0, 15],
        };
        let mut s = 0x1234_5678_u64;
        Box::new(NtlmClient::new(
            cfg,
            Box::new(move |b: &mut [u8]| {
                for x in b.iter_mut() {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    *x = s.to_le_bytes()[0];
                }
            }),
            134_000_000_000_000_000,
        ))
    }

    /// The first, unauthenticated REGISTER.
    pub fn first_register(&mut self) -> OwnedMessage {
        self.cseq += 1;
        let m = self.build(
            "REGISTER",
            "sip:contoso.test",
            &register_headers(),
            b"",
            None,
        );
        self.send(&m)
    }

    /// The NTLM sign-in: REGISTER, 401, then the handshake until a response that is not a
    /// continuation challenge; returns every response in order.
    pub fn register(&mut self) -> Vec<OwnedMessage> {
        let mut out = vec![self.first_register()];
        self.register_transactions = 1;
        let first = out.last().unwrap();
        if status(first) != 401 {
            return out;
        }
        let fm = first.message();
        let ra = ResponseAuth::from_message(&fm);
        let offer = ra
            .challenges
            .iter()
            .find(|c| c.scheme == Scheme::Ntlm)
            .expect("NTLM offered")
            .clone();
        let mut s = 99u8;
        let mut sa = SecurityAssociation::new(
            &offer,
            ra.header.unwrap(),
            self.ntlm(),
            Box::new(move |b: &mut [u8]| {
                for x in b.iter_mut() {
                    s = s.wrapping_mul(31).wrapping_add(7);
                    *x = s;
                }
            }),
        );
        let mut value = sa.start().unwrap();
        loop {
            self.cseq += 1;
            self.register_transactions += 1;
            if sa.must_sign_final() {
                let unsigned = self.build(
                    "REGISTER",
                    "sip:contoso.test",
                    &register_headers(),
                    b"",
                    None,
                );
                let um = unsigned.message();
                sa.sign_request(&mut value, &MessageFields::from_message(&um).unwrap())
                    .unwrap();
            }
            let name = sa.header().request_header();
            let req = self.build(
                "REGISTER",
                "sip:contoso.test",
                &register_headers(),
                b"",
                Some((name, &value.to_string())),
            );
            let resp = self.send(&req);
            let rm = resp.message();
            let ra = ResponseAuth::from_message(&rm);
            let cont = ra
                .challenges
                .iter()
                .find(|c| c.opaque.is_some() && c.gssapi_data.is_some())
                .cloned();
            out.push(resp);
            match cont {
                Some(c) if status(out.last().unwrap()) == 401 => {
                    value = sa.handle_challenge(&c).unwrap();
                }
                _ => break,
            }
            assert!(self.register_transactions < 6, "handshake does not end");
        }
        self.sa = Some(sa);
        out
    }
}

/// The REGISTER headers of a current client (protocol.md §6.1).
pub fn register_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Contact", CONTACT),
        (
            "Supported",
            "gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence",
        ),
        ("Event", "registration"),
        ("Allow-Events", "presence"),
        ("ms-keep-alive", "UAC;hop-hop=yes"),
    ]
}
