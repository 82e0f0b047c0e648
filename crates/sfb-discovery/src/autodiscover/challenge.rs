//! The 401 the User resource answers with, read into what a WebTicket or OAuth client needs.
//!
//! [MS-OCDISCWS] 3.1.5.3: the User resource needs authentication. The desktop (WebTicket) form
//! carries `X-MS-WebTicketURL: <url>`; newer servers add `WWW-Authenticate: MsRtcOAuth
//! href="..",grant_type=".."` and `Bearer trusted_issuers="..",client_id=".."`
//! (UCWA "Authentication in UCWA"), and `X-MS-Server-Fqdn`.

use serde::Serialize;

use super::url::HttpUrl;

/// Most response headers examined.
const MAX_HEADERS: usize = 64;
/// Longest header value examined, in bytes.
const MAX_HEADER_VALUE: usize = 8192;
/// Most authentication schemes or parameters recorded.
const MAX_ITEMS: usize = 16;

/// What the User resource's 401 asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserChallenge {
    /// `X-MS-WebTicketURL`: the WebTicket service to get a ticket from, when it parses as a URL.
    pub web_ticket_url: Option<HttpUrl>,
    /// `WWW-Authenticate: MsRtcOAuth`: the OAuth token endpoint, when offered.
    pub oauth: Option<OAuthChallenge>,
    /// The schemes of every `WWW-Authenticate` header (`Bearer`, `MsRtcOAuth`, `Negotiate`, ...).
    pub schemes: Vec<String>,
    /// `X-MS-Server-Fqdn`: the front end that answered.
    pub server_fqdn: Option<String>,
}

/// `WWW-Authenticate: MsRtcOAuth href="..",grant_type=".."`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthChallenge {
    /// The token endpoint (`href`), as sent.
    pub href: String,
    /// The grant types offered (`grant_type`, comma-separated in the header).
    pub grant_types: Vec<String>,
}

impl UserChallenge {
    /// Reads the challenge from response headers (names compared ignoring ASCII case).
    pub fn from_headers(headers: &[(String, String)]) -> Self {
        let mut out = UserChallenge::default();
        for (name, value) in headers.iter().take(MAX_HEADERS) {
            if value.len() > MAX_HEADER_VALUE {
                continue;
            }
            let value = value.trim();
            if name.eq_ignore_ascii_case("X-MS-WebTicketURL") {
                let url = value.trim_start_matches('<').trim_end_matches('>');
                out.web_ticket_url = out.web_ticket_url.or(HttpUrl::parse(url).ok());
            } else if name.eq_ignore_ascii_case("X-MS-Server-Fqdn") {
                out.server_fqdn
                    .get_or_insert_with(|| value.chars().take(255).collect());
            } else if name.eq_ignore_ascii_case("WWW-Authenticate") {
                let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
                if out.schemes.len() < MAX_ITEMS {
                    out.schemes.push(scheme.chars().take(64).collect());
                }
                if scheme.eq_ignore_ascii_case("MsRtcOAuth") && out.oauth.is_none() {
                    let params = auth_params(params);
                    let get = |key: &str| {
                        params
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .map(|(_, v)| v.clone())
                    };
                    if let Some(href) = get("href") {
                        let grant_types = get("grant_type")
                            .unwrap_or_default()
                            .split(',')
                            .map(str::trim)
                            .filter(|g| !g.is_empty())
                            .take(MAX_ITEMS)
                            .map(str::to_owned)
                            .collect();
                        out.oauth = Some(OAuthChallenge { href, grant_types });
                    }
                }
            }
        }
        out
    }

    /// Whether the server asked for authentication in a form this crate recognises.
    pub fn is_recognised(&self) -> bool {
        self.web_ticket_url.is_some() || self.oauth.is_some()
    }
}

/// RFC 9110 §11.2 `auth-param *( OWS "," OWS auth-param )`, `auth-param = token BWS "=" BWS
/// ( token / quoted-string )`; malformed pieces are skipped.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while out.len() < MAX_ITEMS {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        let name = name.trim().to_owned();
        if name.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.push((name, value.trim().to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn ucwa_style_challenge() {
        let c = UserChallenge::from_headers(&[
            h(
                "www-authenticate",
                r#"Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000""#,
            ),
            h(
                "WWW-Authenticate",
                r#"MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password""#,
            ),
            h(
                "X-MS-WebTicketURL",
                "https://pool.contoso.com/WebTicket/WebTicketService.svc",
            ),
            h("X-MS-Server-Fqdn", "W15-LYNC-SE1.contoso.com"),
        ]);
        assert_eq!(c.schemes, ["Bearer", "MsRtcOAuth"]);
        let oauth = c.oauth.as_ref().unwrap();
        assert_eq!(
            oauth.href,
            "https://lyncweb.contoso.com/WebTicket/oauthtoken"
        );
        assert_eq!(
            oauth.grant_types,
            [
                "urn:microsoft.rtc:windows",
                "urn:microsoft.rtc:anonmeeting",
                "password"
            ]
        );
        assert_eq!(
            c.web_ticket_url.as_ref().unwrap().to_string(),
            "https://pool.contoso.com/WebTicket/WebTicketService.svc"
        );
        assert_eq!(c.server_fqdn.as_deref(), Some("W15-LYNC-SE1.contoso.com"));
        assert!(c.is_recognised());
    }

    #[test]
    fn bare_negotiate_is_not_recognised() {
        let c = UserChallenge::from_headers(&[
            h("WWW-Authenticate", "Negotiate"),
            h("X-MS-WebTicketURL", "not a url"),
        ]);
        assert_eq!(c.schemes, ["Negotiate"]);
        assert!(!c.is_recognised());
    }

    #[test]
    fn auth_params_tolerate_garbage() {
        assert_eq!(
            auth_params(r#"a="x\"y", b=tok ,, c"#),
            [
                ("a".into(), "x\"y".into()),
                ("b".into(), "tok".into()),
                ("c".into(), String::new())
            ]
        );
        assert!(auth_params("").is_empty());
        assert!(auth_params(&"a=b,".repeat(1000)).len() <= MAX_ITEMS);
    }
}
