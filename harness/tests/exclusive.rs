//! `exclusive: true` cases run alone; other cases run `--jobs` at a time. Shown with a loopback
//! peer that counts how many connections are open at once.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use peerspec::run::plan::parse_cases;
use peerspec::run::{run_cases, Status};
use support::{config_for, fake_peer};
use tokio::io::AsyncReadExt;

/// Four cases that each hold a connection open for 150 ms; `exclusive` set on all or none.
fn four_cases(exclusive: bool) -> String {
    (0..4)
        .map(|i| {
            format!(
                "id: hold-{i}\nprotocol: http/1.1\nexclusive: {exclusive}\nsteps:\n  - send: {{ raw: x }}\n  - pause: 150ms\n  - close\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Runs the cases with `--jobs 4` and returns the most connections the peer saw open at once.
async fn most_at_once(yaml: &str) -> usize {
    let (open, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (o, m) = (open.clone(), most.clone());
    let addr = fake_peer(move |mut stream| {
        let (open, most) = (o.clone(), m.clone());
        async move {
            let now = open.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let mut buf = [0u8; 64];
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            open.fetch_sub(1, Ordering::SeqCst);
        }
    })
    .await;
    let mut config = config_for(addr, Duration::from_secs(5));
    config.jobs = 4;
    let cases = parse_cases("exclusive.yaml", yaml).unwrap();
    let results = run_cases(cases, config, |_| {}).await;
    assert!(results.iter().all(|r| r.status == Status::Passed), "{results:#?}");
    most.load(Ordering::SeqCst)
}

#[tokio::test]
async fn exclusive_cases_run_alone() {
    assert_eq!(most_at_once(&four_cases(true)).await, 1);
}

#[tokio::test]
async fn other_cases_run_together() {
    // Four cases of 150 ms each, started together: they overlap.
    assert!(most_at_once(&four_cases(false)).await > 1);
}
