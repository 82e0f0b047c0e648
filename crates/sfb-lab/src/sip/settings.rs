//! The bodies of the replies to the settings requests a client sends after REGISTER.
//!
//! | request | reply body | source |
//! | --- | --- | --- |
//! | SUBSCRIBE `vnd-microsoft-provisioning-v2` | `provisionGroupList` (`.../provisiongrouplist-notification`), one `provisionGroup` per requested `provisioningGroup` | [MS-SIPREGE] 2.2.2.4, 2.2.2.5 (root, group names, the request/response spelling); element names inside ServerConfiguration from protocol.md §6.2 (UCMA dump + pidgin-sipe); values [RECON] |
//! | SUBSCRIBE `vnd-microsoft-roaming-contacts` | `contactList` with `group` and `contact` elements | [MS-SIP] 9.1 (contact schema: `deltaNum`, `group id/name`, `contact uri/name/groups/subscribed`) |
//! | SUBSCRIBE `vnd-microsoft-roaming-self` | `roamingData` with `categories`, `containers`, `subscribers` | element names from the request's `roamingList` types (protocol.md §6.2, [MS-PRES]); content [RECON] |
//! | SERVICE `;opaque=app:locationprofile:get` | `LocationProfileDescription` | [MS-SIPRE] 2.2.8, Appendix B (Name, Rule{Pattern, Translation, InternalEnterpriseExtension, ApplicableForDeviceDialing}, ExternalAccessPrefix, OptimizeDeviceDialing) |
//! | SUBSCRIBE `presence` with `Require: adhoclist, categoryList` | `multipart/related`: an `application/rlmi+xml` part (RFC 4662) and one `application/msrtc-event-categories+xml` part per resource | [MS-PRES] 2.2.2.4 (batched subscription), RFC 4662; category content [RECON] |

use crate::directory::{Directory, User};

/// The dial plan name announced in provisioning (`ucLocationProfile`) and answered by the
/// location profile SERVICE.
pub(crate) const DIAL_PLAN: &str = "ContosoLab.contoso.test";

/// The `multipart/related` boundary of the batched presence reply.
pub(crate) const BOUNDARY: &str = "lab-presence-boundary";

/// Escapes text for an XML attribute or element.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// At most this many group names are read from a provisioning request.
const MAX_GROUPS: usize = 32;

/// The group names a `provisioningGroupList` asks for (`name="..."` of each
/// `provisioningGroup`), in order, at most [`MAX_GROUPS`]; an empty or unreadable body asks for
/// the groups pidgin-sipe asks for.
pub(crate) fn requested_groups(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap_or("");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<provisioningGroup ") {
        rest = rest.get(i + 19..).unwrap_or("");
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = rest.get(..end).unwrap_or("");
        if let Some(n) = tag.find("name=\"") {
            let v = tag.get(n + 6..).unwrap_or("");
            let v = v.get(..v.find('"').unwrap_or(v.len())).unwrap_or("");
            if !v.is_empty() && v.len() <= 64 && !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
        if out.len() >= MAX_GROUPS {
            break;
        }
    }
    if out.is_empty() {
        for g in [
            "ServerConfiguration",
            "meetingPolicy",
            "persistentChatConfiguration",
            "ucPolicy",
        ] {
            out.push(g.to_owned());
        }
    }
    out
}

/// What the provisioning reply needs to know about the deployment.
pub(crate) struct ProvisioningContext<'a> {
    pub(crate) user: &'a User,
    pub(crate) pool_fqdn: &'a str,
    pub(crate) edge_fqdn: &'a str,
    pub(crate) sip_domain: &'a str,
}

fn properties(pairs: &[(&str, &str)]) -> String {
    let mut s = String::from("<propertyEntryList>");
    for (k, v) in pairs {
        s.push_str(&format!("<property name=\"{k}\">{v}</property>"));
    }
    s.push_str("</propertyEntryList>");
    s
}

/// The `provisionGroupList` for the requested groups.
pub(crate) fn provisioning(ctx: &ProvisioningContext<'_>, groups: &[String]) -> String {
    let uri = xml_escape(&ctx.user.sip_uri);
    let pool = xml_escape(ctx.pool_fqdn);
    let edge = xml_escape(ctx.edge_fqdn);
    let domain = xml_escape(ctx.sip_domain);
    let mut s = String::from(
        "<provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\">",
    );
    for g in groups {
        let name = xml_escape(g);
        let inner = match g.as_str() {
            "ServerConfiguration" => format!(
                "<absInternalServerUrl>https://{pool}/abs/handler</absInternalServerUrl>\
                 <absExternalServerUrl>https://webext.{domain}/abs/handler</absExternalServerUrl>\
                 <absWebServiceEnabled>true</absWebServiceEnabled>\
                 <dlxInternalUrl>https://{pool}/groupexpansion/service.svc</dlxInternalUrl>\
                 <dlxExternalUrl>https://webext.{domain}/groupexpansion/service.svc</dlxExternalUrl>\
                 <dlxEnabled>true</dlxEnabled>\
                 <focusFactoryUri>{uri};gruu;opaque=app:conf:focusfactory</focusFactoryUri>\
                 <mrasUri>sip:{edge}@{domain};gruu;opaque=srvr:MRAS:lab</mrasUri>\
                 <poolUri>{pool}</poolUri>\
                 <ucLocationProfile>{DIAL_PLAN}</ucLocationProfile>\
                 <ucPC2PCAVEncryption>SupportEncryption</ucPC2PCAVEncryption>\
                 <ucPortRangeEnabled>false</ucPortRangeEnabled>\
                 <ucEnableSipSecurityMode>High</ucEnableSipSecurityMode>\
                 <ucEnableUserLogging>true</ucEnableUserLogging>\
                 <loggingLevel>Light</loggingLevel>\
                 <lisInternalUrl>https://{pool}/locationinformation/liservice.svc</lisInternalUrl>\
                 <botSipUriForTestCall>sip:testbot@{domain}</botSipUriForTestCall>"
            ),
            "userSetting" => format!(
                "<disableFileTransfer>false</disableFileTransfer>\
                 <ucUserLocationProfile>{DIAL_PLAN}</ucUserLocationProfile>\
                 <commonAreaPhone>false</commonAreaPhone>"
            ),
            "meetingPolicy" => properties(&[
                ("AllowIPAudio", "true"),
                ("AllowIPVideo", "true"),
                ("AllowUserToScheduleMeetingsWithAppSharing", "true"),
                ("MaxMeetingSize", "250"),
            ]),
            "ucPolicy" => properties(&[
                ("EnterpriseVoiceEnabled", "false"),
                ("AllowSimulRing", "true"),
                ("AllowCallForwarding", "true"),
            ]),
            "persistentChatConfiguration" => properties(&[("EnablePersistentChat", "false")]),
            "endpointConfiguration" => properties(&[
                ("ShowRecentContacts", "true"),
                ("ShowManagePrivacyRelationships", "true"),
                ("MaxPhotoSizeKB", "30"),
                ("EnableTracing", "true"),
            ]),
            "presencePolicyV2" => properties(&[("EnablePrivacyMode", "false")]),
            _ => String::new(),
        };
        if inner.is_empty() {
            s.push_str(&format!("<provisionGroup name=\"{name}\"/>"));
        } else {
            s.push_str(&format!(
                "<provisionGroup name=\"{name}\">{inner}</provisionGroup>"
            ));
        }
    }
    s.push_str("</provisionGroupList>");
    s
}

/// The roaming contacts: two groups and the other users of the directory as contacts.
pub(crate) fn contact_list(dir: &Directory, me: &User) -> String {
    let mut s = String::from(
        "<contactList deltaNum=\"7\" xmlns=\"http://schemas.microsoft.com/sip/types\">\
         <group id=\"1\" name=\"~\" externalURI=\"\"/>\
         <group id=\"2\" name=\"Lab colleagues\" externalURI=\"\"/>",
    );
    for u in dir.users.iter().filter(|u| u.sip_uri != me.sip_uri) {
        let name = u
            .sip_uri
            .strip_prefix("sip:")
            .and_then(|a| a.split('@').next())
            .unwrap_or("");
        s.push_str(&format!(
            "<contact uri=\"{}\" name=\"{}\" groups=\"1 2\" subscribed=\"true\" externalURI=\"\"/>",
            xml_escape(&u.sip_uri),
            xml_escape(name)
        ));
    }
    s.push_str(&format!(
        "<contact uri=\"sip:helpdesk@{}\" name=\"Helpdesk\" groups=\"2\" subscribed=\"true\" externalURI=\"\"/>",
        xml_escape(&dir.sip_domain)
    ));
    s.push_str("</contactList>");
    s
}

/// The roaming self data: the user's own categories, containers and subscribers.
pub(crate) fn roaming_self(me: &User, publish_time: &str) -> String {
    let uri = xml_escape(&me.sip_uri);
    format!(
        "<roamingData xmlns=\"http://schemas.microsoft.com/2006/09/sip/roaming-self\">\
         <categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\" uri=\"{uri}\">\
         <category name=\"note\" instance=\"0\" publishTime=\"{publish_time}\" container=\"400\" version=\"1\" expireType=\"static\">\
         <note xmlns=\"http://schemas.microsoft.com/2006/09/sip/note\"><body type=\"personal\" uri=\"\">Signed in to the sfb lab</body></note>\
         </category>\
         <category name=\"state\" instance=\"0\" publishTime=\"{publish_time}\" container=\"2\" version=\"1\" expireType=\"user\">\
         <state xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\" manual=\"true\" type=\"userState\"><availability>3500</availability></state>\
         </category>\
         </categories>\
         <containers xmlns=\"http://schemas.microsoft.com/2006/09/sip/container-management\">\
         <container id=\"100\" version=\"0\" name=\"\"/><container id=\"200\" version=\"0\" name=\"\"/>\
         <container id=\"300\" version=\"0\" name=\"\"/><container id=\"400\" version=\"0\" name=\"\"/>\
         </containers>\
         <subscribers xmlns=\"http://schemas.microsoft.com/2006/09/sip/presence-subscribers\"/>\
         </roamingData>"
    )
}

/// The location profile (dial plan) with a few normalization rules.
pub(crate) fn location_profile() -> String {
    let rule = |p: &str, t: &str, internal: bool| {
        format!(
            "<Rule><Pattern>{}</Pattern><Translation>{}</Translation>\
             <InternalEnterpriseExtension>{internal}</InternalEnterpriseExtension>\
             <ApplicableForDeviceDialing>false</ApplicableForDeviceDialing></Rule>",
            xml_escape(p),
            xml_escape(t)
        )
    };
    let mut s = String::from(
        "<LocationProfileDescription xmlns=\"http://schemas.microsoft.com/2007/03/LocationProfileDescription\">",
    );
    s.push_str(&format!("<Name>{DIAL_PLAN}</Name>"));
    s.push_str(&rule("^(\\d{4})$", "+1425555$1", true));
    s.push_str(&rule("^(\\d{7})$", "+1425$1", false));
    s.push_str(&rule("^(\\d{10})$", "+1$1", false));
    s.push_str(&rule("^011(\\d*)$", "+$1", false));
    s.push_str(&rule("^\\+?(\\d*)$", "+$1", false));
    s.push_str("<ExternalAccessPrefix>9</ExternalAccessPrefix>");
    s.push_str("<OptimizeDeviceDialing>false</OptimizeDeviceDialing>");
    s.push_str("</LocationProfileDescription>");
    s
}

/// At most this many resources are answered from one batched subscription.
const MAX_RESOURCES: usize = 64;

/// The resource URIs of a `batchSub` body (`<resource uri="...">`), at most
/// [`MAX_RESOURCES`].
pub(crate) fn batch_resources(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap_or("");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<resource ") {
        rest = rest.get(i + 10..).unwrap_or("");
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = rest.get(..end).unwrap_or("");
        if let Some(n) = tag.find("uri=\"") {
            let v = tag.get(n + 5..).unwrap_or("");
            let v = v.get(..v.find('"').unwrap_or(v.len())).unwrap_or("");
            if !v.is_empty() && v.len() <= 256 {
                out.push(v.to_owned());
            }
        }
        if out.len() >= MAX_RESOURCES {
            break;
        }
    }
    out
}

/// The batched presence reply: an RLMI list and one categories document per resource.
/// Directory users are online (3500, "Available"); anyone else is unknown (no categories).
pub(crate) fn batch_presence(
    dir: &Directory,
    me: &User,
    resources: &[String],
    now: &str,
) -> String {
    let me_uri = xml_escape(&me.sip_uri);
    let mut rlmi = format!(
        "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"{me_uri}\" version=\"0\" fullState=\"false\">"
    );
    let mut parts = String::new();
    for (i, r) in resources.iter().enumerate() {
        let uri = xml_escape(r);
        let cid = format!("res{i}@lab");
        let known = dir.by_sip_uri(r).is_some();
        let state = if known { "active" } else { "terminated" };
        rlmi.push_str(&format!(
            "<resource uri=\"{uri}\"><instance id=\"{i}\" state=\"{state}\" cid=\"{cid}\"/></resource>"
        ));
        let body = if known {
            format!(
                "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\" uri=\"{uri}\">\
                 <category name=\"state\" instance=\"0\" publishTime=\"{now}\">\
                 <state xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\" manual=\"false\" type=\"aggregateState\"><availability>3500</availability></state>\
                 </category>\
                 <category name=\"contactCard\" instance=\"0\" publishTime=\"{now}\">\
                 <contactCard xmlns=\"http://schemas.microsoft.com/2006/09/sip/contactcard\"><identity><name><displayName>{uri}</displayName></name></identity></contactCard>\
                 </category>\
                 </categories>"
            )
        } else {
            format!(
                "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\" uri=\"{uri}\"/>"
            )
        };
        parts.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\
             Content-Type: application/msrtc-event-categories+xml\r\n\r\n{body}\r\n"
        ));
    }
    rlmi.push_str("</list>");
    format!(
        "--{BOUNDARY}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <rlmi@lab>\r\n\
         Content-Type: application/rlmi+xml\r\n\r\n{rlmi}\r\n{parts}--{BOUNDARY}--\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_read_and_bounded() {
        let body = br#"<provisioningGroupList xmlns="x"><provisioningGroup name="ServerConfiguration"/><provisioningGroup name="ucPolicy"/><provisioningGroup name="ucPolicy"/></provisioningGroupList>"#;
        assert_eq!(requested_groups(body), ["ServerConfiguration", "ucPolicy"]);
        assert_eq!(requested_groups(b"").len(), 4);
        let many: String = (0..100)
            .map(|i| format!("<provisioningGroup name=\"g{i}\"/>"))
            .collect();
        assert_eq!(requested_groups(many.as_bytes()).len(), MAX_GROUPS);
        assert_eq!(
            requested_groups(b"<provisioningGroup name=\"unterminated").len(),
            1
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(xml_escape("a<b&\"c'>"), "a&lt;b&amp;&quot;c&apos;&gt;");
        let r = batch_resources(b"<resource uri=\"sip:a@b\"/><resource uri=\"\"/><resource ");
        assert_eq!(r, ["sip:a@b"]);
    }
}
