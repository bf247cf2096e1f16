//! The loopback round-trip floor (`cargo bench --bench rtt`, printed by `ci/bench`): how long
//! one request/answer exchange over TCP on 127.0.0.1 takes at the least, and how long a TCP
//! connection takes to open. A case's wall time can't go below its round trips × this figure;
//! `ci/bench` multiplies it by the round trips each HTTP/2 case makes (counted in its transcript).
//!
//! Plain std sockets, 1-byte ping-pong with TCP_NODELAY, both ends in this process (a thread
//! echoes). Every loop is bounded by a count and a time limit.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Round trips measured (after the warm-up), unless the time limit comes first.
const ROUNDS: usize = 20_000;
/// Connections opened for the connect figure.
const CONNECTS: usize = 1_000;
/// Upper bound for each measurement loop.
const LIMIT: Duration = Duration::from_secs(5);

fn main() -> std::io::Result<()> {
    // `cargo bench` passes `--bench`; nothing else is accepted here.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        // The first connection is the ping-pong; the rest are connect-only (closed at once).
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(LIMIT))?;
        let mut b = [0u8; 1];
        while s.read(&mut b)? == 1 {
            s.write_all(&b)?;
        }
        for _ in 0..CONNECTS {
            let (s, _) = listener.accept()?;
            drop(s);
        }
        Ok(())
    });

    let mut c = TcpStream::connect(addr)?;
    c.set_nodelay(true)?;
    c.set_read_timeout(Some(LIMIT))?;
    let mut b = [7u8; 1];
    let mut round = |c: &mut TcpStream| -> std::io::Result<Duration> {
        let t = Instant::now();
        c.write_all(&b)?;
        c.read_exact(&mut b)?;
        Ok(t.elapsed())
    };
    for _ in 0..1_000 {
        round(&mut c)?; // warm-up
    }
    let mut samples = Vec::with_capacity(ROUNDS);
    let started = Instant::now();
    while samples.len() < ROUNDS && started.elapsed() < LIMIT {
        samples.push(round(&mut c)?);
    }
    drop(c);

    let mut connects = Vec::with_capacity(CONNECTS);
    let started = Instant::now();
    for _ in 0..CONNECTS {
        let t = Instant::now();
        let s = TcpStream::connect(addr)?;
        connects.push(t.elapsed());
        drop(s);
        if started.elapsed() > LIMIT {
            break;
        }
    }
    // The echo thread waits for CONNECTS connections: give it the missing ones if we stopped early.
    for _ in connects.len()..CONNECTS {
        drop(TcpStream::connect(addr)?);
    }
    echo.join().expect("the echo thread does not panic")?;

    let (rtt, connect) = (Stats::of(&mut samples), Stats::of(&mut connects));
    println!(
        "loopback round trip (1-byte ping-pong, TCP_NODELAY, {} rounds): median {:.1} µs, mean {:.1} µs, p99 {:.1} µs",
        rtt.n, rtt.median, rtt.mean, rtt.p99
    );
    // No mean here: a connection that overflows the listen backlog waits for a SYN retransmit.
    println!("loopback TCP connect ({} connections): median {:.1} µs, p99 {:.1} µs", connect.n, connect.median, connect.p99);
    // For ci/bench to read.
    println!("rtt_median_us={:.3} connect_median_us={:.3}", rtt.median, connect.median);
    Ok(())
}

struct Stats {
    n: usize,
    median: f64,
    mean: f64,
    p99: f64,
}

impl Stats {
    fn of(samples: &mut [Duration]) -> Stats {
        samples.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let n = samples.len().max(1);
        let at = |q: f64| {
            samples.get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1))).copied().map(us).unwrap_or(0.0)
        };
        Stats { n: samples.len(), median: at(0.5), mean: samples.iter().copied().map(us).sum::<f64>() / n as f64, p99: at(0.99) }
    }
}
