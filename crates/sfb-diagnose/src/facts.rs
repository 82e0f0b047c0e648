//! Facts read out of a trace: SIP text parsed with the codec into small owned records, HTTP
//! `X-Ms-diagnostics`, the `Date` header. Every string kept is clipped and every list bounded,
//! so a hostile trace costs at most a constant per evidence item.

use sfb_sip_codec::{Limits, Message, MsDiagnostic, SipUri, parse_datagram};
use sfb_trace::{Direction, EvidenceId, SignInTrace, SipEvidence, Step, Timestamp};

/// Longest text kept from any value, in characters.
pub(crate) const MAX_TEXT: usize = 160;
/// Most bytes of one SIP text read.
const MAX_MESSAGE: usize = 256 * 1024;
/// Most items kept of any list (diagnostics, offers, contacts).
pub(crate) const MAX_ITEMS: usize = 8;

/// A value made safe for a sentence: control characters replaced, clipped to [`MAX_TEXT`].
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_TEXT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(MAX_TEXT).is_some() {
        out.push('…');
    }
    out
}

/// One `ms-diagnostics` (or `X-Ms-diagnostics`) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diag {
    /// The code.
    pub(crate) code: u32,
    /// `reason`.
    pub(crate) reason: Option<String>,
    /// `source`: the hop that said it.
    pub(crate) source: Option<String>,
    /// From `ms-diagnostics-public`.
    pub(crate) public: bool,
    /// `PeerServer`, when given (the next hop that failed).
    pub(crate) peer_server: Option<String>,
}

impl Diag {
    fn from_codec(d: &MsDiagnostic<'_>) -> Self {
        Self {
            code: d.code,
            reason: d.reason().map(clip),
            source: d.source().map(clip),
            public: d.public,
            peer_server: d.params.value("PeerServer").map(clip),
        }
    }

    /// "4005 (Destination URI ...) from fe.contoso.com".
    pub(crate) fn words(&self) -> String {
        let mut s = self.code.to_string();
        if let Some(r) = &self.reason {
            s.push_str(&format!(" (\"{r}\")"));
        }
        match (&self.source, self.public) {
            (Some(src), _) => s.push_str(&format!(", said by {src}")),
            (None, true) => s.push_str(", public form (no source)"),
            (None, false) => s.push_str(", no source named"),
        }
        s
    }
}

/// One authentication offer of a 401/407.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offer {
    /// The scheme (`NTLM`, `Kerberos`, `TLS-DSK`, ...).
    pub(crate) scheme: String,
    /// `realm`.
    pub(crate) realm: Option<String>,
    /// `targetname`.
    pub(crate) targetname: Option<String>,
    /// `sts-uri`.
    pub(crate) sts_uri: Option<String>,
}

/// One SIP message, read.
#[derive(Debug, Clone)]
pub(crate) struct Sip {
    /// Its evidence.
    pub(crate) id: EvidenceId,
    /// Sent by us?
    pub(crate) sent: bool,
    /// When.
    pub(crate) at: Option<Timestamp>,
    /// The peer (`ip:port`).
    pub(crate) peer: String,
    /// Did the codec parse it (false: only the start line was read)?
    pub(crate) parsed: bool,
    /// The request method.
    pub(crate) method: Option<String>,
    /// The response status.
    pub(crate) status: Option<u16>,
    /// The reason phrase.
    pub(crate) phrase: String,
    /// The CSeq method.
    pub(crate) cseq_method: Option<String>,
    /// The CSeq number.
    pub(crate) cseq: Option<u32>,
    /// The Call-ID.
    pub(crate) call_id: Option<String>,
    /// `ms-diagnostics` and `ms-diagnostics-public`.
    pub(crate) diags: Vec<Diag>,
    /// `WWW-Authenticate` / `Proxy-Authenticate` offers.
    pub(crate) offers: Vec<Offer>,
    /// Schemes of `Authorization` / `Proxy-Authorization`.
    pub(crate) authorizations: Vec<String>,
    /// `Authentication-Info` present (the response is signed).
    pub(crate) signed: bool,
    /// Contact hosts (`host[:port]`), in order.
    pub(crate) contacts: Vec<String>,
    /// `Route` hosts (lower case, no port), in order.
    pub(crate) routes: Vec<String>,
    /// `Server`.
    pub(crate) server: Option<String>,
    /// `User-Agent`.
    pub(crate) user_agent: Option<String>,
    /// `Date`, parsed.
    pub(crate) date: Option<Timestamp>,
    /// `Event`.
    pub(crate) event: Option<String>,
    /// `Warning` texts.
    pub(crate) warnings: Vec<String>,
    /// `presence-state`.
    pub(crate) presence_state: Option<String>,
    /// Does the message mention a location profile (the SERVICE that asks for the dial plan)?
    pub(crate) location_profile: bool,
}

impl Sip {
    /// Is this a response to REGISTER?
    pub(crate) fn is_register_response(&self) -> bool {
        // Without a readable CSeq, count it only when it cannot make a false pass (not a 2xx).
        self.status.is_some()
            && match self.cseq_method.as_deref() {
                Some(m) => m.eq_ignore_ascii_case("REGISTER"),
                None => !self.status.is_some_and(|c| (200..300).contains(&c)),
            }
    }

    /// Is this a REGISTER we sent?
    pub(crate) fn is_register(&self) -> bool {
        self.sent
            && self
                .method
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("REGISTER"))
    }

    /// "403 Forbidden from 10.0.0.5:5061".
    pub(crate) fn status_words(&self) -> String {
        match self.status {
            Some(s) => format!("{s} {}", self.phrase).trim_end().to_owned(),
            None => self.method.clone().unwrap_or_else(|| "?".to_owned()),
        }
    }

    /// The first diagnostic with a source, else the first.
    pub(crate) fn main_diag(&self) -> Option<&Diag> {
        self.diags
            .iter()
            .find(|d| d.source.is_some())
            .or_else(|| self.diags.first())
    }
}

/// Reads one SIP evidence item.
pub(crate) fn read_sip(id: EvidenceId, ev: &SipEvidence) -> Sip {
    let mut s = Sip {
        id,
        sent: ev.direction == Direction::Sent,
        at: Some(ev.at),
        peer: clip(&ev.peer),
        parsed: false,
        method: None,
        status: None,
        phrase: String::new(),
        cseq_method: None,
        cseq: None,
        call_id: None,
        diags: Vec::new(),
        offers: Vec::new(),
        authorizations: Vec::new(),
        signed: false,
        contacts: Vec::new(),
        routes: Vec::new(),
        server: None,
        user_agent: None,
        date: None,
        event: None,
        warnings: Vec::new(),
        presence_state: None,
        location_profile: false,
    };
    // Longer than any SIP message a registrar sends: read only the start (the facts are in the
    // header section).
    let mut cut = ev.text.len().min(MAX_MESSAGE);
    while !ev.text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = ev.text.get(..cut).unwrap_or_default();
    s.location_profile = text.to_ascii_lowercase().contains("locationprofile");
    match parse_datagram(text.as_bytes(), &Limits::default()) {
        Ok(m) => fill(&mut s, &m),
        Err(_) => {
            // A truncated body, or a truncated header section: read the complete header lines.
            let head_end = text
                .find("\r\n\r\n")
                .unwrap_or_else(|| text.rfind("\r\n").unwrap_or(0));
            let head = format!("{}\r\n\r\n", text.get(..head_end).unwrap_or_default());
            let head = strip_content_length(&head);
            match parse_datagram(head.as_bytes(), &Limits::default()) {
                Ok(m) => fill(&mut s, &m),
                Err(_) => start_line_only(&mut s, text),
            }
        }
    }
    s
}

/// Removes Content-Length lines (the body is gone in a header-only re-read).
fn strip_content_length(head: &str) -> String {
    head.split_inclusive("\r\n")
        .filter(|l| {
            let name = l.split(':').next().unwrap_or_default().trim();
            !(name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l"))
        })
        .collect()
}

fn start_line_only(s: &mut Sip, text: &str) {
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    if a.is_some_and(|v| v.eq_ignore_ascii_case("SIP/2.0")) {
        s.status = b
            .and_then(|c| c.parse().ok())
            .filter(|c| (100..700).contains(c));
        s.phrase = clip(c.unwrap_or_default());
    } else if c.is_some_and(|v| v.trim().eq_ignore_ascii_case("SIP/2.0")) {
        s.method = a.map(clip);
    }
}

fn fill(s: &mut Sip, m: &Message<'_>) {
    s.parsed = true;
    s.method = m.method().map(clip);
    s.status = m.status_code();
    if let sfb_sip_codec::StartLine::Response { reason, .. } = m.start_line() {
        s.phrase = clip(reason);
    }
    if let Some(Ok(c)) = m.cseq() {
        s.cseq_method = Some(clip(c.method));
        s.cseq = Some(c.seq);
    }
    s.call_id = m.call_id().map(clip);
    s.diags = m
        .ms_diagnostics()
        .filter_map(Result::ok)
        .take(MAX_ITEMS)
        .map(|d| Diag::from_codec(&d))
        .collect();
    for h in m.auth_headers().filter_map(Result::ok).take(4 * MAX_ITEMS) {
        use sfb_sip_codec::AuthHeaderKind as K;
        let param = |n: &str| h.param(n).map(|v| clip(&v.unescaped()));
        match h.kind {
            K::WwwAuthenticate | K::ProxyAuthenticate if s.offers.len() < MAX_ITEMS => {
                s.offers.push(Offer {
                    scheme: clip(h.scheme),
                    realm: param("realm"),
                    targetname: param("targetname"),
                    sts_uri: param("sts-uri"),
                });
            }
            K::Authorization | K::ProxyAuthorization if s.authorizations.len() < MAX_ITEMS => {
                s.authorizations.push(clip(h.scheme));
            }
            K::AuthenticationInfo | K::ProxyAuthenticationInfo => s.signed = true,
            _ => {}
        }
    }
    s.contacts = m
        .contacts()
        .filter_map(Result::ok)
        .take(MAX_ITEMS)
        .filter_map(|c| {
            let a = c.addr()?;
            let uri = SipUri::parse(a.uri).ok()?;
            Some(match uri.port {
                Some(p) => format!("{}:{p}", clip(uri.host)),
                None => clip(uri.host),
            })
        })
        .collect();
    s.routes = m
        .routes()
        .filter_map(Result::ok)
        .take(MAX_ITEMS)
        .filter_map(|r| {
            let uri = SipUri::parse(r.uri).ok()?;
            Some(clip(uri.host.trim_end_matches('.')).to_ascii_lowercase())
        })
        .collect();
    s.server = m.server().map(clip);
    s.user_agent = m.user_agent().map(clip);
    s.date = m.date().and_then(parse_http_date);
    s.event = m.header("event").map(|h| clip(h.value));
    s.warnings = m
        .warnings()
        .filter_map(Result::ok)
        .take(MAX_ITEMS)
        .map(|w| clip(w.text))
        .collect();
    s.presence_state = m.header("presence-state").map(|h| clip(h.value));
}

/// An `X-Ms-diagnostics` value of an HTTP response.
pub(crate) fn read_http_diag(value: &str) -> Option<Diag> {
    if value.len() > 4096 {
        return None;
    }
    MsDiagnostic::parse(value, false)
        .ok()
        .map(|d| Diag::from_codec(&d))
}

/// RFC 9110 §5.6.7 IMF-fixdate (`Thu, 04 Jun 2020 08:15:02 GMT`), the form SIP `Date` uses
/// (RFC 3261 §20.17).
pub(crate) fn parse_http_date(text: &str) -> Option<Timestamp> {
    if text.len() > 64 {
        return None;
    }
    let rest = text.split_once(',').map_or(text, |(_, r)| r);
    let mut it = rest.split_ascii_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&se)
    {
        return None;
    }
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Timestamp::from_unix_secs(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The steps that list an evidence id (a trace lists each item under at most one, normally).
pub(crate) fn step_listing(trace: &SignInTrace, id: EvidenceId) -> Option<Step> {
    trace
        .steps
        .iter()
        .find(|s| s.evidence.contains(&id))
        .map(|s| s.step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let t = parse_http_date("Thu, 04 Jun 2020 08:15:02 GMT").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-06-04T08:15:02Z");
        assert!(parse_http_date("yesterday").is_none());
        assert!(parse_http_date("Thu, 99 Jun 2020 08:15:02 GMT").is_none());
        assert!(parse_http_date(&"9".repeat(100)).is_none());
    }

    #[test]
    fn clip_bounds_and_cleans() {
        assert_eq!(clip("a\r\nb"), "a  b");
        assert_eq!(clip(&"x".repeat(1000)).chars().count(), MAX_TEXT + 1);
    }
}
