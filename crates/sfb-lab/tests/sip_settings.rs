//! The replies to the settings requests after sign-in: each parses with the codec, is signed,
//! carries a well-formed XML body (checked with quick-xml) with the expected content.

mod sip_support;

use sfb_lab::directory::PoolId;
use sfb_lab::scenario::Scenario;
use sfb_lab::sip::Role;
use sfb_sip_codec::OwnedMessage;
use sip_support::*;

fn signed_in() -> Client {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
    c
}

/// Reads the whole document; returns the local names of the elements in order.
fn xml_elements(body: &[u8]) -> Vec<String> {
    let mut r = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut names = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                names.push(e.local_name().into_inner().to_owned());
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}: {}", String::from_utf8_lossy(body)),
        }
        buf.clear();
    }
    names
}

fn body(m: &OwnedMessage) -> String {
    String::from_utf8(m.message().body().to_vec()).unwrap()
}

const SUB: [(&str, &str); 4] = [
    ("Supported", "com.microsoft.autoextend"),
    ("Supported", "ms-benotify"),
    ("Proxy-Require", "ms-benotify"),
    ("Supported", "ms-piggyback-first-notify"),
];

fn subscribe(c: &mut Client, extra: &[(&str, &str)], body: &[u8]) -> OwnedMessage {
    let mut h: Vec<(&str, &str)> = SUB.to_vec();
    h.push((
        "Contact",
        "<sip:alice@contoso.test;opaque=user:epid:4233FD41093B5FD6B5D265;gruu>",
    ));
    h.extend_from_slice(extra);
    let r = c.signed("SUBSCRIBE", "sip:alice@contoso.test", &h, body);
    c.verify(&r).unwrap();
    r
}

#[test]
fn provisioning_v2() {
    let mut c = signed_in();
    let req = br#"<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist"><provisioningGroup name="ServerConfiguration"/><provisioningGroup name="meetingPolicy"/><provisioningGroup name="userSetting"/><provisioningGroup name="publicProviders"/></provisioningGroupList>"#;
    let r = subscribe(
        &mut c,
        &[
            ("Event", "vnd-microsoft-provisioning-v2"),
            (
                "Accept",
                "application/vnd-microsoft-roaming-provisioning-v2+xml",
            ),
            (
                "Content-Type",
                "application/vnd-microsoft-roaming-provisioning-v2+xml",
            ),
            ("Expires", "0"),
        ],
        req,
    );
    assert_eq!(status(&r), 200);
    let m = r.message();
    assert_eq!(m.ms_piggyback_cseq().unwrap().unwrap(), 1);
    let ss = m.subscription_state().unwrap().unwrap();
    assert_eq!(ss.value, "terminated");
    assert_eq!(
        m.content_type().unwrap().unwrap().value,
        "application/vnd-microsoft-roaming-provisioning-v2+xml"
    );
    let b = body(&r);
    assert!(b.starts_with("<provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\">"), "{b}");
    let names = xml_elements(m.body());
    assert_eq!(names.iter().filter(|n| *n == "provisionGroup").count(), 4);
    assert!(b.contains("<ucLocationProfile>ContosoLab.contoso.test</ucLocationProfile>"));
    assert!(b.contains("<focusFactoryUri>sip:alice@contoso.test;gruu;opaque=app:conf:focusfactory</focusFactoryUri>"));
    assert!(b.contains(
        "<absInternalServerUrl>https://pool0.contoso.test/abs/handler</absInternalServerUrl>"
    ));
    assert!(b.contains("<property name=\"AllowIPAudio\">true</property>"));
    assert!(b.contains("<provisionGroup name=\"publicProviders\"/>"));
    // A wrong Accept: 406.
    let r = subscribe(
        &mut c,
        &[
            ("Event", "vnd-microsoft-provisioning-v2"),
            ("Accept", "text/plain"),
        ],
        b"",
    );
    assert_eq!(status(&r), 406);
}

#[test]
fn roaming_contacts_and_self() {
    let mut c = signed_in();
    let r = subscribe(
        &mut c,
        &[
            ("Event", "vnd-microsoft-roaming-contacts"),
            ("Accept", "application/vnd-microsoft-roaming-contacts+xml"),
            ("Supported", "ms-ucs"),
        ],
        b"",
    );
    assert_eq!(status(&r), 200);
    let names = xml_elements(r.message().body());
    assert_eq!(names.first().map(String::as_str), Some("contactList"));
    assert_eq!(names.iter().filter(|n| *n == "group").count(), 2);
    assert_eq!(names.iter().filter(|n| *n == "contact").count(), 2);
    assert!(body(&r).contains("uri=\"sip:bob@contoso.test\""));
    assert!(!body(&r).contains("uri=\"sip:alice@contoso.test\""));

    let r = subscribe(
        &mut c,
        &[
            ("Event", "vnd-microsoft-roaming-self"),
            ("Accept", "application/vnd-microsoft-roaming-self+xml"),
            ("Content-Type", "application/vnd-microsoft-roaming-self+xml"),
        ],
        br#"<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="categories"/><roaming type="containers"/><roaming type="subscribers"/></roamingList>"#,
    );
    assert_eq!(status(&r), 200);
    let names = xml_elements(r.message().body());
    for n in [
        "roamingData",
        "categories",
        "category",
        "containers",
        "subscribers",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
}

#[test]
fn location_profile() {
    let mut c = signed_in();
    let r = c.signed(
        "SERVICE",
        "sip:alice@contoso.test;opaque=app:locationprofile:get;default",
        &[("Content-Type", "application/ms-location-profile-definition+xml")],
        br#"<GetLocationProfiles xmlns="http://schemas.microsoft.com/2007/03/LocationProfileDescription"/>"#,
    );
    assert_eq!(status(&r), 200);
    c.verify(&r).unwrap();
    assert_eq!(
        r.message().content_type().unwrap().unwrap().value,
        "application/ms-location-profile-definition+xml"
    );
    let names = xml_elements(r.message().body());
    assert_eq!(
        names.first().map(String::as_str),
        Some("LocationProfileDescription")
    );
    assert_eq!(names.iter().filter(|n| *n == "Rule").count(), 5);
    assert!(body(&r).contains("<Name>ContosoLab.contoso.test</Name>"));
    assert!(body(&r).contains("<Translation>+1425555$1</Translation>"));
}

#[test]
fn batched_presence() {
    let mut c = signed_in();
    let req = br#"<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="sip:alice@contoso.test" name=""><action name="subscribe" id="63792024"><adhocList><resource uri="sip:bob@contoso.test"/><resource uri="sip:nobody@contoso.test"/></adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist"><category name="state"/></categoryList></action></batchSub>"#;
    let r = subscribe(
        &mut c,
        &[
            ("Event", "presence"),
            (
                "Accept",
                "application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related",
            ),
            ("Require", "adhoclist, categoryList"),
            ("Supported", "eventlist"),
            ("Content-Type", "application/msrtc-adrl-categorylist+xml"),
        ],
        req,
    );
    assert_eq!(status(&r), 200);
    let m = r.message();
    let ct = m.content_type().unwrap().unwrap();
    assert_eq!(ct.value, "multipart/related");
    let boundary = ct.params.value("boundary").unwrap().to_owned();
    let b = body(&r);
    let parts: Vec<&str> = b
        .split(&format!("--{boundary}"))
        .filter(|p| p.starts_with("\r\n"))
        .collect();
    assert_eq!(parts.len(), 3, "{b}");
    for p in &parts {
        let (_, xml) = p.split_once("\r\n\r\n").unwrap();
        xml_elements(xml.trim_end().as_bytes());
    }
    assert!(parts[0].contains("application/rlmi+xml"));
    assert!(parts[0].contains("uri=\"sip:bob@contoso.test\""));
    assert!(
        parts[0].contains("state=\"terminated\""),
        "unknown resource"
    );
    assert!(parts[1].contains("<availability>3500</availability>"));
}

#[test]
fn other_requests() {
    let mut c = signed_in();
    let r = subscribe(&mut c, &[("Event", "vnd-unknown")], b"");
    assert_eq!(status(&r), 489);
    let r = c.signed("MESSAGE", "sip:bob@contoso.test", &[], b"hi");
    assert_eq!(status(&r), 501);
    c.verify(&r).unwrap();
}
