//! The rules, one module per step (Authentication, Redirection and Settings share the SIP
//! exchange, so one module judges the three).

pub(crate) mod connectivity;
pub(crate) mod discovery;
pub(crate) mod sip;

/// "a, b, c" of at most `max` items, then "and N more".
pub(crate) fn list(items: &[String], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    if s.is_empty() {
        s.push_str("nothing");
    }
    s
}
