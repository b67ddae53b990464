//! Lint over an org's stored credentials, and over an input before it is saved.

use super::*;

/// Credentials `lint` reads at a time.
pub(super) const LINT_PAGE: usize = 10_000;

impl Registry {
    /// Lint the org's credentials together (with the rate group checks), in one snapshot:
    /// the groups from the org's rate rows, then the credentials a page at a time (memory
    /// bounded by a page, not the org), their passwords left encrypted.
    pub fn lint(&self, org: &str) -> Result<Vec<Finding>> {
        let org = Org::parse(org)?;
        self.read(|tx| {
            let rows = tx.rate_rows(&org)?;
            let checks = GroupChecks::new(rows.iter().map(RateRow::fields));
            drop(rows);
            let mut findings = Vec::new();
            let mut after: Option<CredentialId> = None;
            loop {
                let page = tx.sealed_credentials_after(&org, after.as_ref(), LINT_PAGE)?;
                for c in &page {
                    findings.extend(checks.lint(c.id.as_str(), &c.input, c.auth_user.is_some()));
                }
                match page.last() {
                    Some(last) if page.len() == LINT_PAGE => {
                        after = Some(last.id.clone());
                    }
                    _ => break,
                }
            }
            Ok(findings)
        })
    }

    /// The findings of an unsaved input in the org's context (§7): its own fields' and its
    /// cpsKey group's as they would be once it is saved, in place of the credential
    /// `replacing` when given (an edit), else as a new credential (labelled `new`).
    pub fn lint_input(
        &self,
        org: &str,
        input: &CredentialInput,
        replacing: Option<&str>,
    ) -> Result<Vec<Finding>> {
        let org = Org::parse(org)?;
        let replacing = replacing
            .map(|id| CredentialId::parse(id, "id"))
            .transpose()?;
        let label = replacing
            .as_ref()
            .map_or("new", |id| id.as_str())
            .to_owned();
        self.read(|tx| {
            if let Some(id) = &replacing
                && !tx.credential_exists(&org, id)?
            {
                return Err(Error::NotFound {
                    what: "credential",
                    field: "id",
                    id: id.to_string(),
                });
            }
            let rows = tx.rate_rows(&org)?;
            let own = (
                label.as_str(),
                input.cps_limit.map(|l| l.get()),
                input.cps_key.as_ref().map(|k| k.as_str()),
            );
            let others = rows
                .iter()
                .filter(|r| replacing.as_ref() != Some(&r.id))
                .map(RateRow::fields);
            // The unsaved input first: a group's conflict is reported on its first member.
            let checks = GroupChecks::new(std::iter::once(own).chain(others));
            Ok(checks.lint(&label, input, input.auth.is_some()))
        })
    }
}
