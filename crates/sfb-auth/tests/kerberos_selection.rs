//! Kerberos failures from a real MIT KDC drive the scheme-selection machine: an unknown
//! service principal makes Kerberos "broken" and NTLM is chosen next; a wrong password stops
//! the run (lockout safety: never fall back after a password error).

#[path = "kerberos_support/mod.rs"]
mod support;

use sfb_auth::Scheme;
use sfb_auth::kerberos::KerberosError;
use sfb_auth::sipae::{Network, SchemePolicy, SelectionReason, SignInAuth};

const REALM: &str = "SIP Communications Service";

#[test]
fn kerberos_errors_drive_the_selection_machine() {
    let Some(kdc) = support::Kdc::start() else {
        return;
    };
    let offer = |scheme, target: &str| sfb_auth::sipae::Challenge {
        scheme,
        realm: REALM.into(),
        targetname: target.into(),
        version: Some(4),
        opaque: None,
        gssapi_data: None,
        sts_uri: None,
    };
    let offers = [
        offer(Scheme::Ntlm, "fe01.contoso.test"),
        offer(Scheme::Kerberos, "sip/nosuch.contoso.test"),
    ];
    // Unknown service principal: Kerberos broken, NTLM next.
    let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
    assert_eq!(m.choose(&offers).unwrap().scheme, Scheme::Kerberos);
    let e = kdc
        .client("sip/nosuch.contoso.test", support::USER, support::PASSWORD)
        .unwrap_err();
    assert!(
        matches!(e, KerberosError::UnknownServicePrincipal { .. }),
        "{e:?}"
    );
    m.report(e.attempt_outcome());
    let s = m.choose(&offers).unwrap();
    assert_eq!(s.scheme, Scheme::Ntlm);
    assert!(matches!(s.reason, SelectionReason::KerberosBroken { .. }));
    assert!(
        s.to_string()
            .starts_with("NTLM: Kerberos broken: the KDC does not know the service principal")
    );
    // Wrong password: stop, never fall back to NTLM.
    let mut m = SignInAuth::new(SchemePolicy::Auto(Network::Internal));
    m.choose(&offers).unwrap();
    let e = kdc
        .client(support::SPN, support::USER, "wrong")
        .unwrap_err();
    assert_eq!(e, KerberosError::WrongPassword);
    m.report(e.attempt_outcome());
    assert!(m.choose(&offers).is_err());
}
