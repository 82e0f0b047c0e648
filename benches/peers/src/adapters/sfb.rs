//! sfb's own codec, `sfb-sip-codec`: placeholder until its API exists.

use crate::{Input, Sink, TaskError};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "not written yet";

/// The task on one message.
pub fn run<S: Sink>(_input: &Input, _sink: &mut S) -> Result<(), TaskError> {
    Err(TaskError::Parse("sfb adapter not written".into()))
}
