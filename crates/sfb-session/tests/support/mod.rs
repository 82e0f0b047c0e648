//! Shared test support.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "test support; each test binary uses a different subset"
)]

pub mod registrar;
