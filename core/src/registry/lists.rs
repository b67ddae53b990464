//! The lists of an org's credentials, numbers, agents and providers: each whole, and a page
//! of it (`after` is the cursor of the previous page: the last item's id, or number; one
//! deleted since still pages on from where it stood).

use super::*;

/// A list and its page per line: `fn list / page -> Item { whole read, page read, what a
/// cursor is, its parser, an item's cursor }`.
macro_rules! listings {
    ($(
        $(#[$doc:meta])*
        fn $list:ident / $page:ident -> $item:ty {
            $all:ident, $after:ident, $what:literal, $parse:expr, $cursor:expr
        }
    )*) => {
        impl Registry {
            $(
                $(#[$doc])*
                pub fn $list(&self, org: &str) -> Result<Vec<$item>> {
                    let org = Org::parse(org)?;
                    self.read(|tx| tx.$all(&org))
                }

                #[doc = concat!(
                    "A page of [`Registry::", stringify!($list), "`], in the same order: the ",
                    "items after the page's cursor (the last id, or number, of the previous page; ",
                    "one deleted since still pages on from where it stood)."
                )]
                pub fn $page(&self, org: &str, page: &Page) -> Result<Paged<$item>> {
                    self.read_page(org, page, $what, $parse, |tx, org, after, n| tx.$after(org, after, n), $cursor)
                }
            )*
        }
    };
}

listings! {
    /// The org's credentials, in creation order (their ids' order).
    fn list_credentials / list_credentials_page -> Credential {
        credentials, credentials_after, "a credential id (cred_…)", |a| CredentialId::parse(a, "after"), |c| c.id.to_string()
    }
    /// The org's numbers, sorted.
    fn list_numbers / list_numbers_page -> NumberRecord {
        numbers, numbers_after, "an E.164 number (+…)", PhoneNumber::parse, |r| r.number.to_string()
    }
    /// The org's agents, in creation order (their ids' order).
    fn list_agents / list_agents_page -> Agent {
        agents, agents_after, "an agent id (agent_…)", |a| AgentId::parse(a, "after"), |a| a.id.to_string()
    }
    /// The org's providers, in creation order (their ids' order).
    fn list_providers / list_providers_page -> Provider {
        providers, providers_after, "a provider id (prov_…)", |a| ProviderId::parse(a, "after"), |p| p.id.to_string()
    }
}
