//! Realm and KDC location helpers (pure functions). The DNS lookups are
//! `sfb_discovery::kdc::locate_kdcs` (our own resolver, every query recorded as evidence); this
//! crate cannot depend on sfb-discovery (layering), so the SRV names are derived there too, and a
//! test in sfb-discovery checks that both lists agree. The session passes the KDCs it found (or
//! `--kdc`) to [`super::ClientConfig::kdcs`].
//!
//! - The realm may be taken from an NTLM CHALLENGE's MsvAvDnsDomainName ([MS-NLMP] 2.2.2.1):
//!   an Active Directory realm is the DNS domain name in upper case ([MS-KILE] 3.1.5.1 uses
//!   the upper-cased DNS domain as the realm).
//! - KDCs: RFC 4120 §7.2.3.2 `_kerberos._tcp.<REALM>`, then the Active Directory locator name
//!   `_kerberos._tcp.dc._msdcs.<domain>` ([MS-ADTS] 6.3.2.3).

use crate::ntlm::avpairs::AV_DNS_DOMAIN;
use crate::ntlm::messages::ChallengeMessage;

/// Longest DNS name accepted (RFC 1035 §2.3.4).
pub const MAX_DNS_NAME: usize = 253;

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= MAX_DNS_NAME
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The Kerberos realm for a DNS domain name (`contoso.com` → `CONTOSO.COM`); a trailing dot is
/// dropped. `None` when the name is not a plausible DNS name.
pub fn realm_from_dns_domain(domain: &str) -> Option<String> {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    valid_domain(d).then(|| d.to_ascii_uppercase())
}

/// The realm from a parsed NTLM CHALLENGE: its MsvAvDnsDomainName (UTF-16LE), upper-cased.
/// `None` without target info, with an odd-length or non-UTF-16 value, or an implausible name.
pub fn realm_from_ntlm_challenge(challenge: &ChallengeMessage) -> Option<String> {
    let raw = challenge.av_pairs.get(AV_DNS_DOMAIN)?;
    if raw.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    realm_from_dns_domain(&s)
}

/// The DNS SRV names to query for KDCs, in order: `_kerberos._tcp.<REALM>`, then
/// `_kerberos._tcp.dc._msdcs.<domain>` (the domain is the realm in lower case when not given).
/// Empty when the realm or domain is not a plausible DNS name.
pub fn kdc_srv_names(realm: &str, domain: Option<&str>) -> Vec<String> {
    let realm = realm.strip_suffix('.').unwrap_or(realm);
    let domain = domain
        .map(|d| d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase())
        .unwrap_or_else(|| realm.to_ascii_lowercase());
    if !valid_domain(realm) || !valid_domain(&domain) {
        return Vec::new();
    }
    let mut names = vec![format!("_kerberos._tcp.{realm}")];
    let ad = format!("_kerberos._tcp.dc._msdcs.{domain}");
    if !names.contains(&ad) {
        names.push(ad);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::avpairs::{AV_NB_DOMAIN, AvPairs};

    fn challenge(pairs: Vec<(u16, Vec<u8>)>) -> ChallengeMessage {
        let av = AvPairs(pairs);
        ChallengeMessage {
            flags: 0,
            server_challenge: [0; 8],
            target_name: Vec::new(),
            target_info: av.encode(),
            av_pairs: av,
            version: None,
        }
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn realm_from_the_captured_challenge() {
        // The real OCS 2007 R2 CHALLENGE (sipe-vectors 8.2) names cosmo.local.
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/ntlm/oc2007r2.json"
            ))
            .unwrap(),
        )
        .unwrap();
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(v["challenge_b64"].as_str().unwrap())
            .unwrap();
        let c = ChallengeMessage::parse(&raw).unwrap();
        assert_eq!(
            realm_from_ntlm_challenge(&c).as_deref(),
            Some("COSMO.LOCAL")
        );
    }

    #[test]
    fn realm_edge_cases() {
        assert_eq!(
            realm_from_ntlm_challenge(&challenge(vec![(AV_DNS_DOMAIN, utf16("Contoso.Test."))]))
                .as_deref(),
            Some("CONTOSO.TEST")
        );
        // Only a NetBIOS name: no realm.
        assert_eq!(
            realm_from_ntlm_challenge(&challenge(vec![(AV_NB_DOMAIN, utf16("CONTOSO"))])),
            None
        );
        assert_eq!(
            realm_from_ntlm_challenge(&challenge(vec![(AV_DNS_DOMAIN, vec![0x41])])),
            None
        );
        assert_eq!(
            realm_from_ntlm_challenge(&challenge(vec![(AV_DNS_DOMAIN, vec![0x00, 0xd8])])),
            None
        );
        for bad in ["", ".", "a..b", "a b.c", "x/y", &"a".repeat(64)] {
            assert_eq!(realm_from_dns_domain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn srv_names_in_order() {
        assert_eq!(
            kdc_srv_names("CONTOSO.COM", None),
            vec![
                "_kerberos._tcp.CONTOSO.COM".to_owned(),
                "_kerberos._tcp.dc._msdcs.contoso.com".to_owned()
            ]
        );
        assert_eq!(
            kdc_srv_names("CORP.CONTOSO.COM", Some("corp.contoso.com.")),
            vec![
                "_kerberos._tcp.CORP.CONTOSO.COM".to_owned(),
                "_kerberos._tcp.dc._msdcs.corp.contoso.com".to_owned()
            ]
        );
        assert!(kdc_srv_names("BAD REALM", None).is_empty());
        assert!(kdc_srv_names("R.TEST", Some("a..b")).is_empty());
    }
}
