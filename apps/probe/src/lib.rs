//! `sfb-probe`, the library behind the binary: the report model and its text, JSON and HTML
//! renderings, personal-data redaction, batch runs and logging.
//!
//! A [`runner::Runner`] turns a [`runner::Request`] into a diagnosed [`sfb_trace::SignInTrace`];
//! the binary's runner is [`session::SessionRunner`] (sfb-session signs in, sfb-diagnose judges,
//! sfb-lab is started in-process for `--lab`); this crate orders, renders and aggregates.

pub mod batch;
pub mod cli;
pub mod logging;
pub mod personal;
pub mod render;
pub mod report;
pub mod runner;
pub mod session;
