//! Phone numbers: link to a credential, unlink, read, list, delete.

use super::*;

pub(super) fn require_number(tx: &dyn Tx, org: &Org, number: &PhoneNumber) -> Result<NumberRecord> {
    tx.number(org, number)?.ok_or_else(|| Error::NotFound {
        what: "phone number",
        field: "number",
        id: number.to_string(),
    })
}

impl Registry {
    /// Link a number (created if new) to a credential; re-linking moves it.
    pub fn link_number(
        &self,
        org: &str,
        number: &str,
        credential_id: &str,
    ) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        let cred = CredentialId::parse(credential_id, "credentialId")?;
        self.write(|tx| {
            if !tx.credential_exists(&org, &cred)? {
                return Err(not_found_credential(&cred, "credentialId"));
            }
            let record = NumberRecord {
                number,
                credential_id: Some(cred),
            };
            tx.put_number(&org, &record)?;
            Ok(record)
        })
    }

    /// Unlink a number from its credential (the number stays, and its agents).
    pub fn unlink_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            require_number(tx, &org, &number)?;
            let record = NumberRecord {
                number,
                credential_id: None,
            };
            tx.put_number(&org, &record)?;
            Ok(record)
        })
    }

    /// One number and the credential it is linked to (`not_found` if the org has no such
    /// number).
    pub fn get_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.read(|tx| require_number(tx, &org, &number))
    }

    /// Delete a number; it is also removed from every agent. Returns the record it had.
    pub fn delete_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            let record = require_number(tx, &org, &number)?;
            tx.delete_number(&org, &number)?;
            Ok(record)
        })
    }
}
