//! The large registry graph of the benchmarks (credentials with 10 numbers each, and agents
//! using 2 numbers each), built through the storage trait of any backend, so every store's
//! benchmark measures the same graph.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipcreds::{
    Agent, AgentId, CredentialInput, Name, NumberRecord, Org, PhoneNumber, Registry, Storage,
};

/// A graph: its registry and its credentials (each with 10 numbers).
#[allow(missing_debug_implementations)]
pub struct Graph {
    pub reg: Registry,
    /// Credentials that each have 10 numbers.
    pub creds: Vec<String>,
    /// How long the credentials took to import (`create_credentials`, 10,000 a call).
    pub import: Duration,
    /// How long the numbers and agents took.
    pub links: Duration,
    _keep: Option<Box<dyn std::any::Any>>,
}

pub fn number(i: u64) -> PhoneNumber {
    PhoneNumber::parse(&format!("+1{:010}", 2_000_000_000 + i)).unwrap()
}

pub fn input(i: usize) -> CredentialInput {
    CredentialInput::from_json(&format!(
        r#"{{"name":"Trunk {i}","server":"sip{}.example.com","transport":"tls","authUser":"user{i}","authPassword":"pw-{i}-secret","cpsLimit":{},"cpsKey":"k{}"}}"#,
        i % 100,
        1 + i % 50,
        i % 1000
    ))
    .unwrap()
}

/// `n` credentials with 10 numbers each, and `n` agents using 2 numbers each.
pub fn build(store: Arc<dyn Storage>, n: usize, keep: Option<Box<dyn std::any::Any>>) -> Graph {
    let reg = Registry::from_arc(store.clone());
    let t = Instant::now();
    let mut creds = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let made = reg
            .create_credentials("bench", chunk.iter().map(|&i| input(i)).collect())
            .unwrap();
        creds.extend(made.into_iter().map(|c| c.id));
    }
    let import = t.elapsed();
    let t_links = Instant::now();
    let org = Org::parse("bench").unwrap();
    // Numbers and agents in big transactions straight through the storage trait, in batches
    // (one statement per batch on a store with a round trip per statement).
    for (chunk_no, chunk) in creds.chunks(10_000).enumerate() {
        let records: Vec<NumberRecord> = chunk
            .iter()
            .enumerate()
            .flat_map(|(j, id)| {
                let c = (chunk_no * 10_000 + j) as u64;
                (0..10).map(move |k| NumberRecord {
                    number: number(c * 10 + k),
                    credential_id: Some(id.clone()),
                })
            })
            .collect();
        store
            .write(&mut |tx| tx.put_numbers(&org, &records))
            .unwrap();
    }
    let total_numbers = (n * 10) as u64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let agents: Vec<Agent> = chunk
            .iter()
            .map(|&a| {
                let x = (a as u64).wrapping_mul(2_654_435_761) % total_numbers;
                let mut numbers = vec![number(x), number((x + 7) % total_numbers)];
                numbers.sort();
                Agent {
                    id: AgentId::generate(),
                    org: org.clone(),
                    name: Name::parse(&format!("Agent {a}")).unwrap(),
                    numbers,
                    created_at: time::OffsetDateTime::now_utc(),
                }
            })
            .collect();
        store.write(&mut |tx| tx.insert_agents(&agents)).unwrap();
    }
    eprintln!(
        "built {} graph: {n} credentials, {} numbers, {n} agents in {:.1?}",
        store.describe(),
        n * 10,
        t.elapsed()
    );
    Graph {
        reg,
        creds: creds.into_iter().map(|c| c.to_string()).collect(),
        import,
        links: t_links.elapsed(),
        _keep: keep,
    }
}

/// Median of `usage` over many credentials (each with 10 numbers), for the summary's ratio.
pub fn usage_median(g: &Graph) -> Duration {
    let mut times: Vec<Duration> = (0..5000)
        .map(|k| {
            let id = &g.creds[(k * 7919) % g.creds.len()];
            let t = Instant::now();
            black_box(g.reg.usage("bench", id).unwrap());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
