//! §6 under concurrency: the limiter's view follows the store's commits. Threads update,
//! re-key, create and delete credentials of one org at once while another thread keeps
//! calling; afterwards every credential's enforced limit (and group) is the one the store
//! says, on memory and on SQLite. Before the fix, two updates of one credential could reach the
//! limiter in the opposite order of their commits and leave it enforcing the older limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sipcreds::Registry;
use sipcreds_sqlite::{Durability, Key, SqliteStore};

const ORG: &str = "acme";

fn check(reg: &Registry) {
    let groups = reg.rate_groups(ORG).unwrap();
    for g in &groups {
        for id in &g.members {
            let enforced = reg.limiter().limit_of(ORG, id).unwrap();
            assert_eq!(
                enforced, g.limit,
                "credential {id}: the store's group {} has limit {:?}, the limiter enforces {:?}",
                g.key, g.limit, enforced
            );
        }
        // The members of one stored group share one limiter group.
        let keys: std::collections::BTreeSet<String> = g
            .members
            .iter()
            .map(|id| reg.limiter().group_key_of(ORG, id).unwrap())
            .collect();
        assert_eq!(
            keys.len(),
            1,
            "group {} split in the limiter: {keys:?}",
            g.key
        );
    }
    // Nothing deleted is still admitted.
    let stored: std::collections::BTreeSet<String> =
        groups.iter().flat_map(|g| g.members.clone()).collect();
    for id in DELETED.lock().unwrap().iter() {
        assert!(!stored.contains(id));
        assert_eq!(
            reg.try_acquire(ORG, id).unwrap_err().code(),
            sipcreds::ErrorCode::NotFound,
            "deleted {id} is still in the limiter"
        );
    }
}

const WRITERS: u64 = 4;

static DELETED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn stress(reg: Registry, rounds: usize) {
    let ids: Vec<String> = (0..6)
        .map(|i| {
            reg.create_credential_json(
                ORG,
                &format!(r#"{{"server":"s{i}.example.com","cpsLimit":{}}}"#, i + 1),
            )
            .unwrap()
            .id
            .to_string()
        })
        .collect();
    // The limiter holds the org from here on.
    reg.try_acquire(ORG, &ids[0]).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let caller = {
        let (reg, ids, stop) = (reg.clone(), ids.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for id in &ids {
                    let _ = reg.try_acquire(ORG, id);
                }
            }
        })
    };
    // Every round, all writers change the same credential at once; then, with no write in
    // flight, one of them checks the limiter against the store.
    let barrier = Arc::new(std::sync::Barrier::new(WRITERS as usize));
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let (reg, ids, barrier) = (reg.clone(), ids.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut x = (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut next = move || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                };
                for round in 0..rounds {
                    let id = &ids[round % ids.len()];
                    let limit = if next() % 2 == 0 { 1 } else { 10_000 };
                    let body = match next() % 4 {
                        0 => format!(r#"{{"cpsLimit":{limit},"cpsKey":"shared"}}"#),
                        1 => format!(r#"{{"cpsLimit":{limit},"cpsKey":null}}"#),
                        2 => r#"{"cpsLimit":null}"#.to_string(),
                        _ => format!(r#"{{"cpsLimit":{limit}}}"#),
                    };
                    reg.update_credential_json(ORG, id, &body).unwrap();
                    if next() % 8 == 0 {
                        // Create and delete around the updates, in the same groups.
                        let c = reg
                            .create_credential_json(
                                ORG,
                                &format!(
                                    r#"{{"server":"x.example.com","cpsKey":"shared","cpsLimit":{limit}}}"#
                                ),
                            )
                            .unwrap();
                        if next() % 2 == 0 {
                            reg.delete_credential(ORG, c.id.as_str(), false).unwrap();
                            DELETED.lock().unwrap().push(c.id.to_string());
                        }
                    }
                    barrier.wait();
                    if t == 0 {
                        check(&reg);
                    }
                    barrier.wait();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    caller.join().unwrap();
    check(&reg);
}

/// A store whose commits take a while to be acknowledged (a network round trip after
/// `COMMIT`, a descheduled thread): the moment between a commit and the limiter's update,
/// where the two can swap, is widened from nanoseconds to a fraction of a millisecond.
#[derive(Debug)]
struct SlowAck {
    inner: sipcreds::MemoryStore,
    n: std::sync::atomic::AtomicU64,
}

impl sipcreds::Storage for SlowAck {
    fn read(
        &self,
        f: &mut dyn FnMut(&dyn sipcreds::Tx) -> sipcreds::Result<()>,
    ) -> sipcreds::Result<()> {
        self.inner.read(f)
    }
    fn write(
        &self,
        f: &mut dyn FnMut(&mut dyn sipcreds::Tx) -> sipcreds::Result<()>,
    ) -> sipcreds::Result<()> {
        let out = self.inner.write(f);
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_micros(n * 7919 % 300));
        out
    }
    fn describe(&self) -> String {
        "slow-ack memory".into()
    }
}

#[test]
fn the_limiter_follows_commit_order_on_memory() {
    for _ in 0..3 {
        stress(Registry::in_memory(), 400);
    }
}

#[test]
fn the_limiter_follows_commit_order_when_commits_are_acknowledged_late() {
    for _ in 0..3 {
        stress(
            Registry::new(SlowAck {
                inner: sipcreds::MemoryStore::new(),
                n: Default::default(),
            }),
            150,
        );
    }
}

#[test]
fn the_limiter_follows_commit_order_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let (key, _) = Key::generate("test");
        let store = SqliteStore::open_with(
            dir.path().join(format!("order{round}.db")),
            key,
            Durability::Normal,
        )
        .unwrap();
        stress(Registry::new(store), 150);
    }
}
