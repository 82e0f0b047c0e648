//! The three renderings of a [`Report`](crate::report::Report): text for a terminal, JSON for
//! scripts, one self-contained HTML page for a ticket.

pub mod html;
pub mod json;
pub mod text;

use sfb_trace::{EvidenceKind, TcpOutcome, TlsOutcome};

/// One line summarising a piece of evidence (shared by the text and HTML renderings).
pub(crate) fn evidence_line(kind: &EvidenceKind) -> String {
    match kind {
        EvidenceKind::Dns(d) => {
            let mut s = format!("{} {} {}", d.rtype, d.name, d.outcome);
            if !d.answers.is_empty() {
                s.push_str(" -> ");
                s.push_str(&d.answers.join(", "));
            }
            if let Some(ms) = d.elapsed_ms {
                s.push_str(&format!(" ({ms} ms)"));
            }
            s
        }
        EvidenceKind::Http(h) => {
            let status = h.status.map_or_else(|| "-".to_owned(), |c| c.to_string());
            let mut s = format!("{} {} -> {status} ({} ms)", h.method, h.url, h.elapsed_ms);
            if let Some(e) = &h.error {
                s.push_str(&format!(": {e}"));
            }
            s
        }
        EvidenceKind::Tcp(t) => {
            let outcome = match t.outcome {
                TcpOutcome::Connected => "connected",
                TcpOutcome::Refused => "refused",
                TcpOutcome::Timeout => "timeout",
                TcpOutcome::Unreachable => "unreachable",
                TcpOutcome::Error => "error",
            };
            let mut s = format!(
                "{} {} port {} {outcome} ({} ms)",
                t.host, t.address, t.port, t.elapsed_ms
            );
            if let Some(e) = &t.os_error {
                s.push_str(&format!(": {e}"));
            }
            s
        }
        EvidenceKind::Tls(t) => {
            let outcome = match t.outcome {
                TlsOutcome::Established => "established",
                TlsOutcome::Failed => "failed",
                TlsOutcome::Timeout => "timeout",
            };
            let mut s = format!("{} {} port {} {outcome}", t.host, t.address, t.port);
            if let Some(v) = &t.protocol_version {
                s.push_str(&format!(" {v}"));
            }
            if let Some(leaf) = t.chain.first() {
                s.push_str(&format!(
                    ", leaf {} (expires {})",
                    leaf.subject, leaf.not_after
                ));
            }
            if let Some(f) = &t.failure {
                s.push_str(&format!(", {}", f.cause_code()));
            }
            s.push_str(&format!(" ({} ms)", t.elapsed_ms));
            s
        }
        EvidenceKind::Sip(s) => {
            let dir = match s.direction {
                sfb_trace::Direction::Sent => "sent to",
                sfb_trace::Direction::Received => "received from",
            };
            let first = s.text.lines().next().unwrap_or_default();
            let mut line = format!("{dir} {}: {first} ({} bytes)", s.peer, s.wire_len);
            if s.redacted {
                line.push_str(" [redacted]");
            }
            if s.truncated {
                line.push_str(" [truncated]");
            }
            line
        }
        EvidenceKind::AuthToken(a) => {
            let proto = match a.protocol {
                sfb_trace::AuthProtocol::Ntlm => "NTLM",
                sfb_trace::AuthProtocol::Kerberos => "Kerberos",
                sfb_trace::AuthProtocol::TlsDsk => "TLS-DSK",
            };
            let fields: Vec<String> = a.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut s = format!("{proto} {}", a.message_type);
            if !fields.is_empty() {
                s.push_str(": ");
                s.push_str(&fields.join(", "));
            }
            if let Some(raw) = &a.raw {
                s.push_str(&format!(" raw={raw} [--raw-trace]"));
            }
            s
        }
        EvidenceKind::Fact(f) => {
            let mut s = format!("fact {}", f.source);
            if let Some(t) = &f.sentence {
                s.push_str(&format!(": {t}"));
            }
            let fields: Vec<String> = f.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !fields.is_empty() {
                s.push_str(&format!(" [{}]", fields.join(", ")));
            }
            s
        }
    }
}
