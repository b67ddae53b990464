//! The listener's bounds (`sipcreds_server::serve`): at most `max_connections` connections are
//! served at once (the next waits in the kernel's backlog until one closes), and shutdown lets
//! a request in flight finish.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn get(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn connections_beyond_the_bound_wait_until_one_closes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = sipcreds_server::router(
        sipcreds::Registry::in_memory(),
        sipcreds_server::Options::default(),
    );
    let options = sipcreds_server::ServeOptions {
        max_connections: 2,
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(sipcreds_server::serve(listener, app, options, async {
        let _ = stopped.await;
    }));

    // Two connections, kept open (keep-alive): both served.
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    for s in [&mut a, &mut b] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(get(s, "/v1/healthz").starts_with("HTTP/1.1 200"));
    }
    // A third is connected by the kernel but not served while both are open.
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let t0 = Instant::now();
    let early = get(&mut c, "/v1/healthz");
    assert!(early.is_empty(), "served beyond the bound: {early}");
    assert!(t0.elapsed() >= Duration::from_millis(600));
    // One closes: the third is served.
    drop(a);
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    let n = c.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "the waiting connection was not served after one closed"
    );
    drop((b, c));
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
}
