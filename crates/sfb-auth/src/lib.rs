//! MS-SIPAE authentication for the Skype for Business / Lync sign-in.
//!
//! This worktree only carries the Kerberos part; see [`kerberos`].

pub mod kerberos;
