//! Server discovery for the Skype for Business / Lync desktop sign-in.
//!
//! This crate is sans-IO: it opens no sockets, reads no clock and starts no threads. A driver
//! performs the HTTP requests the state machines ask for and feeds the answers back.
//!
//! - [`autodiscover`]: Lync autodiscover ([MS-OCDISCWS]): documents (XML and JSON) and the walker
//!   that follows Root → Redirect → User, including the WebTicket round trip.

pub mod autodiscover;
