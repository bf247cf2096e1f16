//! [`H2Client`]: peerspec as the HTTP/2 client (role `client`).

use crate::case::h2::{FrameSpec, H2Request};
use crate::case::{Case, ExpectKind, Send};
use crate::wire::h2::{self as wire, kind, settings, Frame, Payload};

use super::encode::{encode_frame, encode_request, oversize_frame};
use super::errors::{ConnectionErrorMatcher, StreamErrorMatcher};
use super::matchers::{FrameMatcher, H2Check, Matcher, PingAckMatcher, ResponseMatcher};
use super::reader::{Reader, MAX_KEPT_FRAMES};
use super::DEFAULT_PING;
use crate::run::check::Check;
use crate::run::driver::{Driver, Substitutions, Units};

/// HTTP/2 state a case carries between steps.
/// The server role ([`super::H2Server`]) wraps this driver for everything that does not
/// depend on the role: reading frames, raw `frames`, PING barriers, connection and stream errors.
pub struct H2Client {
    subs: Substitutions,
    pub(super) reader: Reader,
    pub(super) greet: bool,
    tls: bool,
    next_stream: u32,
    /// The stream expectations default to.
    pub(super) last_stream: Option<u32>,
    last_ping: Vec<u8>,
    /// Data of a PING sent and not yet seen acknowledged by a passing check: the barrier error
    /// expectations use to fail fast.
    pub(super) barrier: Option<Vec<u8>>,
    /// The run's caps (field block size, body kept).
    pub(super) caps: crate::run::Caps,
    /// Streams whose request was HEAD (their responses have no content).
    head_streams: Vec<u32>,
    /// Streams peerspec has sent END_STREAM on (its side ended): a response with END_STREAM
    /// then closes them, which `stream_error`'s `or_response` needs to know.
    ended_streams: Vec<u32>,
}

impl H2Client {
    /// A driver for one case.
    pub fn new(subs: Substitutions) -> H2Client {
        H2Client {
            subs,
            reader: Reader::default(),
            greet: true,
            tls: false,
            next_stream: 1,
            last_stream: None,
            last_ping: DEFAULT_PING.to_vec(),
            barrier: None,
            caps: Default::default(),
            head_streams: vec![],
            ended_streams: vec![],
        }
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
    fn ended(&mut self, stream: u32) {
        if !self.ended_streams.contains(&stream) && self.ended_streams.len() < MAX_KEPT_FRAMES {
            self.ended_streams.push(stream);
        }
    }
}

impl H2Client {
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
}

impl Driver for H2Client {
    fn prepare(&mut self, case: &Case, tls: bool) {
        self.greet = case.preface.unwrap_or(true);
        self.tls = tls;
    }

    fn negotiated(&mut self, tls_alpn: Option<Option<Vec<u8>>>) -> Result<(), String> {
        match tls_alpn {
            None => Ok(()),
            Some(Some(alpn)) if alpn == b"h2" => Ok(()),
            Some(alpn) => Err(format!(
                "the TLS server did not select h2 through ALPN (it selected {}): HTTP/2 over TLS is negotiated with ALPN h2 (RFC 9113 §3.2)",
                alpn.map(|a| format!("{:?}", String::from_utf8_lossy(&a))).unwrap_or_else(|| "no protocol".into())
            )),
        }
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.reader = Reader { max_header_bytes: self.caps.max_header_bytes, ..Reader::default() };
        self.next_stream = 1;
        self.last_stream = None;
        self.barrier = None;
        self.head_streams.clear();
        self.ended_streams.clear();
        if !self.greet {
            return Ok(vec![]);
        }
        let mut out = vec![("connection preface".into(), wire::PREFACE.to_vec())];
        out.extend(self.reader.greeting(&[(settings::ENABLE_PUSH, 0)]));
        Ok(out)
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Frames(frames) => {
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
            Send::H2Request(r) => {
                let stream = r.stream.unwrap_or(self.next_stream);
                let out = encode_request(r, stream, &self.subs, self.tls)?;
                if r.method.as_deref() == Some("HEAD") {
                    self.head_streams.push(stream);
                }
                if r.end_stream {
                    self.ended(stream);
                }
                self.last_stream = Some(stream);
                if stream % 2 == 1 && stream >= self.next_stream {
                    self.next_stream = stream + 2;
                }
                Ok(out)
            }
            _ => Err("this send step is not one HTTP/2 knows (use `frames` or `h2_request`)".into()),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<Box<dyn Check>, String> {
        let stream = self.last_stream.unwrap_or(1);
        let matcher: Box<dyn Matcher> = match expect {
            ExpectKind::Frame(f) => Box::new(FrameMatcher::new(f)?),
            ExpectKind::H2Response(r) => {
                let m = ResponseMatcher::new(r, stream)?;
                let head_request = self.head_streams.contains(&m.stream);
                Box::new(ResponseMatcher { max_body_kept: self.caps.max_body_kept, head_request, ..m })
            }
            ExpectKind::ConnectionError(c) => Box::new(ConnectionErrorMatcher::new(c, self.barrier.clone())?),
            ExpectKind::StreamError(s) => Box::new(StreamErrorMatcher::new(s, stream, self.barrier.clone(), &self.ended_streams)?),
            ExpectKind::PingAck(p) => {
                let data = p.data.as_ref().map(|d| d.to_bytes()).transpose()?.unwrap_or_else(|| self.last_ping.clone());
                Box::new(PingAckMatcher { data, quiet: p.quiet_streams.clone() })
            }
            // Loading keeps the other kinds out of HTTP/2 cases (`Step::fits`).
            other => return Err(format!("`{}` is not an expectation HTTP/2 knows", other.name())),
        };
        Ok(Box::new(H2Check::new(self.reader.clone(), matcher)))
    }

    fn set_caps(&mut self, caps: &crate::run::Caps) {
        self.caps = *caps;
        self.reader.max_header_bytes = caps.max_header_bytes;
    }

    fn unread_is_fine(&mut self, input: &[u8]) -> bool {
        self.reader.only_whole_frames(input)
    }

    fn passed(&mut self, check: &mut dyn Check) -> Units {
        let Some(c) = check.as_any_mut().and_then(|a| a.downcast_mut::<H2Check>()) else { return vec![] };
        if let Some(r) = c.passed.take() {
            self.reader = r;
            // Whatever PING was outstanding has been answered or overtaken by this step.
            self.barrier = None;
        }
        std::mem::take(&mut self.reader.replies)
    }
}
