//! [`H2Conn`]: the HTTP/2 connection state both roles share: the frames read (the [`Reader`]),
//! raw `frames` sent and what they change (flow control, PING barriers, streams ended), and the
//! role-neutral expectations (`frame`, `connection_error`, `stream_error`, `ping_ack`).
//! [`super::H2Client`] and [`super::H2Server`] each hold one and add what their role does.

use crate::case::h2::{FrameSpec, H2Request};
use crate::case::ExpectKind;
use crate::wire::h2::{self as wire, kind, settings, Frame, Payload};

use super::encode::{encode_frame, encode_request, oversize_frame};
use super::errors::{ConnectionErrorMatcher, StreamErrorMatcher};
use super::matchers::{FrameMatcher, H2Check, Matcher, PingAckMatcher};
use super::reader::{Reader, MAX_KEPT_FRAMES};
use super::DEFAULT_PING;
use crate::run::config::Caps;
use crate::run::driver::{Channel, DriverConfig, Substitutions, Units};

/// HTTP/2 connection state a case carries between steps, whichever role peerspec plays.
pub(super) struct H2Conn {
    pub(super) subs: Substitutions,
    pub(super) reader: Reader,
    /// Whether peerspec greets the peer itself after each connect (the case's `preface`).
    pub(super) greet: bool,
    /// Whether `:scheme` defaults to https.
    pub(super) tls: bool,
    /// The next client stream a request opens.
    pub(super) next_stream: u32,
    /// The stream expectations default to.
    pub(super) last_stream: Option<u32>,
    last_ping: Vec<u8>,
    /// Data of a PING sent and not yet seen acknowledged by a passing check: the barrier error
    /// expectations use to fail fast.
    barrier: Option<Vec<u8>>,
    /// The run's caps (field block size, body kept).
    pub(super) caps: Caps,
    /// Streams whose request was HEAD (their responses have no content).
    pub(super) head_streams: Vec<u32>,
    /// Streams peerspec has sent END_STREAM on (its side ended): a response with END_STREAM
    /// then closes them, which `stream_error`'s `or_response` needs to know.
    ended_streams: Vec<u32>,
}

impl H2Conn {
    /// The state before the first connect; `tls` is whether `:scheme` defaults to https.
    pub(super) fn new(cfg: &DriverConfig<'_>, tls: bool) -> Self {
        H2Conn {
            subs: cfg.subs.clone(),
            reader: Reader { max_header_bytes: cfg.caps.max_header_bytes, ..Reader::default() },
            greet: cfg.preface,
            tls,
            next_stream: 1,
            last_stream: None,
            last_ping: DEFAULT_PING.to_vec(),
            barrier: None,
            caps: cfg.caps,
            head_streams: vec![],
            ended_streams: vec![],
        }
    }

    /// A new connection: a fresh reader (HPACK table, settings, flow control), no stream to
    /// default to, no PING outstanding.
    pub(super) fn reset(&mut self) {
        self.reader = Reader { max_header_bytes: self.caps.max_header_bytes, ..Reader::default() };
        self.last_stream = None;
        self.barrier = None;
    }

    /// A new connection forgets the streams of the last one too (the client role).
    pub(super) fn reset_streams(&mut self) {
        self.next_stream = 1;
        self.head_streams.clear();
        self.ended_streams.clear();
    }

    /// Over TLS, the peer must have agreed on h2 through ALPN (RFC 9113 §3.2); `who_did_not`
    /// says who failed to, for the message.
    pub(super) fn require_h2(channel: &Channel, who_did_not: &str) -> Result<(), String> {
        match channel {
            Channel::Cleartext => Ok(()),
            Channel::Tls { alpn: Some(alpn) } if alpn == b"h2" => Ok(()),
            Channel::Tls { alpn } => Err(format!(
                "{who_did_not} h2 through ALPN (it selected {}): HTTP/2 over TLS is negotiated with ALPN h2 (RFC 9113 §3.2)",
                alpn.as_ref().map(|a| format!("{:?}", String::from_utf8_lossy(a))).unwrap_or_else(|| "no protocol".into())
            )),
        }
    }

    /// Raw `frames`, encoded in order, each noted for what it changes.
    pub(super) fn encode_frames(&mut self, frames: &[FrameSpec]) -> Result<Units, String> {
        let mut out = vec![];
        for f in frames {
            if let FrameSpec::ExceedConcurrentStreams(e) = f {
                out.extend(self.exceed_concurrency(e)?);
                continue;
            }
            if let FrameSpec::ExceedMaxFrameSize(o) = f {
                let max = self.reader.peer_max_frame_size.unwrap_or(wire::DEFAULT_MAX_FRAME_SIZE);
                out.push(oversize_frame(o, max)?);
                continue;
            }
            out.extend(encode_frame(f, &self.subs, self.tls)?);
            self.note_sent(f)?;
        }
        Ok(out)
    }

    fn note_sent(&mut self, spec: &FrameSpec) -> Result<(), String> {
        match spec {
            FrameSpec::Ping(p) if !p.ack => {
                self.last_ping = p.data.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_else(|| DEFAULT_PING.to_vec());
                self.barrier = Some(self.last_ping.clone());
            }
            // Flow control: count what the frame opens, generously (malformations aside).
            FrameSpec::WindowUpdate(w) => {
                let payload = Payload::WindowUpdate(wire::window_update::WindowUpdate { increment: w.increment & 0x7fff_ffff });
                self.reader.flow.sent(&Frame::new(kind::WINDOW_UPDATE, 0, w.stream, payload));
            }
            FrameSpec::Settings(st) if !st.ack => {
                if let Some(v) =
                    st.params.iter().filter(|(n, _)| settings::by_name(n) == Some(settings::INITIAL_WINDOW_SIZE)).map(|(_, v)| *v).max()
                {
                    let payload =
                        Payload::Settings(wire::settings::Settings { params: vec![(settings::INITIAL_WINDOW_SIZE, v)], trailing: vec![] });
                    self.reader.flow.sent(&Frame::new(kind::SETTINGS, 0, 0, payload));
                }
            }
            FrameSpec::Data(d) if d.end_stream => self.ended(d.stream),
            FrameSpec::Headers(h) => {
                if h.end_stream {
                    self.ended(h.stream);
                }
                if h.fields.as_ref().and_then(|f| f.get(":method")).is_some_and(|m| m == "HEAD") {
                    self.head_streams.push(h.stream);
                }
                self.last_stream = Some(h.stream);
                if h.stream % 2 == 1 && h.stream >= self.next_stream {
                    self.next_stream = h.stream + 2;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// peerspec's side of `stream` has ended (bounded: the streams of one connection).
    pub(super) fn ended(&mut self, stream: u32) {
        if !self.ended_streams.contains(&stream) && self.ended_streams.len() < MAX_KEPT_FRAMES {
            self.ended_streams.push(stream);
        }
    }

    /// One request more than the peer's SETTINGS_MAX_CONCURRENT_STREAMS, none ending its stream.
    fn exceed_concurrency(&mut self, e: &crate::case::h2::ExceedSpec) -> Result<Units, String> {
        let Some(limit) = self.reader.peer_max_concurrent_streams else {
            return Err("the peer announced no SETTINGS_MAX_CONCURRENT_STREAMS (or no step has read its SETTINGS yet: \
                        expect its SETTINGS frame first)"
                .into());
        };
        if limit > 1000 {
            return Err(format!("the peer allows {limit} concurrent streams; peerspec opens at most 1001"));
        }
        let mut out = vec![];
        for _ in 0..=limit {
            let stream = self.next_stream;
            let request =
                H2Request { stream: Some(stream), method: e.method.clone(), path: e.path.clone(), end_stream: false, ..Default::default() };
            // No body and no END_STREAM: the HEADERS frame alone, the stream left open.
            let mut frames = encode_request(&request, stream, &self.subs, self.tls)?;
            frames.truncate(1);
            out.extend(frames);
            self.last_stream = Some(stream);
            self.next_stream += 2;
        }
        Ok(out)
    }

    /// The matcher of a role-neutral expectation on `stream` (`frame`, `connection_error`,
    /// `stream_error`, `ping_ack`); `None` for any other.
    pub(super) fn matcher(&self, expect: &ExpectKind, stream: u32) -> Option<Result<Box<dyn Matcher>, String>> {
        fn boxed<M: Matcher + 'static>(m: Result<M, String>) -> Option<Result<Box<dyn Matcher>, String>> {
            Some(m.map(|m| Box::new(m) as Box<dyn Matcher>))
        }
        match expect {
            ExpectKind::Frame(f) => boxed(FrameMatcher::new(f)),
            ExpectKind::ConnectionError(c) => boxed(ConnectionErrorMatcher::new(c, self.barrier.clone())),
            ExpectKind::StreamError(s) => boxed(StreamErrorMatcher::new(s, stream, self.barrier.clone(), &self.ended_streams)),
            ExpectKind::PingAck(p) => {
                let data = match p.data.as_ref().map(|d| d.to_bytes()).transpose() {
                    Ok(data) => data.unwrap_or_else(|| self.last_ping.clone()),
                    Err(e) => return Some(Err(e)),
                };
                boxed(Ok(PingAckMatcher { data, quiet: p.quiet_streams.clone() }))
            }
            _ => None,
        }
    }

    /// A check of `matcher` over a clone of the reader.
    pub(super) fn check(&self, matcher: Box<dyn Matcher>) -> H2Check {
        H2Check::new(self.reader.clone(), matcher)
    }

    /// A check passed: the reader it read with becomes the connection's; the SETTINGS and PING
    /// acknowledgements it owes go out.
    pub(super) fn passed(&mut self, mut check: H2Check) -> Units {
        if let Some(r) = check.passed.take() {
            self.reader = r;
            // Whatever PING was outstanding has been answered or overtaken by this step.
            self.barrier = None;
        }
        std::mem::take(&mut self.reader.replies)
    }

    /// After the last step: whether the unread input is whole frames only.
    pub(super) fn unread_is_fine(&mut self, input: &[u8]) -> bool {
        self.reader.only_whole_frames(input)
    }
}
