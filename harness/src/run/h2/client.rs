//! [`H2Client`]: peerspec as the HTTP/2 client (role `client`): the connection preface,
//! `h2_request`s and the `h2_response`s that answer them, over the shared [`H2Conn`].

use crate::case::{ExpectKind, Send};
use crate::wire::h2::{self as wire, settings};

use super::conn::H2Conn;
use super::encode::encode_request;
use super::matchers::{H2Check, Matcher, ResponseMatcher};
use crate::run::driver::{Channel, Driver, DriverConfig, Unit, Units};

/// HTTP/2 as the client: the shared connection state, with streams opened in order.
pub struct H2Client {
    conn: H2Conn,
}

impl Driver for H2Client {
    type Check = H2Check;
    // Over TLS, HTTP/2 is negotiated through ALPN (RFC 9113 §3.2).
    const ALPN_OFFERED: &'static [&'static str] = &["h2"];
    const ALPN_ASKED: &'static [&'static str] = &["h2"];

    fn new(cfg: DriverConfig<'_>) -> H2Client {
        H2Client { conn: H2Conn::new(&cfg, cfg.tls) }
    }

    fn negotiated(&mut self, channel: &Channel) -> Result<(), String> {
        H2Conn::require_h2(channel, "the TLS server did not select")
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.conn.reset();
        self.conn.reset_streams();
        if !self.conn.greet {
            return Ok(vec![]);
        }
        let mut out = vec![Unit::new("connection preface", wire::PREFACE.to_vec())];
        out.extend(self.conn.reader.greeting(&[(settings::ENABLE_PUSH, 0)]));
        Ok(out)
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Frames(frames) => self.conn.encode_frames(frames),
            Send::H2Request(r) => {
                let conn = &mut self.conn;
                let stream = r.stream.unwrap_or(conn.next_stream);
                let out = encode_request(r, stream, &conn.subs, conn.tls)?;
                if r.method.as_deref() == Some("HEAD") {
                    conn.head_streams.push(stream);
                }
                if r.end_stream {
                    conn.ended(stream);
                }
                conn.last_stream = Some(stream);
                if stream % 2 == 1 && stream >= conn.next_stream {
                    conn.next_stream = stream + 2;
                }
                Ok(out)
            }
            _ => Err("this send step is not one HTTP/2 knows (use `frames` or `h2_request`)".into()),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<H2Check, String> {
        let stream = self.conn.last_stream.unwrap_or(1);
        let matcher: Box<dyn Matcher> = match expect {
            ExpectKind::H2Response(r) => {
                let m = ResponseMatcher::new(r, stream)?;
                let head_request = self.conn.head_streams.contains(&m.stream);
                Box::new(ResponseMatcher { max_body_kept: self.conn.caps.max_body_kept, head_request, ..m })
            }
            // Loading keeps the other kinds out of HTTP/2 cases (`Step::fits`).
            other => {
                self.conn.matcher(other, stream).unwrap_or_else(|| Err(format!("`{}` is not an expectation HTTP/2 knows", other.name())))?
            }
        };
        Ok(self.conn.check(matcher))
    }

    fn unread_is_fine(&mut self, input: &[u8]) -> bool {
        self.conn.unread_is_fine(input)
    }

    fn passed(&mut self, check: H2Check) -> Units {
        self.conn.passed(check)
    }
}
