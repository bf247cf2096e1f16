//! HTTP/1.x as the fake server (role `server`): scripted responses into wire bytes, and the
//! client's requests checked through the sans-I/O [`RequestReader`].

use crate::case::{ExpectKind, Protocol, RequestExpect, ResponseSpec, Send};
use crate::transcript::escape;
use crate::wire::http1::body::OutgoingBody;
use crate::wire::http1::response::Progress;
use crate::wire::http1::server::{reason_phrase, Limits, RequestReader, RequestRecord, Response, UnitKind};

use crate::run::check::{annotated, Annotated, Check, Verdict};
use crate::run::driver::{Driver, Substitutions, Units};
use crate::run::fields::differ;
use crate::run::util::split;

/// The fake server's HTTP/1.x state.
#[derive(Debug)]
pub struct Http1Server {
    protocol: Protocol,
    subs: Substitutions,
    limits: Limits,
}

impl Http1Server {
    /// State for a case of this protocol.
    pub fn new(protocol: Protocol, subs: Substitutions) -> Self {
        Http1Server { protocol, subs, limits: Limits::default() }
    }

    /// The wire bytes of a scripted response.
    pub fn response(&self, spec: &ResponseSpec) -> Result<(String, Vec<u8>), String> {
        let status = spec.status.unwrap_or(200);
        let version = spec.version.clone().unwrap_or_else(|| match self.protocol {
            Protocol::Http10 => "HTTP/1.0".into(),
            Protocol::Http11 | Protocol::H2 | Protocol::Ws => "HTTP/1.1".into(),
        });
        let reason = spec.reason.clone().unwrap_or_else(|| reason_phrase(status).to_string());
        let trailers: Vec<(String, String)> = spec.trailers.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        let body = match (&spec.body, &spec.chunk_sizes, &spec.chunks) {
            (_, _, Some(chunks)) => OutgoingBody::Chunked {
                chunks: chunks.iter().map(|c| c.to_bytes()).collect::<Result<_, _>>()?,
                trailers,
                last_chunk: spec.last_chunk,
            },
            (Some(body), Some(sizes), None) => {
                OutgoingBody::Chunked { chunks: split(&body.to_bytes()?, sizes), trailers, last_chunk: spec.last_chunk }
            }
            (Some(body), None, None) => OutgoingBody::Full(body.to_bytes()?),
            (None, _, None) => OutgoingBody::None,
        };
        let mut headers: Vec<(String, String)> = spec.headers.iter().map(|(n, v)| (n.clone(), self.subs.apply(v))).collect();
        if spec.auto_headers {
            let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
            let auto = match &body {
                OutgoingBody::Full(b) if !has("content-length") && !has("transfer-encoding") => {
                    Some(("Content-Length".to_string(), b.len().to_string()))
                }
                OutgoingBody::Chunked { .. } if !has("transfer-encoding") => Some(("Transfer-Encoding".into(), "chunked".into())),
                _ => None,
            };
            headers.extend(auto);
        }
        let response = Response { version, status, reason, headers, body };
        Ok((format!("response {} {} {}", response.version, response.status, response.reason), response.encode()))
    }
}

impl Driver for Http1Server {
    fn set_caps(&mut self, caps: &crate::run::Caps) {
        self.limits = caps.http1_limits();
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Response(spec) => Ok(vec![self.response(spec)?]),
            _ => Err("a server sends responses".into()),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<Box<dyn Check>, String> {
        match expect {
            ExpectKind::Request(r) => Ok(Box::new(RequestCheck::new(r, &self.subs, self.limits)?)),
            // Loading keeps the other kinds out of HTTP/1.x server cases (`Step::fits`).
            other => Err(format!("`{}` is not an expectation an HTTP/1.x server knows", other.name())),
        }
    }

    fn passed(&mut self, _: &mut dyn Check) -> Units {
        Vec::new()
    }
}

/// Waits for one request and compares it with a [`RequestExpect`].
pub struct RequestCheck {
    reader: RequestReader,
    expect: RequestExpect,
    target: Option<String>,
    body: Option<Vec<u8>>,
}

impl RequestCheck {
    fn new(expect: &RequestExpect, subs: &Substitutions, limits: Limits) -> Result<Self, String> {
        Ok(RequestCheck {
            reader: RequestReader::new(limits),
            expect: expect.clone(),
            target: expect.target.as_deref().map(|t| subs.apply(t)),
            body: expect.body.as_ref().map(|b| b.to_bytes()).transpose()?,
        })
    }

    fn compare(&self, r: &RequestRecord) -> Vec<String> {
        let mut problems = Vec::new();

        let e = &self.expect;
        if let Some(m) = &e.method {
            if !m.allows(&r.method) {
                differ(&mut problems, "method", m.as_slice().join(" or "), r.method.clone());
            }
        }
        if let Some(t) = &self.target {
            if t != &r.target {
                differ(&mut problems, "target", t.clone(), r.target.clone());
            }
        }
        if let Some(v) = &e.version {
            if !v.allows(&r.version) {
                differ(&mut problems, "version", v.as_slice().join(" or "), r.version.clone());
            }
        }
        let fields = e.header_expectations();
        fields.compare(|name| r.header(name), &mut problems);
        if let Some(want) = &self.body {
            if !r.body.kept_whole() || &r.body.bytes != want {
                differ(&mut problems, "body", escape(want, 200), format!("{} ({} B)", escape(&r.body.bytes, 200), r.body.len));
            }
        }
        let end = r.body.end.expect("a complete request has an end");
        match &e.ends_with {
            Some(allowed) if !allowed.allows(&end) => differ(
                &mut problems,
                "body end",
                allowed.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or "),
                end.name().into(),
            ),
            None if end == crate::case::BodyEnd::Truncated => {
                differ(&mut problems, "body end", "a complete body".into(), "truncated".into())
            }
            _ => {}
        }
        problems
    }
}

impl Check for RequestCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        match self.reader.advance(input, eof) {
            Progress::NeedMore => Verdict::Pending,
            Progress::Invalid(e) => Verdict::Fail(format!("invalid request: {e}")),
            Progress::Done { consumed } => {
                let record = self.reader.record();
                let problems = self.compare(record);
                if problems.is_empty() {
                    Verdict::Pass { consumed, units: units_of(record, &record.units) }
                } else {
                    Verdict::Fail(format!("request differs:\n{}", problems.join("\n")))
                }
            }
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        let r = self.reader.record();
        if r.method.is_empty() {
            return Verdict::Fail(format!("timed out waiting for the client's request ({} bytes received)", input.len()));
        }
        let kept = if r.body.kept_whole() {
            String::new()
        } else {
            format!(" ({} of them kept, --max-body-kept; the rest counted and dropped)", r.body.bytes.len())
        };
        Verdict::Fail(format!(
            "timed out waiting for the client's request: {} {} received, body incomplete after {} bytes{kept}",
            r.method, r.target, r.body.len
        ))
    }
    fn release(&mut self) -> Option<crate::run::check::Released> {
        let (len, released) = self.reader.release()?;
        Some(crate::run::check::Released { len, units: units_of(self.reader.record(), &released) })
    }
    fn describe(&self) -> String {
        "request".into()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        units_of(self.reader.record(), &self.reader.record().units)
    }
}

fn units_of(r: &RequestRecord, units: &[crate::wire::http1::server::Unit]) -> Vec<Annotated> {
    units
        .iter()
        .map(|u| {
            let unit = match &u.kind {
                UnitKind::Head => format!("request head {} {} {}", r.method, r.target, r.version),
                UnitKind::ContentLengthBody => "request body (Content-Length)".into(),
                UnitKind::ChunkSize { size, .. } => format!("chunk size 0x{size:x} ({size})"),
                UnitKind::ChunkData { len } => format!("chunk data {len} B"),
                UnitKind::LastChunk => "last chunk (zero-length)".into(),
                UnitKind::Trailers { count } => format!("trailer section ({count} fields) and final CRLF"),
                UnitKind::Fin => "FIN (end of body)".into(),
                other => format!("{other:?}"),
            };
            annotated(u.offset, u.len, unit)
        })
        .collect()
}
