//! [`sfb_lab::kdc::MitKdc`] against the real MIT binaries: it starts on an ephemeral loopback
//! port, holds the spec's principals (users with their passwords, services in the keytab the
//! lab reads), reports failed `kadmin.local` queries precisely without the password, and its
//! drop stops the KDC and removes its directory. The lab started with `mit_kdc` reports the
//! KDC and offers Kerberos. Fails (not skips) without the KDC when `SFB_REQUIRE_PEERS=1`.
#![allow(clippy::print_stderr, reason = "the skip note must be loud on stderr")]

use sfb_auth::kerberos::keytab::Keytab;
use sfb_auth::kerberos::{ClientConfig, KerberosClient, Output, ServiceKey, driver};
use sfb_lab::kdc::{KdcError, KdcSpec, LAB_REALM, MitKdc};
use sfb_lab::{Lab, LabConfig, Scenario};

/// `None` (a loud skip) when MIT krb5-kdc is not installed, unless `SFB_REQUIRE_PEERS=1`.
fn start(spec: &KdcSpec) -> Option<MitKdc> {
    match MitKdc::start(spec) {
        Ok(kdc) => Some(kdc),
        Err(e @ KdcError::NotInstalled { .. })
            if std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1") =>
        {
            eprintln!(
                "\n!!!!! SKIPPED: test peer missing: {e} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
            );
            None
        }
        Err(e) => panic!("the MIT KDC did not start (SFB_REQUIRE_PEERS=1 needs it): {e}"),
    }
}

#[test]
fn a_kdc_holds_its_spec_issues_tickets_and_goes_away_on_drop() {
    let spec = KdcSpec::new(LAB_REALM)
        .user("carol", "Canary-Kdc-Pw-1")
        .service("sip/pool9.contoso.test");
    let Some(kdc) = start(&spec) else {
        return;
    };
    assert!(kdc.addr().ip().is_loopback());
    assert_ne!(kdc.addr().port(), 0);
    assert_eq!(kdc.realm(), LAB_REALM);
    let out = kdc.kadmin("getprinc carol").unwrap();
    assert!(out.contains("carol@CONTOSO.TEST"), "{out}");
    assert!(out.contains("REQUIRES_PRE_AUTH"), "{out}");

    // The service's keys are in the keytab the lab reads.
    let keytab = Keytab::parse(&std::fs::read(kdc.keytab_path()).unwrap()).unwrap();
    assert!(!ServiceKey::from_keytab(&keytab, "sip/pool9.contoso.test").is_empty());
    assert_eq!(kdc.kerberos_config().keytab, kdc.keytab_path());

    // A real ticket for carol with her password; none with another.
    let config = ClientConfig {
        spn: "sip/pool9.contoso.test".into(),
        realm: LAB_REALM.into(),
        kdcs: vec![kdc.kdc_address()],
    };
    let Output::AcquireKerberosToken(req) = KerberosClient::new(config.clone()).unwrap().start();
    driver::acquire_token(&req, "carol", "Canary-Kdc-Pw-1").expect("a ticket");
    assert!(driver::acquire_token(&req, "carol", "wrong").is_err());
    // A new password works at once.
    kdc.set_password("carol", &sfb_certprov::Password::new("Canary-Kdc-Pw-2"))
        .unwrap();
    driver::acquire_token(&req, "carol", "Canary-Kdc-Pw-2").expect("a ticket");

    // Failed queries are errors, naming the query and what kadmin said, never a password.
    let e = kdc.kadmin("getprinc nobody").unwrap_err().to_string();
    assert!(
        e.contains("getprinc nobody") && e.contains("does not exist"),
        "{e}"
    );
    let e = kdc
        .set_password("nobody", &sfb_certprov::Password::new("Canary-Kdc-Pw-3"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cpw nobody"), "{e}");
    assert!(!e.contains("Canary"), "{e}");
    let e = kdc.kadmin("bogus").unwrap_err();
    assert!(matches!(e, KdcError::Command { .. }), "{e}");

    let (addr, dir) = (kdc.addr(), kdc.dir().to_path_buf());
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(kdc);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "krb5kdc still listens"
    );
    assert!(!dir.exists(), "{}", dir.display());
}

#[test]
fn a_skewed_kdc_clock_runs_under_libfaketime() {
    let mut spec = KdcSpec::new(LAB_REALM)
        .user("dave", "Canary-Kdc-Pw-4")
        .service("sip/skew.contoso.test");
    spec.clock_offset = Some("+2h".into());
    let Some(kdc) = start(&spec) else {
        return;
    };
    let config = ClientConfig {
        spn: "sip/skew.contoso.test".into(),
        realm: LAB_REALM.into(),
        kdcs: vec![kdc.kdc_address()],
    };
    let Output::AcquireKerberosToken(req) = KerberosClient::new(config).unwrap().start();
    // sspi answers KRB_AP_ERR_SKEW by retrying with the KDC's time (as Windows does): the
    // ticket comes, and the KDC logged the skew of the first pre-authentication.
    driver::acquire_token(&req, "dave", "Canary-Kdc-Pw-4").expect("a ticket after the retry");
    let log = std::fs::read_to_string(kdc.dir().join("kdc.log")).unwrap();
    assert!(log.to_lowercase().contains("skew"), "{log}");
}

#[test]
fn a_bad_spec_is_refused_before_anything_runs() {
    let e = MitKdc::start(&KdcSpec::new(LAB_REALM).service("sip/a b")).unwrap_err();
    assert!(matches!(e, KdcError::Spec(_)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_starts_its_kdc_and_reports_it() {
    if sfb_lab::kdc::check_installed().is_err()
        && std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1")
    {
        eprintln!(
            "\n!!!!! SKIPPED: test peer missing: MIT krb5-kdc (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
        );
        return;
    }
    let mut config = LabConfig::new(Scenario::KerberosMissingSpn);
    config.mit_kdc = true;
    config.seed = Some(3);
    let lab = Lab::start(config).await.expect("the lab starts its KDC");
    let info = lab.info().clone();
    let kdc = lab.kdc().expect("the KDC runs");
    assert_eq!(info.kdc, Some(kdc.addr().to_string()));
    assert_eq!(info.kerberos_realm.as_deref(), Some(LAB_REALM));
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["kdc"], kdc.addr().to_string());
    assert_eq!(json["kerberos_realm"], LAB_REALM);
    // The lab's users and its registrars' principals are there.
    for p in [
        "alice",
        "bob",
        "sip/dir01.contoso.test",
        "sip/pool01.contoso.test",
    ] {
        kdc.kadmin(&format!("getprinc {p}")).unwrap();
    }
    // The missing-SPN scenario's offered name is not.
    assert!(
        kdc.kadmin("getprinc sip/nospn-pool01.contoso.test")
            .is_err()
    );
    let (addr, dir) = (kdc.addr(), kdc.dir().to_path_buf());
    lab.shutdown().await;
    assert!(std::net::TcpStream::connect(addr).is_err());
    assert!(!dir.exists());

    // Without a KDC the fields are absent (the JSON of ISSUE-5 is unchanged).
    let lab = Lab::start(LabConfig::new(Scenario::Healthy)).await.unwrap();
    let json = serde_json::to_value(lab.info()).unwrap();
    assert!(json.get("kdc").is_none() && json.get("kerberos_realm").is_none());
    lab.shutdown().await;

    // Two Kerberos sources at once are refused.
    let mut config = LabConfig::new(Scenario::Healthy);
    config.mit_kdc = true;
    config.kerberos = Some(sfb_lab::sip::KerberosConfig {
        keytab: "/nonexistent".into(),
        realm: LAB_REALM.into(),
    });
    assert!(matches!(
        Lab::start(config).await,
        Err(sfb_lab::LabError::Config(_))
    ));
}
