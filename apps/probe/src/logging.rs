//! Logging to stderr with `-v` levels. Dependency targets that could print protocol tokens
//! (sspi, picky, rustls, hickory, ...) are capped at `warn` at every verbosity and whatever
//! `RUST_LOG` says: the cap is a second, per-layer filter that `RUST_LOG` cannot loosen.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

/// Targets capped at `warn` whatever the verbosity.
pub const CAPPED_TARGETS: &[&str] = &[
    "sspi",
    "picky",
    "picky_krb",
    "picky_asn1",
    "picky_asn1_der",
    "picky_asn1_x509",
    "rustls",
    "tokio_rustls",
    "hickory_proto",
    "hickory_resolver",
    "hickory_server",
    "h2",
    "hyper",
    "reqwest",
];

/// The level for a `-v` count: 0 warn, 1 info, 2 debug, 3+ trace.
pub fn level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// The cap filter: everything allowed except the capped targets above `warn`.
pub fn caps() -> Targets {
    CAPPED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::WARN),
    )
}

/// The levels without `RUST_LOG`: `-v` for ours; the capped dependency targets are silent
/// below `-vv` (what they report, e.g. sspi's KRB-ERROR on a missing SPN, is in the report
/// already, as evidence), and at their cap from `-vv` on.
pub fn default_filter(verbosity: u8) -> EnvFilter {
    let mut filter = EnvFilter::default().add_directive(level_for(verbosity).into());
    if verbosity < 2 {
        for target in CAPPED_TARGETS {
            if let Ok(d) = format!("{target}=off").parse() {
                filter = filter.add_directive(d);
            }
        }
    }
    filter
}

/// Installs the subscriber (stderr, no ANSI unless `color`). `RUST_LOG`, when set, chooses the
/// levels; otherwise `-v` does. Safe to call once; a second call is ignored.
pub fn init(verbosity: u8, color: bool) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let _ = install(verbosity, rust_log.as_deref(), color, std::io::stderr);
}

/// What [`init`] installs, with `RUST_LOG`'s value and the writer given (tests capture the
/// logs with it). Fails when a global subscriber is already installed.
pub fn install<W>(
    verbosity: u8,
    rust_log: Option<&str>,
    color: bool,
    writer: W,
) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let env = rust_log
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| default_filter(verbosity));
    let layer = fmt::layer()
        .with_writer(writer)
        .with_ansi(color)
        .with_target(true)
        .with_filter(caps());
    tracing_subscriber::registry()
        .with(env)
        .with(layer)
        .try_init()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn dependency_targets_are_capped_at_every_level() {
        let caps = caps();
        for target in [
            "sspi",
            "sspi::ntlm",
            "picky_krb::messages",
            "rustls::client",
            "hickory_proto::op",
        ] {
            assert!(caps.would_enable(target, &Level::WARN), "{target}");
            for level in [Level::INFO, Level::DEBUG, Level::TRACE] {
                assert!(!caps.would_enable(target, &level), "{target} {level}");
            }
        }
        assert!(caps.would_enable("sfb_probe", &Level::TRACE));
        assert_eq!(level_for(0), LevelFilter::WARN);
        assert_eq!(level_for(9), LevelFilter::TRACE);
    }
}
