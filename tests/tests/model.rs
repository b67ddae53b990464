//! Model-based tests: random operation sequences over several orgs run against the registry
//! and against a plain in-test model; outcomes and whole states must agree after every step,
//! on both backends. Ids are drawn from a pool shared by all orgs, so many operations aim at
//! another org's objects, and must answer `not_found` exactly as for ids that never existed.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sipcreds::{CredentialInput, Registry};

const ORGS: [&str; 3] = ["acme", "globex", "initech"];
const NUMBERS: [&str; 3] = ["+14155550100", "+442071838750", "+33142685300"];
const BOGUS_CRED: &str = "cred_01JD0000000000000000000000";
const BOGUS_AGENT: &str = "agent_01JD0000000000000000000000";
const BOGUS_PROV: &str = "prov_01JD0000000000000000000000";

#[derive(Debug, Clone)]
enum Op {
    CreateCred {
        org: usize,
        limit: Option<u16>,
    },
    UpdateCred {
        org: usize,
        id: usize,
        limit: Option<u16>,
        expected_offset: Option<i8>,
    },
    DeleteCred {
        org: usize,
        id: usize,
        force: bool,
    },
    Usage {
        org: usize,
        id: usize,
    },
    Link {
        org: usize,
        number: usize,
        id: usize,
    },
    Unlink {
        org: usize,
        number: usize,
    },
    DeleteNumber {
        org: usize,
        number: usize,
    },
    CreateAgent {
        org: usize,
    },
    Assign {
        org: usize,
        agent: usize,
        number: usize,
    },
    Unassign {
        org: usize,
        agent: usize,
        number: usize,
    },
    DeleteAgent {
        org: usize,
        agent: usize,
    },
    ConnectProvider {
        org: usize,
        creds: usize,
    },
    DeleteProvider {
        org: usize,
        provider: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let org = 0..ORGS.len();
    let pick = 0usize..256;
    let number = 0..NUMBERS.len();
    prop_oneof![
        3 => (org.clone(), prop::option::of(1u16..20)).prop_map(|(org, limit)| Op::CreateCred { org, limit }),
        2 => (org.clone(), pick.clone(), prop::option::of(1u16..20), prop::option::of(-1i8..=1))
            .prop_map(|(org, id, limit, expected_offset)| Op::UpdateCred { org, id, limit, expected_offset }),
        2 => (org.clone(), pick.clone(), any::<bool>()).prop_map(|(org, id, force)| Op::DeleteCred { org, id, force }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, id)| Op::Usage { org, id }),
        8 => (org.clone(), number.clone(), pick.clone()).prop_map(|(org, number, id)| Op::Link { org, number, id }),
        1 => (org.clone(), number.clone()).prop_map(|(org, number)| Op::Unlink { org, number }),
        2 => (org.clone(), number.clone()).prop_map(|(org, number)| Op::DeleteNumber { org, number }),
        2 => org.clone().prop_map(|org| Op::CreateAgent { org }),
        6 => (org.clone(), pick.clone(), number.clone()).prop_map(|(org, agent, number)| Op::Assign { org, agent, number }),
        1 => (org.clone(), pick.clone(), number.clone()).prop_map(|(org, agent, number)| Op::Unassign { org, agent, number }),
        1 => (org.clone(), pick.clone()).prop_map(|(org, agent)| Op::DeleteAgent { org, agent }),
        1 => (org.clone(), 0usize..3).prop_map(|(org, creds)| Op::ConnectProvider { org, creds }),
        1 => (org, pick).prop_map(|(org, provider)| Op::DeleteProvider { org, provider }),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CredModel {
    version: u64,
    limit: Option<u16>,
    provider: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct OrgModel {
    creds: Vec<(String, CredModel)>, // creation order
    numbers: BTreeMap<String, Option<String>>,
    agents: Vec<(String, BTreeSet<String>)>, // creation order
    providers: Vec<String>,
}

impl OrgModel {
    fn cred(&self, id: &str) -> Option<&CredModel> {
        self.creds.iter().find(|(i, _)| i == id).map(|(_, c)| c)
    }
    fn agent_mut(&mut self, id: &str) -> Option<&mut BTreeSet<String>> {
        self.agents
            .iter_mut()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n)
    }
    fn usage(&self, id: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
        let numbers: Vec<String> = self
            .numbers
            .iter()
            .filter(|(_, c)| c.as_deref() == Some(id))
            .map(|(n, _)| n.clone())
            .collect();
        let mut agents: Vec<(String, Vec<String>)> = self
            .agents
            .iter()
            .filter_map(|(a, ns)| {
                let via: Vec<String> = ns.iter().filter(|n| numbers.contains(n)).cloned().collect();
                (!via.is_empty()).then(|| (a.clone(), via))
            })
            .collect();
        agents.sort();
        (numbers, agents)
    }
    fn unlink_all(&mut self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, c) in self.numbers.iter_mut() {
            if c.as_deref() == Some(id) {
                *c = None;
                out.push(n.clone());
            }
        }
        out
    }
}

/// Ids created so far, as `(org, id)`: picks index into these, mostly the acting org's own
/// ids, sometimes another org's, sometimes one that never existed.
#[derive(Debug, Default)]
struct Pools {
    creds: Vec<(usize, String)>,
    agents: Vec<(usize, String)>,
    providers: Vec<(usize, String)>,
}

fn pick<'a>(pool: &'a [(usize, String)], org: usize, i: usize, bogus: &'a str) -> &'a str {
    let own: Vec<&str> = pool
        .iter()
        .filter(|(o, _)| *o == org)
        .map(|(_, id)| id.as_str())
        .collect();
    match i % 8 {
        0 => bogus,
        1 | 2 if !pool.is_empty() => &pool[(i / 8) % pool.len()].1,
        _ if !own.is_empty() => own[(i / 8) % own.len()],
        _ => bogus,
    }
}

type Outcome = Result<String, String>;

fn code(e: sipcreds::Error) -> Outcome {
    Err(e.code().as_str().to_owned())
}

fn state_of(reg: &Registry, org: &str) -> OrgModel {
    OrgModel {
        creds: reg
            .list_credentials(org)
            .unwrap()
            .into_iter()
            .map(|c| {
                let provider = match &c.source {
                    sipcreds::Source::Provider(p) => Some(p.to_string()),
                    sipcreds::Source::Manual => None,
                };
                (
                    c.id.to_string(),
                    CredModel {
                        version: c.version,
                        limit: c.input.cps_limit.map(|l| l.get() as u16),
                        provider,
                    },
                )
            })
            .collect(),
        numbers: reg
            .list_numbers(org)
            .unwrap()
            .into_iter()
            .map(|n| (n.number.to_string(), n.credential_id.map(|c| c.to_string())))
            .collect(),
        agents: reg
            .list_agents(org)
            .unwrap()
            .into_iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.numbers.iter().map(ToString::to_string).collect(),
                )
            })
            .collect(),
        providers: reg
            .list_providers(org)
            .unwrap()
            .into_iter()
            .map(|p| p.id.to_string())
            .collect(),
    }
}

fn server_input(limit: Option<u16>) -> CredentialInput {
    let body = match limit {
        Some(l) => format!(r#"{{"server":"sip.example.com","cpsLimit":{l}}}"#),
        None => r#"{"server":"sip.example.com"}"#.to_owned(),
    };
    CredentialInput::from_json(&body).unwrap()
}

/// Run one op on the registry and the model; return both outcomes.
fn step(
    reg: &Registry,
    model: &mut BTreeMap<&'static str, OrgModel>,
    pools: &mut Pools,
    op: &Op,
) -> (Outcome, Outcome) {
    match *op {
        Op::CreateCred { org, limit } => {
            let o = ORGS[org];
            let got = reg
                .create_credential(o, server_input(limit))
                .map_err(|e| e.code().as_str().to_owned());
            let id = got.as_ref().map(|c| c.id.to_string()).unwrap_or_default();
            if got.is_ok() {
                pools.creds.push((org, id.clone()));
                model.get_mut(o).unwrap().creds.push((
                    id.clone(),
                    CredModel {
                        version: 1,
                        limit,
                        provider: None,
                    },
                ));
            }
            (got.map(|c| c.id.to_string()), Ok(id))
        }
        Op::UpdateCred {
            org,
            id,
            limit,
            expected_offset,
        } => {
            let o = ORGS[org];
            let id = pick(&pools.creds, org, id, BOGUS_CRED).to_owned();
            let m = model.get_mut(o).unwrap();
            let current = m.cred(&id).cloned();
            let expected = match (&current, expected_offset) {
                (Some(c), Some(off)) => Some((c.version as i64 + off as i64).max(0) as u64),
                (None, Some(_)) => Some(1),
                _ => None,
            };
            let mut body = match limit {
                Some(l) => format!(r#"{{"cpsLimit":{l}"#),
                None => r#"{"cpsLimit":null"#.to_owned(),
            };
            if let Some(v) = expected {
                body.push_str(&format!(r#","expectedVersion":{v}"#));
            }
            body.push('}');
            let got = reg
                .update_credential_json(o, &id, &body)
                .map(|c| c.version.to_string())
                .or_else(code);
            let want = match current {
                None => Err("not_found".into()),
                Some(c) if c.provider.is_some() => Err("read_only".into()),
                Some(c) if expected.is_some_and(|v| v != c.version) => Err("conflict".into()),
                Some(c) => {
                    let slot = m.creds.iter_mut().find(|(i, _)| *i == id).unwrap();
                    slot.1 = CredModel {
                        version: c.version + 1,
                        limit,
                        provider: None,
                    };
                    Ok((c.version + 1).to_string())
                }
            };
            (got, want)
        }
        Op::DeleteCred { org, id, force } => {
            let o = ORGS[org];
            let id = pick(&pools.creds, org, id, BOGUS_CRED).to_owned();
            let m = model.get_mut(o).unwrap();
            let got = reg
                .delete_credential(o, &id, force)
                .map(|r| r.unlinked_numbers.join(","))
                .or_else(code);
            let want = match m.cred(&id).cloned() {
                None => Err("not_found".into()),
                Some(c) if c.provider.is_some() => Err("read_only".into()),
                Some(_) => {
                    let (numbers, agents) = m.usage(&id);
                    let in_use = !numbers.is_empty() || !agents.is_empty();
                    if in_use && !force {
                        Err("in_use".into())
                    } else {
                        let unlinked = m.unlink_all(&id);
                        m.creds.retain(|(i, _)| *i != id);
                        Ok(unlinked.join(","))
                    }
                }
            };
            (got, want)
        }
        Op::Usage { org, id } => {
            let o = ORGS[org];
            let id = pick(&pools.creds, org, id, BOGUS_CRED).to_owned();
            let m = &model[o];
            let got = reg
                .usage(o, &id)
                .map(|u| {
                    format!(
                        "{:?}",
                        (
                            u.phone_numbers,
                            u.agents
                                .into_iter()
                                .map(|a| (a.id, a.via))
                                .collect::<Vec<_>>()
                        )
                    )
                })
                .or_else(code);
            let want = match m.cred(&id) {
                None => Err("not_found".into()),
                Some(_) => Ok(format!("{:?}", m.usage(&id))),
            };
            (got, want)
        }
        Op::Link { org, number, id } => {
            let o = ORGS[org];
            let id = pick(&pools.creds, org, id, BOGUS_CRED).to_owned();
            let n = NUMBERS[number];
            let got = reg
                .link_number(o, n, &id)
                .map(|r| r.number.to_string())
                .or_else(code);
            let m = model.get_mut(o).unwrap();
            let want = if m.cred(&id).is_some() {
                m.numbers.insert(n.to_owned(), Some(id));
                Ok(n.to_owned())
            } else {
                Err("not_found".into())
            };
            (got, want)
        }
        Op::Unlink { org, number } => {
            let o = ORGS[org];
            let n = NUMBERS[number];
            let got = reg.unlink_number(o, n).map(|_| String::new()).or_else(code);
            let m = model.get_mut(o).unwrap();
            let want = match m.numbers.get_mut(n) {
                Some(link) => {
                    *link = None;
                    Ok(String::new())
                }
                None => Err("not_found".into()),
            };
            (got, want)
        }
        Op::DeleteNumber { org, number } => {
            let o = ORGS[org];
            let n = NUMBERS[number];
            let got = reg.delete_number(o, n).map(|_| String::new()).or_else(code);
            let m = model.get_mut(o).unwrap();
            let want = if m.numbers.remove(n).is_some() {
                for (_, ns) in m.agents.iter_mut() {
                    ns.remove(n);
                }
                Ok(String::new())
            } else {
                Err("not_found".into())
            };
            (got, want)
        }
        Op::CreateAgent { org } => {
            let o = ORGS[org];
            let got = reg
                .create_agent(o, "Agent")
                .map(|a| a.id.to_string())
                .or_else(code);
            if let Ok(id) = &got {
                pools.agents.push((org, id.clone()));
                model
                    .get_mut(o)
                    .unwrap()
                    .agents
                    .push((id.clone(), BTreeSet::new()));
            }
            (got.clone(), got)
        }
        Op::Assign { org, agent, number } | Op::Unassign { org, agent, number } => {
            let assign = matches!(op, Op::Assign { .. });
            let o = ORGS[org];
            let a = pick(&pools.agents, org, agent, BOGUS_AGENT).to_owned();
            let n = NUMBERS[number];
            let got = if assign {
                reg.assign_number(o, &a, n)
            } else {
                reg.unassign_number(o, &a, n)
            }
            .map(|ag| ag.numbers.len().to_string())
            .or_else(code);
            let m = model.get_mut(o).unwrap();
            let has_number = m.numbers.contains_key(n);
            let want = match m.agent_mut(&a) {
                None => Err("not_found".into()),
                Some(_) if !has_number => Err("not_found".into()),
                Some(ns) => {
                    if assign {
                        ns.insert(n.to_owned());
                    } else {
                        ns.remove(n);
                    }
                    Ok(ns.len().to_string())
                }
            };
            (got, want)
        }
        Op::DeleteAgent { org, agent } => {
            let o = ORGS[org];
            let a = pick(&pools.agents, org, agent, BOGUS_AGENT).to_owned();
            let got = reg.delete_agent(o, &a).map(|_| String::new()).or_else(code);
            let m = model.get_mut(o).unwrap();
            let before = m.agents.len();
            m.agents.retain(|(i, _)| *i != a);
            let want = if m.agents.len() < before {
                Ok(String::new())
            } else {
                Err("not_found".into())
            };
            (got, want)
        }
        Op::ConnectProvider { org, creds } => {
            let o = ORGS[org];
            let inputs = (0..creds)
                .map(|i| server_input(Some(i as u16 + 1)))
                .collect();
            let got = reg.connect_provider(o, "twilio", "Twilio", inputs);
            let Ok(c) = got else {
                return (Err(format!("{:?}", got.err())), Ok(String::new()));
            };
            let p = c.provider.id.to_string();
            pools.providers.push((org, p.clone()));
            let m = model.get_mut(o).unwrap();
            m.providers.push(p.clone());
            for (i, cred) in c.credentials.iter().enumerate() {
                pools.creds.push((org, cred.id.to_string()));
                m.creds.push((
                    cred.id.to_string(),
                    CredModel {
                        version: 1,
                        limit: Some(i as u16 + 1),
                        provider: Some(p.clone()),
                    },
                ));
            }
            (Ok(String::new()), Ok(String::new()))
        }
        Op::DeleteProvider { org, provider } => {
            let o = ORGS[org];
            let p = pick(&pools.providers, org, provider, BOGUS_PROV).to_owned();
            let got = reg
                .delete_provider(o, &p)
                .map(|r| format!("{:?}", (r.deleted_credentials, r.unlinked_numbers)))
                .or_else(code);
            let m = model.get_mut(o).unwrap();
            let want = if m.providers.contains(&p) {
                m.providers.retain(|x| *x != p);
                let owned: Vec<String> = m
                    .creds
                    .iter()
                    .filter(|(_, c)| c.provider.as_deref() == Some(p.as_str()))
                    .map(|(i, _)| i.clone())
                    .collect();
                let mut unlinked = Vec::new();
                for id in &owned {
                    unlinked.extend(m.unlink_all(id));
                }
                unlinked.sort();
                m.creds
                    .retain(|(_, c)| c.provider.as_deref() != Some(p.as_str()));
                Ok(format!("{:?}", (owned, unlinked)))
            } else {
                Err("not_found".into())
            };
            (got, want)
        }
    }
}

fn run(reg: &Registry, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model: BTreeMap<&'static str, OrgModel> =
        ORGS.iter().map(|o| (*o, OrgModel::default())).collect();
    let mut pools = Pools::default();
    for (i, op) in ops.iter().enumerate() {
        let (got, want) = step(reg, &mut model, &mut pools, op);
        prop_assert_eq!(&got, &want, "step {}: {:?}", i, op);
        for o in ORGS {
            let actual = state_of(reg, o);
            prop_assert_eq!(
                &actual,
                &model[o],
                "state of {} after step {}: {:?}",
                o,
                i,
                op
            );
            // No dangling link, and nothing of another org.
            for (n, link) in &actual.numbers {
                if let Some(c) = link {
                    prop_assert!(
                        actual.cred(c).is_some(),
                        "{} links to {} which {} does not hold",
                        n,
                        c,
                        o
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn memory_backend_agrees_with_the_model(ops in prop::collection::vec(op(), 1..80)) {
        run(&Registry::in_memory(), &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_backend_agrees_with_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let store = sipcreds_sqlite::SqliteStore::open(dir.path().join("model.db")).unwrap();
        run(&Registry::new(store), &ops)?;
    }
}

/// Threads racing deletes (forced and not) against links on the in-memory backend: afterwards
/// no number links to a deleted credential, and every link that succeeded either stands or
/// was reported unlinked by a forced delete.
#[test]
fn threads_racing_delete_and_link_leave_no_dangling_link() {
    for _ in 0..20 {
        let reg = Registry::in_memory();
        let ids: Vec<String> = (0..50)
            .map(|i| {
                reg.create_credential_json("acme", &format!(r#"{{"server":"r{i}.example.com"}}"#))
                    .unwrap()
                    .id
                    .to_string()
            })
            .collect();
        std::thread::scope(|s| {
            for t in 0..2 {
                let (reg, ids) = (&reg, &ids);
                s.spawn(move || {
                    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 2 == t) {
                        let _ = reg.delete_credential("acme", id, i % 3 == 0);
                    }
                });
            }
            for t in 0..2 {
                let (reg, ids) = (&reg, &ids);
                s.spawn(move || {
                    for (i, id) in ids.iter().enumerate() {
                        let n = format!("+1415555{:04}", t * 1000 + i);
                        if let Err(e) = reg.link_number("acme", &n, id) {
                            assert_eq!(e.code(), sipcreds::ErrorCode::NotFound);
                        }
                    }
                });
            }
        });
        let existing: BTreeSet<String> = reg
            .list_credentials("acme")
            .unwrap()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        for n in reg.list_numbers("acme").unwrap() {
            if let Some(c) = n.credential_id {
                assert!(
                    existing.contains(c.as_str()),
                    "{} links to deleted {c}",
                    n.number
                );
            }
        }
    }
}
