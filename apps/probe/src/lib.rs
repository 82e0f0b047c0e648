//! `sfb-probe`, the library behind the binary: the report model and its text, JSON and HTML
//! renderings, personal-data redaction, batch runs and logging.
//!
//! The probe performs no sign-in itself: a [`runner::Runner`] turns a [`runner::Request`] into a
//! diagnosed [`sfb_trace::SignInTrace`]; this crate orders, renders and aggregates. No sockets
//! here; the only clock reads are the batch pacing sleeps.

pub mod batch;
pub mod cli;
pub mod logging;
pub mod personal;
pub mod render;
pub mod report;
pub mod runner;
