//! One adapter per parser; each has `run(input, sink)` (the task) and a `NOTE` (where it falls
//! back to strings).

pub mod httparse;
pub mod rsip;
pub mod rsipstack;
pub mod sfb;
pub mod sipx_sip;
