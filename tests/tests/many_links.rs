//! Abuse: one credential behind thousands of numbers and agents. Usage reports them all,
//! an unforced delete is refused with the whole usage, a forced one unlinks every number,
//! and nothing dangles after — in memory and in SQLite.

use sipcreds::{ErrorCode, Registry};

fn many_links(reg: &Registry, n: usize) {
    let c = reg
        .create_credential_json("acme", r#"{"server":"busy.example.com"}"#)
        .unwrap();
    let id = c.id.to_string();
    let numbers: Vec<String> = (0..n).map(|i| format!("+1415{:07}", i)).collect();
    for (i, num) in numbers.iter().enumerate() {
        reg.link_number("acme", num, &id).unwrap();
        if i % 10 == 0 {
            let a = reg.create_agent("acme", &format!("Agent {i}")).unwrap();
            reg.assign_number("acme", a.id.as_str(), num).unwrap();
        }
    }
    let usage = reg.usage("acme", &id).unwrap();
    assert_eq!(usage.phone_numbers.len(), n);
    assert_eq!(usage.agents.len(), n.div_ceil(10));
    let e = reg.delete_credential("acme", &id, false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InUse);
    assert_eq!(
        reg.list_credentials("acme").unwrap().len(),
        1,
        "refused: nothing changed"
    );
    let report = reg.delete_credential("acme", &id, true).unwrap();
    assert_eq!(report.unlinked_numbers.len(), n);
    let numbers_now = reg.list_numbers("acme").unwrap();
    assert_eq!(numbers_now.len(), n, "the numbers stay, unlinked");
    assert!(numbers_now.iter().all(|r| r.credential_id.is_none()));
}

#[test]
fn twenty_thousand_links_in_memory() {
    many_links(&Registry::in_memory(), 20_000);
}

#[test]
fn five_thousand_links_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = sipcreds_sqlite::SqliteStore::open(dir.path().join("x.db")).unwrap();
    many_links(&Registry::new(store), 5_000);
}
