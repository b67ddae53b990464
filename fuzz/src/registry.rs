//! The stateful target: random operation sequences on two registries at once, in memory and
//! on SQLite, which must answer alike; after every step both must satisfy the invariants:
//! no dangling link, usage consistent with the links, provider-managed credentials untouched,
//! orgs isolated.
// Also compiled by the conformance tests' replay, which uses only part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use sipcreds::{ErrorCode, Registry};

/// One operation; indices pick among what was created so far (in any org, so cross-org
/// access is exercised), numbers among 12, orgs among 3 (and one invalid org id).
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    Create {
        org: u8,
        server: u8,
        limit: Option<u8>,
        key: Option<u8>,
        auth: bool,
    },
    Update {
        org: u8,
        cred: u8,
        limit: Option<Option<u8>>,
        key: Option<Option<u8>>,
        expected: Option<u8>,
    },
    Delete {
        org: u8,
        cred: u8,
        force: bool,
    },
    Link {
        org: u8,
        number: u8,
        cred: u8,
    },
    Unlink {
        org: u8,
        number: u8,
    },
    DeleteNumber {
        org: u8,
        number: u8,
    },
    CreateAgent {
        org: u8,
    },
    Assign {
        org: u8,
        agent: u8,
        number: u8,
    },
    Unassign {
        org: u8,
        agent: u8,
        number: u8,
    },
    DeleteAgent {
        org: u8,
        agent: u8,
    },
    Connect {
        org: u8,
        count: u8,
    },
    DeleteProvider {
        org: u8,
        provider: u8,
    },
    Acquire {
        org: u8,
        cred: u8,
    },
}

const ORGS: [&str; 4] = ["alpha", "beta", "gamma", "not an org"];

fn org(i: u8) -> &'static str {
    // The invalid org only now and then.
    ORGS[if i % 16 == 15 { 3 } else { (i % 3) as usize }]
}

fn number(i: u8) -> String {
    format!("+1415555{:04}", i % 12)
}

/// One backend and the ids it created, in creation order (the same order on both backends).
pub struct Side {
    pub reg: Registry,
    creds: Vec<String>,
    agents: Vec<String>,
    providers: Vec<String>,
}

impl Side {
    pub fn new(reg: Registry) -> Side {
        Side {
            reg,
            creds: Vec::new(),
            agents: Vec::new(),
            providers: Vec::new(),
        }
    }

    fn pick(list: &[String], i: u8) -> String {
        if list.is_empty() {
            "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV".into()
        } else {
            list[i as usize % list.len()].clone()
        }
    }

    /// Apply one operation: `Ok(())` or the error's code.
    fn apply(&mut self, op: &Op) -> Result<(), ErrorCode> {
        let r = &self.reg;
        let res: Result<(), sipcreds::Error> = match op {
            Op::Create {
                org: o,
                server,
                limit,
                key,
                auth,
            } => {
                let mut body =
                    serde_json::json!({"server": format!("s{}.example.com", server % 8)});
                if let Some(l) = limit {
                    body["cpsLimit"] = (u32::from(*l) % 12).into(); // 0 is invalid on purpose
                }
                if let Some(k) = key {
                    body["cpsKey"] = format!("k{}", k % 3).into();
                }
                if *auth {
                    body["authUser"] = "user".into();
                    body["authPassword"] = "fuzz-secret-password".into();
                }
                r.create_credential_json(org(*o), &body.to_string())
                    .map(|c| self.creds.push(c.id.to_string()))
            }
            Op::Update {
                org: o,
                cred,
                limit,
                key,
                expected,
            } => {
                let mut body = serde_json::json!({});
                if let Some(l) = limit {
                    body["cpsLimit"] =
                        l.map_or(serde_json::Value::Null, |l| (u32::from(l) % 12).into());
                }
                if let Some(k) = key {
                    body["cpsKey"] =
                        k.map_or(serde_json::Value::Null, |k| format!("k{}", k % 3).into());
                }
                if let Some(v) = expected {
                    body["expectedVersion"] = (v % 4).into();
                }
                r.update_credential_json(
                    org(*o),
                    &Self::pick(&self.creds, *cred),
                    &body.to_string(),
                )
                .map(drop)
            }
            Op::Delete {
                org: o,
                cred,
                force,
            } => r
                .delete_credential(org(*o), &Self::pick(&self.creds, *cred), *force)
                .map(drop),
            Op::Link {
                org: o,
                number: n,
                cred,
            } => r
                .link_number(org(*o), &number(*n), &Self::pick(&self.creds, *cred))
                .map(drop),
            Op::Unlink { org: o, number: n } => r.unlink_number(org(*o), &number(*n)).map(drop),
            Op::DeleteNumber { org: o, number: n } => {
                r.delete_number(org(*o), &number(*n)).map(drop)
            }
            Op::CreateAgent { org: o } => r
                .create_agent(org(*o), "Agent")
                .map(|a| self.agents.push(a.id.to_string())),
            Op::Assign {
                org: o,
                agent,
                number: n,
            } => r
                .assign_number(org(*o), &Self::pick(&self.agents, *agent), &number(*n))
                .map(drop),
            Op::Unassign {
                org: o,
                agent,
                number: n,
            } => r
                .unassign_number(org(*o), &Self::pick(&self.agents, *agent), &number(*n))
                .map(drop),
            Op::DeleteAgent { org: o, agent } => r
                .delete_agent(org(*o), &Self::pick(&self.agents, *agent))
                .map(drop),
            Op::Connect { org: o, count } => {
                let items: Vec<String> = (0..count % 3)
                    .map(|i| format!(r#"{{"server":"p{i}.example.com","cpsKey":"k{i}"}}"#))
                    .collect();
                r.connect_provider_json(
                    org(*o),
                    "twilio",
                    "Twilio",
                    &format!("[{}]", items.join(",")),
                )
                .map(|c| {
                    self.providers.push(c.provider.id.to_string());
                    self.creds
                        .extend(c.credentials.iter().map(|c| c.id.to_string()));
                })
            }
            Op::DeleteProvider { org: o, provider } => r
                .delete_provider(org(*o), &Self::pick(&self.providers, *provider))
                .map(drop),
            Op::Acquire { org: o, cred } => r
                .try_acquire(org(*o), &Self::pick(&self.creds, *cred))
                .map(drop),
        };
        res.map_err(|e| e.code())
    }

    /// Check the invariants; returns a shape of the state with ids replaced by creation
    /// indices, to compare the two backends.
    fn check(&self) -> BTreeMap<String, String> {
        let index = |id: &str, list: &[String]| {
            list.iter()
                .position(|x| x == id)
                .map_or("?".into(), |i| i.to_string())
        };
        let mut shape = BTreeMap::new();
        for o in &ORGS[..3] {
            let creds = self.reg.list_credentials(o).unwrap();
            let ids: BTreeSet<String> = creds.iter().map(|c| c.id.to_string()).collect();
            let numbers = self.reg.list_numbers(o).unwrap();
            let numbers_set: BTreeSet<String> =
                numbers.iter().map(|n| n.number.to_string()).collect();
            // No dangling link.
            for n in &numbers {
                if let Some(c) = &n.credential_id {
                    assert!(
                        ids.contains(c.as_str()),
                        "{o}: {} links to a credential that is gone",
                        n.number
                    );
                }
            }
            let agents = self.reg.list_agents(o).unwrap();
            for a in &agents {
                for n in &a.numbers {
                    assert!(
                        numbers_set.contains(&n.to_string()),
                        "{o}: agent uses a number that is gone"
                    );
                }
            }
            for c in &creds {
                // Usage equals the links, and the agents that use them.
                let usage = self.reg.usage(o, c.id.as_str()).unwrap();
                let linked: Vec<String> = numbers
                    .iter()
                    .filter(|n| n.credential_id.as_ref().is_some_and(|x| x == &c.id))
                    .map(|n| n.number.to_string())
                    .collect();
                assert_eq!(usage.phone_numbers, linked, "{o}: usage of {}", c.id);
                let users = agents
                    .iter()
                    .filter(|a| a.numbers.iter().any(|n| linked.contains(&n.to_string())))
                    .count();
                assert_eq!(usage.agents.len(), users);
                // Provider-managed credentials are never changed.
                if c.read_only() {
                    assert_eq!(c.version, 1, "a read-only credential changed");
                }
                // Isolation: no other org sees it.
                for other in ORGS[..3].iter().filter(|x| *x != o) {
                    let e = self.reg.get_credential(other, c.id.as_str()).unwrap_err();
                    assert_eq!(e.code(), ErrorCode::NotFound);
                }
                shape.insert(
                    format!("{o}/cred/{}", index(c.id.as_str(), &self.creds)),
                    format!(
                        "v{} limit {:?} key {:?} ro {}",
                        c.version,
                        c.input.cps_limit.map(|l| l.get()),
                        c.input.cps_key.as_ref().map(|k| k.to_string()),
                        c.read_only()
                    ),
                );
            }
            for n in &numbers {
                shape.insert(
                    format!("{o}/number/{}", n.number),
                    n.credential_id
                        .as_ref()
                        .map_or("-".into(), |c| index(c.as_str(), &self.creds)),
                );
            }
            for a in &agents {
                shape.insert(
                    format!("{o}/agent/{}", index(a.id.as_str(), &self.agents)),
                    format!(
                        "{:?}",
                        a.numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>()
                    ),
                );
            }
            shape.insert(
                format!("{o}/providers"),
                self.reg.list_providers(o).unwrap().len().to_string(),
            );
        }
        shape
    }
}

/// Run a sequence on both sides. After every step they must give the same outcome and the
/// in-memory side must satisfy the invariants; at the end the SQLite side must satisfy them
/// too and hold the same state. (Checking SQLite after every step costs ~1 ms a step and
/// held the target at 64 executions a second; `run_every_step` keeps that stricter form.)
pub fn run(memory: &mut Side, sqlite: &mut Side, ops: &[Op]) {
    for op in ops {
        let a = memory.apply(op);
        let b = sqlite.apply(op);
        // try_acquire decides on time: only its error, not its admission, must agree.
        assert_eq!(a, b, "memory and SQLite answer {op:?} differently");
        memory.check();
    }
    assert_eq!(
        memory.check(),
        sqlite.check(),
        "memory and SQLite differ after {ops:?}"
    );
}

/// As [`run`], comparing the full state of both sides after every step.
pub fn run_every_step(memory: &mut Side, sqlite: &mut Side, ops: &[Op]) {
    for op in ops {
        let a = memory.apply(op);
        let b = sqlite.apply(op);
        assert_eq!(a, b, "memory and SQLite answer {op:?} differently");
        assert_eq!(
            memory.check(),
            sqlite.check(),
            "memory and SQLite differ after {op:?}"
        );
    }
}

/// One registry alone, the invariants checked after every step (the fast stateful target).
pub fn run_one(side: &mut Side, ops: &[Op]) {
    for op in ops {
        let _ = side.apply(op);
        side.check();
    }
}
