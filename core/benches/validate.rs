//! `validate_credential_json` on a typical credential and on a batch.
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const TYPICAL: &str = r#"{"name":"Main trunk","server":"sip.example.com:5061","transport":"tls","authUser":"acme-trunk","authPassword":"s3cr3t-p4ss","domain":"sip.example.com","cpsLimit":10,"cpsKey":"acme-shared"}"#;

fn batch(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"name":"Trunk {i}","server":"sip{}.example{}.com{}","transport":"{}","authUser":"user{i}","authPassword":"pw-{i}-x","cpsLimit":{},"cpsKey":"k{}"}}"#,
                i % 7,
                i % 13,
                if i % 2 == 0 { ":5060" } else { "" },
                ["udp", "tcp", "TLS"][i % 3],
                1 + i % 100,
                i % 50
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    // The `Value` path (§9's Rust entry point): parse, check, and the normalized fields as a
    // `serde_json::Value`. Target ≤ 1.5 µs.
    c.bench_function("validate/typical", |b| {
        b.iter(|| sipcreds::validate_credential_json(black_box(TYPICAL)).unwrap())
    });
    // The typed path the bindings take: parse and check into a `CredentialInput` (strings
    // borrowed from the body while checked), then the normalized fields borrowed from it.
    // Target ≤ 1 µs.
    c.bench_function("validate/typed", |b| {
        b.iter(|| {
            let input = sipcreds::CredentialInput::from_json(black_box(TYPICAL)).unwrap();
            let fields = input.normalized_fields();
            black_box(fields.port);
            drop(black_box(fields));
        })
    });
    // The typed path to JSON text (Node's and C's answer): no `Value` in between.
    c.bench_function("validate/typed_text", |b| {
        b.iter(|| {
            sipcreds::CredentialInput::from_json(black_box(TYPICAL))
                .unwrap()
                .to_normalized_json_string()
        })
    });
    // The bindings' object path (Python's dict, Node's arguments): the same fields
    // without JSON text.
    c.bench_function("validate/fields", |b| {
        use sipcreds::FieldValue::{Int, Str};
        let fields = [
            ("name", Str("Main trunk")),
            ("server", Str("sip.example.com:5061")),
            ("transport", Str("tls")),
            ("authUser", Str("acme-trunk")),
            ("authPassword", Str("s3cr3t-p4ss")),
            ("domain", Str("sip.example.com")),
            ("cpsLimit", Int(10)),
            ("cpsKey", Str("acme-shared")),
        ];
        b.iter(|| {
            let input = sipcreds::CredentialInput::from_fields(black_box(fields))
                .unwrap()
                .unwrap();
            black_box(input.normalized_fields().port);
        })
    });
    c.bench_function("validate/idn", |b| {
        let body = r#"{"server":"bücher.example:5060","authUser":"u","authPassword":"p"}"#;
        b.iter(|| sipcreds::validate_credential_json(black_box(body)).unwrap())
    });
    c.bench_function("validate/error_scheme", |b| {
        let body = r#"{"server":"sip:trunk.example.com"}"#;
        b.iter(|| sipcreds::validate_credential_json(black_box(body)).unwrap_err())
    });
    let items = batch(20_000);
    let mut g = c.benchmark_group("validate_batch");
    g.throughput(Throughput::Elements(items.len() as u64));
    g.sample_size(20);
    g.bench_function("20k", |b| {
        b.iter_batched(
            || (),
            |()| {
                items
                    .iter()
                    .map(|s| sipcreds::validate_credential_json(s).is_ok() as usize)
                    .sum::<usize>()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
