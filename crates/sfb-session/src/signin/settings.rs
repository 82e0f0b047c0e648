//! Step 5: the settings requests a signed-in client sends, in the real client's order, and
//! what is read from their answers.
//!
//! Each row: the request, the expected answer, what is extracted, and the rule. `(P)` =
//! protocol.md §6.2 (which cites [MS-SIPREGE], [MS-PRES], [MS-SIPRE] or pidgin-sipe), `(S)` =
//! sipe-notes.md §5, `(R)` = reconstructed (no capture or spec text seen; verify).
//!
//! Every request carries `From`/`To` = self, the GRUU as Contact when the 200 OK gave one,
//! and for SUBSCRIBEs the common self-subscription headers `Supported:
//! com.microsoft.autoextend`, `Supported: ms-benotify`, `Proxy-Require: ms-benotify`,
//! `Supported: ms-piggyback-first-notify` (P §6.2).
//!
//! | # | item | Request-URI | Event | Accept | Content-Type + body | Require / Supported | expected | extracted | pass / warn / fail |
//! | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
//! | 1 | provisioning v2 | self (P) | `vnd-microsoft-provisioning-v2` (P) | `application/vnd-microsoft-roaming-provisioning-v2+xml` (P) | same type; `provisioningGroupList` of ServerConfiguration, meetingPolicy, ucPolicy, persistentChatConfiguration, userSetting, endpointConfiguration, locationPolicy (P); `Expires: 0` (P) | common | 200 with the body piggybacked (`ms-piggyback-cseq`, `subscription-state: terminated`) (P) or a later (BE)NOTIFY | group names; every `*Url`/`*Uri` element of ServerConfiguration; `ucLocationProfile` / `ucUserLocationProfile` (P) | 2xx with ServerConfiguration: pass; 2xx without a body: warn (nothing to read) (R); other: fail (the client cannot get its configuration) (R) |
//! | 2 | roaming contacts | self (S) | `vnd-microsoft-roaming-contacts` (S) | `application/vnd-microsoft-roaming-contacts+xml` (S) | none | `Supported: ms-ucs` (S) | 200, contacts piggybacked or NOTIFYed | contact and group counts; UCS mode | 2xx: pass; 488 or `ucsmode="migrated"`: pass, contacts in Exchange (S); other: warn (R) |
//! | 3 | roaming self | self (P) | `vnd-microsoft-roaming-self` (P) | `application/vnd-microsoft-roaming-self+xml` (P) | same type; `roamingList` of categories, containers, subscribers (P) | common | 200 | category count | 2xx: pass; other: warn (R) |
//! | 4 | location profile | `self;opaque=app:locationprofile:get;default` (P) | none | `application/ms-location-profile-definition+xml` (R) | same type; `<GetLocationProfile>` naming the profile from provisioning (R) | none | 200 with `LocationProfileDescription` (P) | profile name, rules (pattern → translation), external access prefix (P) | 2xx with a profile: pass; 2xx empty or 404: pass, no dial plan (a user without Enterprise Voice) (R); other: warn (R) |
//! | 5 | batched presence | self (P) | `presence` (P) | `application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related` (P) | `application/msrtc-adrl-categorylist+xml`; `batchSub` for self with calendarData, contactCard, note, services, state (P) | `Require: adhoclist, categoryList`, `Supported: eventlist` (P) | 200, categories piggybacked or (BE)NOTIFYed | availability, activity, note | 2xx: pass; other: warn (R) |

use std::collections::BTreeMap;

use quick_xml::events::Event as XmlEvent;
use quick_xml::reader::Reader;

/// One settings request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettingsItem {
    /// In-band provisioning v2.
    Provisioning,
    /// Roaming contacts.
    RoamingContacts,
    /// Roaming self.
    RoamingSelf,
    /// The location profile (dial plan).
    LocationProfile,
    /// The batched presence subscription.
    Presence,
}

impl SettingsItem {
    /// In the real client's order.
    pub const ALL: [Self; 5] = [
        Self::Provisioning,
        Self::RoamingContacts,
        Self::RoamingSelf,
        Self::LocationProfile,
        Self::Presence,
    ];

    /// A short stable name (`provisioning`, `roaming_contacts`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::RoamingContacts => "roaming_contacts",
            Self::RoamingSelf => "roaming_self",
            Self::LocationProfile => "location_profile",
            Self::Presence => "presence",
        }
    }

    /// The `Event` package this item's notifications carry.
    pub(crate) fn event(self) -> Option<&'static str> {
        match self {
            Self::Provisioning => Some("vnd-microsoft-provisioning-v2"),
            Self::RoamingContacts => Some("vnd-microsoft-roaming-contacts"),
            Self::RoamingSelf => Some("vnd-microsoft-roaming-self"),
            Self::LocationProfile => None,
            Self::Presence => Some("presence"),
        }
    }

    /// The item whose notifications carry this `Event`.
    pub(crate) fn from_event(event: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|i| i.event().is_some_and(|e| e.eq_ignore_ascii_case(event)))
    }
}

/// A request to build: method, Request-URI, headers (beyond the common ones) and body.
pub(crate) struct SettingsRequest {
    pub(crate) method: &'static str,
    pub(crate) uri: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: String,
}

const COMMON_SUBSCRIBE: [(&str, &str); 4] = [
    ("Supported", "com.microsoft.autoextend"),
    ("Supported", "ms-benotify"),
    ("Proxy-Require", "ms-benotify"),
    ("Supported", "ms-piggyback-first-notify"),
];

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The request for `item` (see the module table). `profile` is `ucLocationProfile` from
/// provisioning, if any.
pub(crate) fn request(
    item: SettingsItem,
    self_uri: &str,
    profile: Option<&str>,
) -> SettingsRequest {
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    let subscribe_common = |h: &mut Vec<(&'static str, String)>| {
        for (n, v) in COMMON_SUBSCRIBE {
            h.push((n, v.to_owned()));
        }
    };
    match item {
        SettingsItem::Provisioning => {
            let t = "application/vnd-microsoft-roaming-provisioning-v2+xml";
            headers.push(("Event", "vnd-microsoft-provisioning-v2".into()));
            headers.push(("Accept", t.into()));
            headers.push(("Content-Type", t.into()));
            headers.push(("Expires", "0".into()));
            subscribe_common(&mut headers);
            let groups = [
                "ServerConfiguration",
                "meetingPolicy",
                "ucPolicy",
                "persistentChatConfiguration",
                "userSetting",
                "endpointConfiguration",
                "locationPolicy",
            ];
            let mut body = String::from(
                "<provisioningGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist\">",
            );
            for g in groups {
                body.push_str(&format!("<provisioningGroup name=\"{g}\"/>"));
            }
            body.push_str("</provisioningGroupList>");
            SettingsRequest {
                method: "SUBSCRIBE",
                uri: self_uri.to_owned(),
                headers,
                body,
            }
        }
        SettingsItem::RoamingContacts => {
            headers.push(("Event", "vnd-microsoft-roaming-contacts".into()));
            headers.push((
                "Accept",
                "application/vnd-microsoft-roaming-contacts+xml".into(),
            ));
            headers.push(("Supported", "ms-ucs".into()));
            subscribe_common(&mut headers);
            SettingsRequest {
                method: "SUBSCRIBE",
                uri: self_uri.to_owned(),
                headers,
                body: String::new(),
            }
        }
        SettingsItem::RoamingSelf => {
            let t = "application/vnd-microsoft-roaming-self+xml";
            headers.push(("Event", "vnd-microsoft-roaming-self".into()));
            headers.push(("Accept", t.into()));
            headers.push(("Content-Type", t.into()));
            subscribe_common(&mut headers);
            SettingsRequest {
                method: "SUBSCRIBE",
                uri: self_uri.to_owned(),
                headers,
                body: "<roamingList xmlns=\"http://schemas.microsoft.com/2006/09/sip/roaming-self\"><roaming type=\"categories\"/><roaming type=\"containers\"/><roaming type=\"subscribers\"/></roamingList>".into(),
            }
        }
        SettingsItem::LocationProfile => {
            let t = "application/ms-location-profile-definition+xml";
            headers.push(("Accept", t.into()));
            headers.push(("Content-Type", t.into()));
            let body = match profile {
                Some(p) => format!(
                    "<GetLocationProfile xmlns=\"http://schemas.microsoft.com/2007/03/LocationProfileDescription\" name=\"{}\"/>",
                    xml_escape(p)
                ),
                None => "<GetLocationProfile xmlns=\"http://schemas.microsoft.com/2007/03/LocationProfileDescription\"/>".into(),
            };
            SettingsRequest {
                method: "SERVICE",
                uri: format!("{self_uri};opaque=app:locationprofile:get;default"),
                headers,
                body,
            }
        }
        SettingsItem::Presence => {
            headers.push(("Event", "presence".into()));
            headers.push((
                "Accept",
                "application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related"
                    .into(),
            ));
            headers.push(("Supported", "ms-benotify".into()));
            headers.push(("Proxy-Require", "ms-benotify".into()));
            headers.push(("Supported", "ms-piggyback-first-notify".into()));
            headers.push(("Require", "adhoclist, categoryList".into()));
            headers.push(("Supported", "eventlist".into()));
            headers.push((
                "Content-Type",
                "application/msrtc-adrl-categorylist+xml".into(),
            ));
            let me = xml_escape(self_uri);
            let body = format!(
                "<batchSub xmlns=\"http://schemas.microsoft.com/2006/01/sip/batch-subscribe\" uri=\"{me}\" name=\"\"><action name=\"subscribe\" id=\"1\"><adhocList><resource uri=\"{me}\"/></adhocList><categoryList xmlns=\"http://schemas.microsoft.com/2006/09/sip/categorylist\"><category name=\"calendarData\"/><category name=\"contactCard\"/><category name=\"note\"/><category name=\"services\"/><category name=\"state\"/></categoryList></action></batchSub>"
            );
            SettingsRequest {
                method: "SUBSCRIBE",
                uri: self_uri.to_owned(),
                headers,
                body,
            }
        }
    }
}

/// Limits on a settings body.
const MAX_BODY: usize = 1024 * 1024;
const MAX_NODES: usize = 20_000;
const MAX_DEPTH: usize = 64;
/// Most values kept in a list (URLs, rules, groups).
pub(crate) const MAX_ITEMS: usize = 64;
const MAX_TEXT: usize = 512;

/// One element: local name, attributes, direct text, depth and the local names of its
/// ancestors' path (outermost first).
#[derive(Debug, Clone, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    path: Vec<String>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Flattens a document into its elements, bounded; `Err` names the fault.
fn nodes(body: &[u8]) -> Result<Vec<Node>, String> {
    if body.len() > MAX_BODY {
        return Err("body larger than 1 MiB".into());
    }
    let mut reader = Reader::from_reader(body);
    let mut out: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?;
        match ev {
            XmlEvent::DocType(_) => return Err("DOCTYPE not accepted".into()),
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                if out.len() >= MAX_NODES {
                    return Err("too many XML elements".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err("XML nested too deep".into());
                }
                let name = e.local_name().as_ref().to_owned();
                let mut attrs = Vec::new();
                for a in e.attributes().take(32).flatten() {
                    let k = a.key.local_name().as_ref().to_owned();
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    attrs.push((k, v.chars().take(MAX_TEXT).collect()));
                }
                let path = stack.iter().map(|i| out[*i].name.clone()).collect();
                out.push(Node {
                    name,
                    attrs,
                    text: String::new(),
                    path,
                });
                if matches!(ev, XmlEvent::Start(_)) {
                    stack.push(out.len() - 1);
                }
            }
            XmlEvent::End(_) => {
                stack.pop();
            }
            XmlEvent::Text(t) => {
                if let Some(i) = stack.last() {
                    let n = &mut out[*i];
                    if n.text.len() < MAX_TEXT {
                        n.text
                            .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                    }
                }
            }
            XmlEvent::CData(t) => {
                if let Some(i) = stack.last() {
                    let n = &mut out[*i];
                    if n.text.len() < MAX_TEXT {
                        n.text
                            .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                    }
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some(i) = stack.last() {
                    let c = match r.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    };
                    out[*i].text.push_str(c);
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    for n in &mut out {
        n.text = n.text.trim().chars().take(MAX_TEXT).collect();
    }
    Ok(out)
}

/// What one item's answer said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Named facts (`location_profile`, `contact_count`, `availability`, ...).
    pub fields: BTreeMap<String, String>,
    /// Listed facts (`name = value` lines: provisioning URLs, dial-plan rules).
    pub items: Vec<String>,
}

impl Extracted {
    fn set(&mut self, k: &str, v: impl Into<String>) {
        self.fields.insert(k.to_owned(), v.into());
    }

    fn item(&mut self, v: String) {
        if self.items.len() < MAX_ITEMS {
            self.items.push(v);
        }
    }
}

/// Reads a body of `item` (from a 200 OK or a NOTIFY/BENOTIFY). A body the item does not
/// understand gives an `error` field.
pub(crate) fn extract(item: SettingsItem, body: &[u8]) -> Extracted {
    let mut x = Extracted::default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return x;
    }
    // multipart/related (presence): read every XML part; the scanner skips the MIME text.
    let start = body.iter().position(|b| *b == b'<').unwrap_or(0);
    let body = &body[start..];
    let parsed = if item == SettingsItem::Presence {
        Ok(xml_parts(body))
    } else {
        nodes(body)
    };
    let ns = match parsed {
        Ok(ns) => ns,
        Err(e) => {
            x.set("error", e);
            return x;
        }
    };
    match item {
        SettingsItem::Provisioning => provisioning(&ns, &mut x),
        SettingsItem::RoamingContacts => contacts(&ns, &mut x),
        SettingsItem::RoamingSelf => {
            let n = ns.iter().filter(|n| n.name == "category").count();
            x.set("category_count", n.to_string());
            let c = ns.iter().filter(|n| n.name == "container").count();
            x.set("container_count", c.to_string());
        }
        SettingsItem::LocationProfile => location_profile(&ns, &mut x),
        SettingsItem::Presence => presence(&ns, &mut x),
    }
    x
}

/// The XML parts of a multipart body (each `<?xml` or `<` run up to the next boundary).
fn xml_parts(body: &[u8]) -> Vec<Node> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for part in text.split("\r\n--") {
        let Some(i) = part.find('<') else { continue };
        if let Ok(mut ns) = nodes(&part.as_bytes()[i..]) {
            out.append(&mut ns);
        }
        if out.len() > MAX_NODES {
            break;
        }
    }
    out
}

fn provisioning(ns: &[Node], x: &mut Extracted) {
    let groups: Vec<&str> = ns
        .iter()
        .filter(|n| n.name == "provisionGroup" || n.name == "provisioningGroup")
        .filter_map(|n| n.attr("name"))
        .collect();
    x.set("groups", groups.join(","));
    x.set(
        "server_configuration",
        groups.contains(&"ServerConfiguration").to_string(),
    );
    for n in ns {
        let lname = n.name.to_ascii_lowercase();
        if (lname.ends_with("url") || lname.ends_with("uri")) && !n.text.is_empty() {
            x.item(format!("{} = {}", n.name, n.text));
        }
        if (n.name == "ucLocationProfile" || n.name == "ucUserLocationProfile")
            && !n.text.is_empty()
        {
            x.set("location_profile", n.text.clone());
        }
    }
    let n_urls = x.items.len();
    x.set("url_count", n_urls.to_string());
}

fn contacts(ns: &[Node], x: &mut Extracted) {
    let count = ns.iter().filter(|n| n.name == "contact").count();
    let groups = ns.iter().filter(|n| n.name == "group").count();
    x.set("contact_count", count.to_string());
    x.set("group_count", groups.to_string());
    if let Some(mode) = ns.iter().find_map(|n| n.attr("ucsmode")) {
        x.set("ucs_mode", mode);
    }
}

fn location_profile(ns: &[Node], x: &mut Extracted) {
    if let Some(n) = ns
        .iter()
        .find(|n| n.name == "Name" && n.path.iter().all(|p| p != "Rule"))
    {
        x.set("name", n.text.clone());
    }
    if let Some(n) = ns.iter().find(|n| n.name == "ExternalAccessPrefix") {
        x.set("external_access_prefix", n.text.clone());
    }
    let mut rules = 0usize;
    let mut pattern: Option<String> = None;
    for n in ns {
        match n.name.as_str() {
            "Rule" => rules += 1,
            "Pattern" => pattern = Some(n.text.clone()),
            "Translation" => {
                let p = pattern.take().unwrap_or_default();
                x.item(format!("{p} -> {}", n.text));
            }
            _ => {}
        }
    }
    x.set("rule_count", rules.to_string());
    x.set(
        "profile_present",
        ns.iter()
            .any(|n| n.name == "LocationProfileDescription")
            .to_string(),
    );
}

fn presence(ns: &[Node], x: &mut Extracted) {
    if let Some(n) = ns
        .iter()
        .find(|n| n.name == "availability" && !n.text.is_empty())
    {
        x.set("availability", n.text.clone());
    }
    if let Some(n) = ns.iter().find(|n| n.name == "activity") {
        if let Some(t) = n.attr("token") {
            x.set("activity", t);
        } else if !n.text.is_empty() {
            x.set("activity", n.text.clone());
        }
    }
    if let Some(n) = ns
        .iter()
        .find(|n| n.name == "body" && n.path.iter().any(|p| p == "note"))
    {
        x.set("note", n.text.clone());
    }
    let cats = ns.iter().filter(|n| n.name == "category").count();
    x.set("category_count", cats.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_body() {
        let b = br#"<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification">
<provisionGroup name="ServerConfiguration"><absInternalServerUrl>https://pool1.contoso.test/abs/handler</absInternalServerUrl>
<focusFactoryUri>sip:alice@contoso.test;gruu;opaque=app:conf:focusfactory</focusFactoryUri><ucLocationProfile>Redmond</ucLocationProfile>
<dlxInternalUrl>https://x/a?b=1&amp;c=2</dlxInternalUrl></provisionGroup><provisionGroup name="ucPolicy"/></provisionGroupList>"#;
        let x = extract(SettingsItem::Provisioning, b);
        assert_eq!(x.fields["groups"], "ServerConfiguration,ucPolicy");
        assert_eq!(x.fields["server_configuration"], "true");
        assert_eq!(x.fields["location_profile"], "Redmond");
        assert_eq!(x.fields["url_count"], "3");
        assert!(
            x.items
                .contains(&"dlxInternalUrl = https://x/a?b=1&c=2".to_owned()),
            "{x:?}"
        );
    }

    #[test]
    fn location_profile_body() {
        let b = br#"<LocationProfileDescription xmlns="http://schemas.microsoft.com/2007/03/LocationProfileDescription"><Name>Redmond</Name>
<Rule><Pattern>^(\d{4})$</Pattern><Translation>+1425555$1</Translation></Rule><Rule><Pattern>^9(\d+)$</Pattern><Translation>+$1</Translation></Rule>
<ExternalAccessPrefix>9</ExternalAccessPrefix></LocationProfileDescription>"#;
        let x = extract(SettingsItem::LocationProfile, b);
        assert_eq!(x.fields["name"], "Redmond");
        assert_eq!(x.fields["rule_count"], "2");
        assert_eq!(x.items[0], r"^(\d{4})$ -> +1425555$1");
        assert_eq!(x.fields["external_access_prefix"], "9");
    }

    #[test]
    fn hostile_bodies() {
        let deep = "<a>".repeat(100);
        let x = extract(SettingsItem::RoamingSelf, deep.as_bytes());
        assert!(x.fields.contains_key("error"));
        let x = extract(
            SettingsItem::Provisioning,
            b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
        );
        assert!(x.fields["error"].contains("DOCTYPE"));
        let x = extract(SettingsItem::RoamingContacts, b"<a><b></a>");
        assert!(x.fields.contains_key("error"));
        assert!(extract(SettingsItem::Presence, b"\r\n").fields.is_empty());
    }
}
