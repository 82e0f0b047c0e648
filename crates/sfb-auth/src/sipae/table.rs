//! The client's set of security associations, looked up by (protocol, realm, targetname)
//! ([MS-SIPAE] 3.2.1). A message without a matching association is discarded by the caller.

use super::{Scheme, SecurityAssociation};

/// Most associations kept at once (one per proxy/registrar hop in practice).
pub const MAX_ASSOCIATIONS: usize = 8;

/// The association table.
#[derive(Debug, Default)]
pub struct Associations {
    sas: Vec<SecurityAssociation>,
}

impl Associations {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts an association, replacing one with the same key (a re-authentication). When the
    /// table is full, the oldest association is dropped.
    pub fn insert(&mut self, sa: SecurityAssociation) {
        self.sas.retain(|s| s.key() != sa.key());
        if self.sas.len() == MAX_ASSOCIATIONS {
            self.sas.remove(0);
        }
        self.sas.push(sa);
    }

    /// The association for a key.
    pub fn find_mut(
        &mut self,
        scheme: Scheme,
        realm: &str,
        targetname: &str,
    ) -> Option<&mut SecurityAssociation> {
        self.sas
            .iter_mut()
            .find(|s| s.matches(scheme, realm, targetname))
    }

    /// Removes the association for a key (a 401 to a re-REGISTER means start again).
    pub fn remove(
        &mut self,
        scheme: Scheme,
        realm: &str,
        targetname: &str,
    ) -> Option<SecurityAssociation> {
        let i = self
            .sas
            .iter()
            .position(|s| s.matches(scheme, realm, targetname))?;
        Some(self.sas.remove(i))
    }

    /// Number of associations.
    pub fn len(&self) -> usize {
        self.sas.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.sas.is_empty()
    }
}
