//! One case's connection to the target: the socket, the bytes received and not yet used, the
//! clock and the transcript. [`Session::wait_for`] is the only place peerspec waits on a peer,
//! so every wait in every protocol shares one deadline rule.

use std::io::ErrorKind;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use super::check::{Annotated, Check, Released, Verdict};
use super::driver::{Channel, Unit};
use crate::case::split::Cuts;
use crate::transcript::{Direction, Transcript};
use crate::transport::{Endpoint, Stream};

/// How a session gets its connections.
pub enum Link {
    /// peerspec is the client: it connects to the target.
    Connect(Endpoint),
    /// peerspec is the server: it accepts the client's connections on this listener, with TLS
    /// when an acceptor is given.
    Accept(tokio::net::TcpListener, Option<tokio_rustls::TlsAcceptor>),
    /// peerspec was the server and has closed its listener after accepting the one connection
    /// the case needs ([`Session::close_listener`]); the listener's `host:port`.
    Accepted(String),
}

impl Link {
    /// `host:port` of the target, or of our listener.
    pub fn authority(&self) -> String {
        match self {
            Link::Connect(e) => e.authority(),
            Link::Accept(l, _) => l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            Link::Accepted(authority) => authority.clone(),
        }
    }
}

/// Most unread bytes buffered while a check is pending, so a flooding peer cannot exhaust memory.
pub const MAX_BUFFERED: usize = 64 << 20;

/// Most room made in the input before a read. A connection starts with [`FIRST_READ_SIZE`]
/// and grows with what it holds, so ten thousand quiet connections do not each reserve 64 KiB.
const READ_SIZE: usize = 64 * 1024;

/// Room made in an empty input before its first read.
const FIRST_READ_SIZE: usize = 2 * 1024;

/// Unread input past which a pending check is asked to let go of what it has read
/// ([`Check::release`]); below it, whole messages stay in the buffer, so ordinary transcripts are
/// exactly as they were received.
pub const RELEASE_AT: usize = 256 * 1024;

/// A check's pass over new input longer than this makes the next read smaller.
const SLOW_PASS: Duration = Duration::from_millis(8);

/// Longest a wait keeps its worker thread while the peer's input is always ready.
const YIELD_EVERY: Duration = Duration::from_millis(5);

/// How reading ended, when it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The peer sent FIN.
    Fin,
    /// The connection was reset or failed.
    Reset,
}

/// A case's connection and what it has seen.
pub struct Session {
    link: Link,
    stream: Option<Stream>,
    /// Received bytes not yet used by a passing check.
    pub input: Vec<u8>,
    /// When the input arrived: (end offset in `input` of a read, time since the case started),
    /// so the transcript dates each unit by its arrival, not by when a check judged it.
    arrivals: std::collections::VecDeque<(usize, Duration)>,
    /// When the peer closed.
    closed_at: Option<Duration>,
    /// Whether (and how) the peer closed its side.
    pub closed: Option<Closed>,
    started: Instant,
    /// The case's deadline.
    pub deadline: Instant,
    /// What happened on the wire.
    pub transcript: Transcript,
    /// Input bytes let go of by pending checks ([`Check::release`]).
    released: u64,
    /// The figures of the case's `repeat` rounds so far.
    pub round_trips: Option<super::round_trips::RoundTrips>,
}

impl Session {
    /// A session that has not connected yet.
    pub fn new(link: Link, started: Instant, deadline: Instant) -> Self {
        Session {
            link,
            stream: None,
            input: Vec::new(),
            arrivals: Default::default(),
            closed_at: None,
            closed: None,
            started,
            deadline,
            transcript: Transcript::default(),
            released: 0,
            round_trips: None,
        }
    }

    /// Time since the case started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The target's `host:port` (role client), or our listener's (role server).
    pub fn authority(&self) -> String {
        self.link.authority()
    }

    /// Opens a new connection, closing the current one: connects to the target, or accepts the
    /// client's next connection.
    pub async fn connect(&mut self) -> Result<(), String> {
        self.stream = None;
        self.input.clear();
        self.arrivals.clear();
        self.closed_at = None;
        self.closed = None;
        let authority = self.link.authority();
        let (stream, what) = match &self.link {
            Link::Connect(endpoint) => match endpoint.connect_by(self.deadline).await {
                Ok(s) => (s, format!("connected to {authority}")),
                Err(e) => return Err(format!("cannot connect to {authority}: {e}")),
            },
            Link::Accepted(_) => return Err(format!("no more connections: the listener on {authority} was closed after the first")),
            Link::Accept(listener, tls) => match tokio::time::timeout_at(self.deadline, listener.accept()).await {
                Ok(Ok((tcp, peer))) => {
                    let _ = tcp.set_nodelay(true);
                    let what = format!("accepted a connection from {peer} on {authority}");
                    match tls {
                        None => (Stream::Tcp(tcp), what),
                        Some(acceptor) => match tokio::time::timeout_at(self.deadline, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => (Stream::TlsServer(Box::new(tls)), what),
                            Ok(Err(e)) => {
                                let no_alpn = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
                                    == Some(&rustls::Error::NoApplicationProtocol);
                                let hint = if no_alpn {
                                    " (the client offered no ALPN protocol the fake server serves, e.g. not h2 for an HTTP/2 case: RFC 9113 §3.2)"
                                } else {
                                    ""
                                };
                                return Err(format!("{what}, but the TLS handshake failed: {e}{hint}"));
                            }
                            Err(_) => return Err(format!("{what}, but the client did not complete the TLS handshake")),
                        },
                    }
                }
                Ok(Err(e)) => return Err(format!("accepting on {authority} failed: {e}")),
                Err(_) => return Err(format!("case timed out waiting for the client to connect to {authority}")),
            },
        };
        let alpn = stream.alpn().map(|a| format!(", ALPN {}", String::from_utf8_lossy(&a))).unwrap_or_default();
        let tls = if matches!(stream, Stream::Tls(_) | Stream::TlsServer(_)) { " over TLS" } else { "" };
        let at = self.elapsed();
        self.transcript.note(at, format!("{what}{tls}{alpn}"));
        self.stream = Some(stream);
        Ok(())
    }

    /// Closes the listener of a server-role session (after its connection was accepted), so a
    /// case holds one socket, not two; later connection attempts are refused.
    pub fn close_listener(&mut self) {
        if let Link::Accept(..) = self.link {
            self.link = Link::Accepted(self.link.authority());
        }
    }

    /// The open connection's channel: cleartext, or TLS with the ALPN protocol the peer selected.
    pub fn channel(&self) -> Channel {
        match self.stream.as_ref() {
            Some(stream @ (Stream::Tls(_) | Stream::TlsServer(_))) => Channel::Tls { alpn: stream.alpn() },
            _ => Channel::Cleartext,
        }
    }

    /// Whether a connection is open (not closed or reset by a step).
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Closes the connection (FIN after what was written) and drops it.
    pub async fn close(&mut self) -> Result<(), String> {
        let Some(mut stream) = self.stream.take() else { return Err("no open connection to close".into()) };
        let _ = tokio::time::timeout_at(self.deadline, stream.shutdown()).await;
        let at = self.elapsed();
        self.transcript.push(at, Direction::Sent, "FIN (close)", b"");
        Ok(())
    }

    fn stream(&mut self) -> Result<&mut Stream, String> {
        self.stream.as_mut().ok_or_else(|| "no open connection (after `reset`, use `reconnect`)".to_string())
    }

    /// Writes `bytes` whole, recording them as `unit`.
    pub async fn send(&mut self, unit: &str, bytes: &[u8]) -> Result<(), String> {
        self.send_units(&[Unit::new(unit, bytes.to_vec())]).await
    }

    /// Writes several units in one write (pipelining), recording each.
    pub async fn send_units(&mut self, units: &[Unit]) -> Result<(), String> {
        self.send_split(units, Cuts::Every(usize::MAX), None).await
    }

    /// Writes units as [`Session::send_units`] does, but in pieces cut by `cuts` over their
    /// bytes taken together, each piece a separate write and flush (with TCP_NODELAY, its own
    /// segment), waiting `pause` between pieces. The transcript records the units as for one
    /// write, and a note of the pieces. Writing and pausing end at the case's deadline.
    pub async fn send_split(&mut self, units: &[Unit], cuts: Cuts<'_>, pause: Option<Duration>) -> Result<(), String> {
        let at = self.elapsed();
        // Past the transcript's head only the last units could be shown: count the rest without
        // previewing them (a message in 65 536 fragments is 65 536 units).
        let room = crate::transcript::HEAD_ENTRIES.saturating_sub(self.transcript.entries.len());
        let tail = crate::transcript::TAIL_ENTRIES;
        let skip = if units.len() > room + tail { room..units.len() - tail } else { 0..0 };
        if !skip.is_empty() {
            let bytes = units[skip.clone()].iter().map(|u| u.bytes.len() as u64).sum();
            self.transcript.count_left_out(skip.len() as u64, bytes, at);
        }
        for (i, unit) in units.iter().enumerate() {
            if !skip.contains(&i) {
                self.transcript.push(at, Direction::Sent, unit.label.clone(), &unit.bytes);
            }
        }
        let all: Vec<u8> = match units {
            [only] => return self.write_pieces(&only.bytes, cuts, pause).await,
            _ => units.iter().flat_map(|u| u.bytes.iter().copied()).collect(),
        };
        self.write_pieces(&all, cuts, pause).await
    }

    async fn write_pieces(&mut self, all: &[u8], cuts: Cuts<'_>, pause: Option<Duration>) -> Result<(), String> {
        let pieces = cuts.pieces(all.len());
        if pieces.len() > 1 {
            let at = self.elapsed();
            let sizes = match cuts {
                Cuts::Every(n) => format!("of {n} B"),
                Cuts::At(_) => format!("at offsets {:?}", &pieces[1..].iter().map(|p| p.0).collect::<Vec<_>>()),
            };
            let paused = pause.map(|p| format!(", {p:?} apart")).unwrap_or_default();
            self.transcript.note(at, format!("the {} B above are written in {} pieces {sizes}{paused}", all.len(), pieces.len()));
        }
        let deadline = self.deadline;
        for (i, &(start, end)) in pieces.iter().enumerate() {
            if let (true, Some(pause)) = (i > 0, pause) {
                let until = Instant::now().checked_add(pause).unwrap_or(deadline).min(deadline);
                tokio::time::sleep_until(until).await;
                if until >= deadline {
                    return Err(format!("case timed out pausing between the pieces of a split write ({i} of {} written)", pieces.len()));
                }
            }
            let stream = self.stream()?;
            let write = async {
                stream.write_all(&all[start..end]).await?;
                stream.flush().await
            };
            match tokio::time::timeout_at(deadline, write).await {
                Ok(Ok(())) => {}
                // The peer closed (say, after a GOAWAY for the first frames of this write): that
                // is for the next expectation to judge, with what the peer sent before closing.
                Ok(Err(e)) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                    let at = self.elapsed();
                    let piece = if pieces.len() > 1 { format!(" (piece {} of {})", i + 1, pieces.len()) } else { String::new() };
                    self.transcript.note(at, format!("write failed{piece}, the peer has closed: {e}"));
                    return Ok(());
                }
                Ok(Err(e)) => return Err(format!("write failed: {e}")),
                Err(_) => return Err("case timed out while writing (the peer is not reading)".into()),
            }
        }
        Ok(())
    }

    /// Shuts down our write side (FIN).
    pub async fn half_close(&mut self) -> Result<(), String> {
        let deadline = self.deadline;
        let stream = self.stream()?;
        match tokio::time::timeout_at(deadline, stream.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("half-close failed: {e}")),
            Err(_) => return Err("case timed out while half-closing".into()),
        }
        let at = self.elapsed();
        self.transcript.push(at, Direction::Sent, "FIN (half-close)", b"");
        Ok(())
    }

    /// Drops the connection with a TCP RST.
    pub fn reset(&mut self) -> Result<(), String> {
        let stream = self.stream.take().ok_or("no open connection to reset")?;
        stream.reset();
        let at = self.elapsed();
        self.transcript.push(at, Direction::Sent, "RST", b"");
        Ok(())
    }

    /// Reads until `check` decides, the peer closes, or `deadline` (capped by the case's) passes.
    /// On a pass, the bytes it used are removed from the input and annotated in the transcript.
    pub async fn wait_for(&mut self, check: &mut dyn Check, deadline: Instant) -> Result<(), String> {
        let deadline = deadline.min(self.deadline);
        let mut last_yield = Instant::now();
        // How much one read may bring: a check reads every unit of it before the deadline is
        // looked at again, so when that takes long (a flood of 3-byte frames, each a unit), reads
        // shrink until a pass is short again.
        let mut read_size = READ_SIZE;
        loop {
            // Input that is always ready never makes a read return Pending within one poll of
            // the task (tokio's budget counts reads, not time): give the worker back now and
            // then, so timers, signals (Ctrl-C) and a cancellation are seen while a peer floods.
            if last_yield.elapsed() >= YIELD_EVERY {
                tokio::task::yield_now().await;
                last_yield = Instant::now();
            }
            let polled = Instant::now();
            let verdict = match check.poll(&self.input, self.closed.is_some()) {
                Verdict::Pending if self.closed.is_some() => check.on_deadline(&self.input),
                v => v,
            };
            read_size = match polled.elapsed() {
                t if t > SLOW_PASS => (read_size / 2).max(FIRST_READ_SIZE),
                t if t < SLOW_PASS / 4 => (read_size * 2).min(READ_SIZE),
                _ => read_size,
            };
            match verdict {
                Verdict::Pending => {
                    if self.input.len() >= RELEASE_AT {
                        if let Some(released) = check.release() {
                            self.release(released);
                        }
                    }
                }
                Verdict::Pass { consumed, units } => {
                    self.annotate(units);
                    self.consume(consumed);
                    return Ok(());
                }
                Verdict::Fail(why) => {
                    self.note_failure_input(check);
                    return Err(why);
                }
            }
            if self.input.len() > MAX_BUFFERED {
                self.note_failure_input(check);
                return Err(format!(
                    "{} still undecided after {} bytes; giving up (limit {MAX_BUFFERED} B)",
                    check.describe(),
                    self.input.len()
                ));
            }
            // A check that has decided unless more comes (Check::settles_after) waits that long
            // after the last read, within the deadline.
            let until = match check.settles_after() {
                Some(after) => Instant::now().checked_add(after).map_or(deadline, |t| t.min(deadline)),
                None => deadline,
            };
            // Looked at on every pass, not only when a read would block: a peer whose input is
            // always ready (a flood of 1-byte units) would otherwise never let the deadline fire.
            if Instant::now() >= until {
                return self.timed_out(check, until);
            }
            let Some(stream) = self.stream.as_mut() else {
                return Err(format!("waiting for {}, but there is no open connection", check.describe()));
            };
            // Read straight into the input's spare room: no scratch buffer, no copy.
            self.input.reserve(self.input.len().clamp(FIRST_READ_SIZE, read_size));
            let mut limited = (&mut *stream).take(read_size as u64);
            match tokio::time::timeout_at(until, limited.read_buf(&mut self.input)).await {
                Ok(Ok(0)) => self.mark_closed(Closed::Fin, "FIN"),
                Ok(Ok(_)) => {
                    let at = self.elapsed();
                    self.arrivals.push_back((self.input.len(), at));
                }
                Ok(Err(e)) => self.mark_closed(Closed::Reset, &format!("connection error: {e}")),
                Err(_) => return self.timed_out(check, until),
            }
        }
    }

    /// `deadline` passed while `check` waited: its last word on what arrived.
    fn timed_out(&mut self, check: &mut dyn Check, deadline: Instant) -> Result<(), String> {
        // A settled check's verdict is its own, not the case's timeout.
        let settled = check.settles_after().is_some();
        match check.on_deadline(&self.input) {
            Verdict::Pass { consumed, .. } => {
                self.consume(consumed);
                Ok(())
            }
            Verdict::Fail(why) => {
                self.note_failure_input(check);
                let case_over = deadline >= self.deadline;
                Err(if case_over && !check.passes_on_quiet() && !settled {
                    format!("case timed out waiting for {}: {why}", check.describe())
                } else {
                    why
                })
            }
            Verdict::Pending => Err(format!("timed out waiting for {}", check.describe())),
        }
    }

    fn mark_closed(&mut self, how: Closed, unit: &str) {
        self.closed = Some(how);
        let at = self.elapsed();
        self.closed_at = Some(at);
        self.transcript.push(at, Direction::Received, unit, b"");
    }

    /// A pending check let go of the front of the input: its units go to the transcript, its
    /// bytes are dropped, and the transcript counts what went by that way.
    fn release(&mut self, released: Released) {
        let Released { len, units } = released;
        let len = len.min(self.input.len());
        if len == 0 {
            return;
        }
        self.annotate(units);
        self.released += len as u64;
        self.consume(len);
    }

    /// Bytes pending checks let go of before they decided (a long body read through a bounded
    /// buffer).
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Drops the first `n` bytes of the input (a check used them).
    fn consume(&mut self, n: usize) {
        let n = n.min(self.input.len());
        self.input.drain(..n);
        while self.arrivals.front().is_some_and(|(end, _)| *end <= n) {
            self.arrivals.pop_front();
        }
        for (end, _) in self.arrivals.iter_mut() {
            *end -= n;
        }
    }

    /// When the input byte at `offset` arrived (the close, or now, for a unit past the input).
    fn arrival_of(&self, offset: usize) -> Duration {
        self.arrivals.iter().find(|(end, _)| *end > offset).map(|(_, at)| *at).or(self.closed_at).unwrap_or_else(|| self.elapsed())
    }

    /// Adds annotated units of the input to the transcript, each dated by the arrival of its last
    /// byte; returns how far they reach.
    fn annotate(&mut self, mut units: Vec<Annotated>) -> usize {
        let mut reach = units.iter().map(|u| (u.offset + u.len).min(self.input.len())).max().unwrap_or(0);
        // Past the transcript's head, only the last units could still be shown: count the rest
        // without formatting them (a flood of tiny units would spend the case's time on it).
        let room = crate::transcript::HEAD_ENTRIES.saturating_sub(self.transcript.entries.len());
        let keep = room + crate::transcript::TAIL_ENTRIES;
        if units.len() > keep {
            let skipped: Vec<Annotated> = units.drain(room..units.len() - crate::transcript::TAIL_ENTRIES).collect();
            let bytes = skipped.iter().map(|u| u.len as u64).sum();
            let last = skipped.last().map_or(0, |u| u.offset + u.len);
            let at = self.arrival_of(last.saturating_sub(1));
            self.transcript.count_left_out(skipped.len() as u64, bytes, at);
        }
        for u in units {
            let end = (u.offset + u.len).min(self.input.len());
            let at = self.arrival_of(end.saturating_sub(1).max(u.offset.min(end)));
            let at = if u.len == 0 && u.offset >= self.input.len() { self.closed_at.unwrap_or(at) } else { at };
            let bytes = &self.input[u.offset.min(end)..end];
            self.transcript.push(at, Direction::Received, u.unit, bytes);
            reach = reach.max(end);
        }
        reach
    }

    /// On failure, records what the check understood of the input and the bytes past that, so
    /// the transcript shows everything received.
    fn note_failure_input(&mut self, check: &dyn Check) {
        let reach = self.annotate(check.units_so_far());
        if reach < self.input.len() {
            let at = self.elapsed();
            self.transcript.push(at, Direction::Received, "bytes no check accounted for", &self.input[reach..]);
        }
    }
}
