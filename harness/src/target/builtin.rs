//! The built-in reference target.
//!
//! `peerspec run` without a target starts a [`BuiltinTarget`] in-process on a
//! free loopback port and runs the test cases against it. The target is built
//! on hyper (through [`hyper_util::server::conn::auto::Builder`]) rather than on
//! hand-written HTTP, so that its wire behaviour is "correct by construction":
//! the same port speaks HTTP/1.0, HTTP/1.1 and prior-knowledge HTTP/2 (h2c).
//!
//! # Resources
//!
//! | path                  | methods   | response                                                      |
//! |-----------------------|-----------|---------------------------------------------------------------|
//! | `/`                   | GET, HEAD | 200 `text/plain` `Hello from peerspec\n` (Content-Length)     |
//! | `/main.html`          | GET, HEAD | 200 `text/html` `<iframe src="hello.html"></iframe>`         |
//! | `/hello.html`         | GET, HEAD | 200 `text/html` `<h1>Hello</h1>`                              |
//! | `/chunked/main.html`  | GET, HEAD | 200 `text/html`, two data frames (25 + 9 bytes)               |
//! | `/chunked/hello.html` | GET, HEAD | 200 `text/html`, one data frame (14 bytes)                    |
//! | `/trailers`           | GET, HEAD | 200 `text/plain` `hello` + trailer `x-checksum` (MD5)         |
//! | `/slow`               | GET, HEAD | 200 `text/plain` `first\n`, 200 ms pause, `second\n`          |
//! | `/echo`               | any       | 200 `application/octet-stream`, the request body              |
//! | `/status/{code}`      | any       | `{code}` (200..=599) with an empty body; otherwise 400        |
//! | `/ws`                 | GET       | WebSocket echo (tokio-tungstenite), see below                 |
//! | anything else         | any       | 404 `text/html` `<h1>Not Found</h1>`                          |
//!
//! `/main.html` and `/hello.html` carry a Content-Length over HTTP/1.1 and
//! HTTP/2; over HTTP/1.0 their body has an unknown length, so hyper sends no
//! Content-Length and delimits the body by closing the connection, as an
//! HTTP/1.0 server does. The `/chunked/*` bodies are streamed with unknown
//! length, so hyper frames them with the chunked transfer coding over HTTP/1.1
//! (one chunk per data frame, then the zero chunk), by closing the connection
//! over HTTP/1.0, and as one DATA frame per data frame over HTTP/2 (END_STREAM
//! on the last one; see `ScriptedBody`).
//! A static resource asked for with a method other than GET or HEAD gets
//! 405 Method Not Allowed with `allow: GET, HEAD`. A HEAD request for a
//! streamed resource gets the GET header fields without Content-Length or
//! Transfer-Encoding (RFC 9110 §9.3.2 lets a server omit them) and keeps the
//! connection open.
//!
//! Every response the service produces carries `server: peerspec-builtin`.
//! Responses hyper generates itself for requests it cannot parse (400, 414,
//! 431) never reach the service and therefore carry no `server` field; they
//! look like `HTTP/1.1 400 Bad Request\r\nconnection: close\r\n
//! content-length: 0\r\ndate: ...\r\n\r\n` (status line `HTTP/1.1` even for an
//! HTTP/1.0 request) followed by FIN. A header read timeout sends nothing and
//! just closes the connection.
//!
//! # Rules enforced here, not by hyper
//!
//! RFC 9112 §3.2: an HTTP/1.1 request without a Host header field, and an
//! HTTP/1.x request with more than one Host field line or an invalid Host
//! value, get 400 Bad Request with `connection: close`. HTTP/2 requests carry
//! `:authority` instead and are not checked.
//!
//! RFC 9112 §6.3 item 3 (Transfer-Encoding together with Content-Length) is
//! handled by hyper while it parses the request head (hyper 1.x,
//! `proto/h1/role.rs`, `Server::parse`):
//!
//! * if Transfer-Encoding is present and `chunked` is the final coding, the
//!   body is read with the chunked coding, the Content-Length field is
//!   *removed* from the request headers handed to the service (whichever of
//!   the two comes first), and keep-alive is switched off, so hyper itself adds
//!   `connection: close` to the HTTP/1.1 response and closes the connection
//!   after it;
//! * if Transfer-Encoding is present but `chunked` is not the final coding,
//!   hyper answers 400 itself and closes;
//! * Transfer-Encoding on an HTTP/1.0 request is rejected with 400 by hyper;
//! * two Content-Length lines with different values get 400 from hyper.
//!
//! The service therefore never sees both fields on an HTTP/1 request. It still
//! checks for the pair and answers with `connection: close` if it ever does, so
//! the rule holds even if hyper changes.
//!
//! HTTP/1.0 keep-alive: without `connection: keep-alive` in the request, hyper
//! closes an HTTP/1.0 connection after the response. With it, hyper answers
//! `HTTP/1.0 ...` plus `connection: keep-alive` and keeps the connection open,
//! *provided* the response it is given still has the default version
//! (HTTP/1.1); given a response marked HTTP/1.0 it switches keep-alive off and
//! adds nothing. Left alone, hyper would also put `connection: keep-alive` on a
//! close-delimited body (and append it to a `connection: close`), so this
//! target marks those responses HTTP/1.0: HTTP/1.0 keep-alive is honoured for
//! sized responses (`/`, `/echo`, `/status/*`, 404, HEAD of streamed
//! resources) and never for close-delimited ones or ones that ask to close.
//!
//! Chunk sizes are written by hyper in upper-case hex (`E`, not `e`); HEXDIG is
//! case-insensitive (RFC 9112 §7.1, RFC 5234 §2.3).
//!
//! # WebSocket echo (`/ws`)
//!
//! The opening handshake is checked here (RFC 6455 §4.2.1): GET, HTTP/1.1, `Upgrade: websocket`,
//! a `Connection` field with the `upgrade` token, a `Sec-WebSocket-Key` that is 16 bytes in
//! base64, and `Sec-WebSocket-Version: 13`. A wrong version gets 426 with
//! `Sec-WebSocket-Version: 13` (§4.4); anything else wrong gets 400. The first subprotocol offered
//! from [`WS_PROTOCOLS`] is selected; no extension is ever accepted. After the 101, hyper hands
//! the upgraded connection to tungstenite (server role, strict: client frames must be masked,
//! text must be UTF-8), which answers pings and echoes the close handshake; the endpoint echoes
//! text and binary messages. When tungstenite reports a protocol violation the endpoint fails
//! the connection (§7.1.7): a close frame with 1002 (1007 for invalid UTF-8, 1009 for a message
//! over [`WS_MAX_MESSAGE`]), then the TCP close.
//!
//! # Connection handling
//!
//! Each accepted connection runs in its own task. Connections that send
//! nothing within [`IDLE_TIMEOUT`] are dropped before protocol detection, and
//! HTTP/1 connections use hyper's header read timeout with the same value, so
//! idle keep-alive connections and stalled request heads are closed after it.
//! Idle HTTP/2 connections have no timeout; they end with the target. An
//! accept error never ends the accept loop: it sleeps briefly and accepts
//! again.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::uri::Authority;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

#[path = "builtin_sse.rs"]
mod sse;

/// How long a connection may stay silent: before its first byte, and (for
/// HTTP/1) while waiting for the next request head.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `/slow` pauses between its two data frames.
pub const SLOW_PAUSE: Duration = Duration::from_millis(200);

/// The value of the `server` field on every response the service produces.
pub const SERVER_NAME: &str = "peerspec-builtin";

/// Largest request body `/echo` accepts; a larger one gets 413.
pub const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;

/// Pause after a failed `accept` before trying again.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How long [`BuiltinTarget::shutdown`] lets open connections finish after
/// asking them to close gracefully, before they are aborted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

const ROOT_BODY: &[u8] = b"Hello from peerspec\n";
const MAIN_HTML: &[u8] = b"<iframe src=\"hello.html\"></iframe>";
const HELLO_HTML: &[u8] = b"<h1>Hello</h1>";
const CHUNKED_MAIN_FRAMES: [&[u8]; 2] = [b"<iframe src=\"hello.html\">", b"</iframe>"];
const NOT_FOUND_HTML: &[u8] = b"<h1>Not Found</h1>";
const BAD_REQUEST_HTML: &[u8] = b"<h1>Bad Request</h1>";
const TRAILERS_BODY: &[u8] = b"hello";
/// MD5 of [`TRAILERS_BODY`].
const TRAILERS_CHECKSUM: &str = "5d41402abc4b2a76b9719d911017c592";

/// The response body type of every resource.
type RespBody = UnsyncBoxBody<Bytes, Infallible>;

/// A running built-in reference target.
///
/// Dropping it stops accepting connections and aborts every open connection;
/// [`BuiltinTarget::shutdown`] closes connections gracefully first.
#[derive(Debug)]
pub struct BuiltinTarget {
    addr: SocketAddr,
    shutdown_tx: Option<watch::Sender<bool>>,
    accept_task: Option<JoinHandle<()>>,
}

impl BuiltinTarget {
    /// Binds 127.0.0.1:0 and serves until dropped or [`shutdown`](Self::shutdown).
    ///
    /// Must be called inside a tokio runtime; the accept loop and every
    /// connection run as tasks on it.
    pub async fn start() -> io::Result<BuiltinTarget> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let builder = Arc::new(server_builder());
        let accept_task = tokio::spawn(accept_loop(listener, builder, shutdown_rx));
        Ok(BuiltinTarget { addr, shutdown_tx: Some(shutdown_tx), accept_task: Some(accept_task) })
    }

    /// The address the target listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the target, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, asks open connections to close gracefully (in-flight
    /// responses complete), and returns once they have, or after a bounded
    /// grace period after which the rest are aborted.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.accept_task.take() {
            // The accept loop bounds its own drain by SHUTDOWN_GRACE.
            let _ = task.await;
        }
    }
}

impl Drop for BuiltinTarget {
    /// Stops accepting and aborts the accept task, which aborts every
    /// connection task with it.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.accept_task.take() {
            task.abort();
        }
    }
}

/// The hyper connection builder: HTTP/1 and h2c prior knowledge on one port.
fn server_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(IDLE_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    builder
}

/// Accepts connections until the shutdown signal (or the sender's drop), then
/// drains the connections for at most [`SHUTDOWN_GRACE`].
///
/// The connection tasks live in a `JoinSet` owned by this task, so aborting
/// this task aborts them all.
async fn accept_loop(listener: TcpListener, builder: Arc<Builder<TokioExecutor>>, mut shutdown_rx: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            // Err means the sender is gone, which is a shutdown as well.
            _ = shutdown_rx.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&builder),
                        shutdown_rx.clone(),
                    ));
                }
                // Per-connection failures (ECONNABORTED, EMFILE, ...) must not
                // end the loop; back off briefly so EMFILE does not spin.
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await,
            },
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} }).await;
    connections.abort_all();
}

/// Serves one connection until it ends, or until shutdown asks it to close.
async fn serve_connection(stream: TcpStream, builder: Arc<Builder<TokioExecutor>>, mut shutdown_rx: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);

    // The auto builder sniffs the HTTP/2 preface before any hyper timeout is
    // armed, so a peer that connects and stays silent would be held forever.
    // Wait for the first byte here, bounded by IDLE_TIMEOUT.
    let mut probe = [0u8; 1];
    tokio::select! {
        _ = shutdown_rx.changed() => return,
        first = tokio::time::timeout(IDLE_TIMEOUT, stream.peek(&mut probe)) => match first {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        },
    }

    // `with_upgrades` leaves room for the later `/ws` resource.
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service_fn(service));
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = shutdown_rx.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The hyper service: routes the request and stamps the `server` field.
async fn service(req: Request<Incoming>) -> Result<Response<RespBody>, Infallible> {
    let version = req.version();
    let head = req.method() == Method::HEAD;
    let mut resp = respond(req).await;
    if head && version == Version::HTTP_2 {
        // RFC 9110 §9.3.2: a response to HEAD has no content. hyper drops it over HTTP/1.x but
        // sends it over HTTP/2; the fields (Content-Length included) stay as for GET.
        *resp.body_mut() = empty();
    }
    resp.headers_mut().insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    if version == Version::HTTP_10 && !http10_keep_alive_possible(&resp) {
        // hyper decides HTTP/1.0 keep-alive from the *response* version: with
        // the default (HTTP/1.1) it answers a `connection: keep-alive` request
        // by adding `connection: keep-alive` -- even to a close-delimited body,
        // and by appending it to our own `connection: close`. Marking the
        // response HTTP/1.0 makes hyper switch keep-alive off and add nothing.
        *resp.version_mut() = Version::HTTP_10;
    }
    Ok(resp)
}

/// Whether an HTTP/1.0 connection may stay open after `resp`: the body must
/// have a known length and the response must not ask to close.
fn http10_keep_alive_possible(resp: &Response<RespBody>) -> bool {
    let sized = resp.body().size_hint().exact().is_some();
    let closing = resp.headers().get_all(header::CONNECTION).iter().any(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
    sized && !closing
}

/// Applies the message-level rules hyper does not enforce, then routes.
async fn respond(req: Request<Incoming>) -> Response<RespBody> {
    let is_http1 = matches!(req.version(), Version::HTTP_10 | Version::HTTP_11);
    if is_http1 && !host_is_acceptable(req.version(), req.headers()) {
        let mut resp = html(StatusCode::BAD_REQUEST, BAD_REQUEST_HTML);
        set_connection_close(&mut resp);
        return resp;
    }

    // RFC 9110 §9.1: a method the server does not recognise SHOULD get 501.
    if !KNOWN_METHODS.contains(&req.method().as_str()) {
        return html(StatusCode::NOT_IMPLEMENTED, NOT_IMPLEMENTED_HTML);
    }
    // RFC 9112 §6.1: a transfer coding the server does not understand SHOULD get 501; the
    // body's framing is then in doubt, so the connection closes.
    if is_http1 && has_unknown_transfer_coding(req.headers()) {
        let mut resp = html(StatusCode::NOT_IMPLEMENTED, NOT_IMPLEMENTED_HTML);
        set_connection_close(&mut resp);
        return resp;
    }
    // RFC 9110 §9.3.7: `OPTIONS *` asks about the server as a whole.
    if req.method() == Method::OPTIONS && req.uri() == "*" {
        let mut resp = with_type(StatusCode::OK, "text/plain", full(Bytes::new()));
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, OPTIONS"));
        return resp;
    }

    // RFC 9112 §6.3 item 3. hyper strips Content-Length when it sees a chunked
    // Transfer-Encoding (and closes the connection itself), so this does not
    // fire with the hyper version in use; it keeps the rule true regardless.
    let te_and_cl = is_http1 && req.headers().contains_key(header::TRANSFER_ENCODING) && req.headers().contains_key(header::CONTENT_LENGTH);

    let mut resp = route(req).await;
    if te_and_cl {
        set_connection_close(&mut resp);
    }
    resp
}

/// The methods of RFC 9110 §9 and RFC 5789 (PATCH); anything else is answered 501.
const KNOWN_METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// Body of the 501 responses.
const NOT_IMPLEMENTED_HTML: &[u8] = b"<h1>Not Implemented</h1>";

/// Whether a Transfer-Encoding field names a coding other than `chunked` (the only one served).
fn has_unknown_transfer_coding(headers: &HeaderMap) -> bool {
    headers.get_all(header::TRANSFER_ENCODING).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|coding| {
            let coding = coding.trim_ascii();
            !coding.is_empty() && !coding.eq_ignore_ascii_case(b"chunked")
        })
    })
}

/// RFC 9112 §3.2: exactly one Host field line with a valid value; HTTP/1.0
/// may omit it.
fn host_is_acceptable(version: Version, headers: &HeaderMap) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => version == Version::HTTP_10,
        (Some(_), Some(_)) => false,
        (Some(value), None) => {
            let bytes = value.as_bytes();
            // An empty value is allowed when the target URI has no authority.
            bytes.is_empty() || (!bytes.contains(&b'@') && Authority::try_from(bytes).is_ok())
        }
    }
}

/// Maps a request to its resource.
async fn route(req: Request<Incoming>) -> Response<RespBody> {
    let method = req.method().clone();
    let version = req.version();
    let head = method == Method::HEAD;
    let is_get_or_head = method == Method::GET || head;
    let path = req.uri().path().to_owned();

    if let Some(resp) = sse::route(&path, req.headers(), head) {
        return if is_get_or_head { resp } else { method_not_allowed() };
    }
    match path.as_str() {
        "/" | "/main.html" | "/hello.html" | "/chunked/main.html" | "/chunked/hello.html" | "/trailers" | "/slow" if !is_get_or_head => {
            method_not_allowed()
        }
        "/" => with_type(StatusCode::OK, "text/plain", full(ROOT_BODY)),
        "/main.html" => static_html(MAIN_HTML, version, head),
        "/hello.html" => static_html(HELLO_HTML, version, head),
        "/chunked/main.html" => streamed("text/html", frames(&CHUNKED_MAIN_FRAMES), head),
        "/chunked/hello.html" => streamed("text/html", frames(&[HELLO_HTML]), head),
        "/trailers" => trailers(head),
        "/slow" => slow(head),
        "/echo" => echo(req).await,
        "/ws" => ws::upgrade(req),
        _ => match path.strip_prefix("/status/") {
            Some(code) => status(code),
            None => html(StatusCode::NOT_FOUND, NOT_FOUND_HTML),
        },
    }
}

/// `/main.html`, `/hello.html`: a sized body, except over HTTP/1.0 where the
/// body has unknown length so hyper delimits it by closing the connection.
fn static_html(body: &'static [u8], version: Version, head: bool) -> Response<RespBody> {
    if version == Version::HTTP_10 {
        streamed("text/html", frames(&[body]), head)
    } else {
        with_type(StatusCode::OK, "text/html", full(body))
    }
}

/// A 200 response whose body is the given frames with unknown length. For
/// HEAD the body is empty instead: an unknown-length HEAD response would make
/// hyper close the connection.
fn streamed(content_type: &'static str, frames: Vec<Frame<Bytes>>, head: bool) -> Response<RespBody> {
    let body = if head { empty() } else { ScriptedBody::new(frames.into_iter().map(|frame| (Duration::ZERO, frame))).boxed_unsync() };
    with_type(StatusCode::OK, content_type, body)
}

/// Data frames borrowing static bytes.
fn frames(chunks: &[&'static [u8]]) -> Vec<Frame<Bytes>> {
    chunks.iter().map(|chunk| Frame::data(Bytes::from_static(chunk))).collect()
}

/// `/trailers`: `hello` then the trailer field `x-checksum`. hyper sends
/// HTTP/1.1 trailers only for fields named in the `trailer` response field and
/// only when the request carried `TE: trailers`; otherwise it ends the chunked
/// body with a bare zero chunk.
fn trailers(head: bool) -> Response<RespBody> {
    let mut trailer_fields = HeaderMap::new();
    trailer_fields.insert(HeaderName::from_static("x-checksum"), HeaderValue::from_static(TRAILERS_CHECKSUM));
    let mut resp = streamed("text/plain", vec![Frame::data(Bytes::from_static(TRAILERS_BODY)), Frame::trailers(trailer_fields)], head);
    resp.headers_mut().insert(header::TRAILER, HeaderValue::from_static("x-checksum"));
    resp
}

/// `/slow`: `first\n`, a pause of [`SLOW_PAUSE`], then `second\n`.
fn slow(head: bool) -> Response<RespBody> {
    if head {
        return with_type(StatusCode::OK, "text/plain", empty());
    }
    let body = ScriptedBody::new([
        (Duration::ZERO, Frame::data(Bytes::from_static(b"first\n"))),
        (SLOW_PAUSE, Frame::data(Bytes::from_static(b"second\n"))),
    ]);
    with_type(StatusCode::OK, "text/plain", body.boxed_unsync())
}

/// `/echo`: the request body back, with its length and the request method.
async fn echo(req: Request<Incoming>) -> Response<RespBody> {
    let method = req.method().clone();
    let collected = Limited::new(req.into_body(), MAX_ECHO_BODY).collect().await;
    let body = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            let status =
                if err.downcast_ref::<LengthLimitError>().is_some() { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            let mut resp = with_type(status, "text/plain", empty());
            set_connection_close(&mut resp);
            return resp;
        }
    };
    let length = body.len();
    let mut resp = with_type(StatusCode::OK, "application/octet-stream", full(body));
    let headers = resp.headers_mut();
    headers.insert(HeaderName::from_static("x-request-body-length"), HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(method.as_str()) {
        headers.insert(HeaderName::from_static("x-request-method"), value);
    }
    resp
}

/// `/status/{code}`: that status with an empty body; 400 for an unparseable
/// code, one outside 100..=599, or a 1xx code (a service cannot send 1xx as
/// its final response).
fn status(code: &str) -> Response<RespBody> {
    // Exactly three digits: `str::parse` alone would also take `+204`.
    let digits = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
    let status = Some(code)
        .filter(|_| digits)
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|code| (200..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    response(status, empty())
}

/// 405 for a static resource asked for with a method other than GET or HEAD.
fn method_not_allowed() -> Response<RespBody> {
    let mut resp = response(StatusCode::METHOD_NOT_ALLOWED, empty());
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    resp
}

/// A `text/html` response with a sized body.
fn html(status: StatusCode, body: &'static [u8]) -> Response<RespBody> {
    with_type(status, "text/html", full(body))
}

/// A response with a `content-type` field.
fn with_type(status: StatusCode, content_type: &'static str, body: RespBody) -> Response<RespBody> {
    let mut resp = response(status, body);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn response(status: StatusCode, body: RespBody) -> Response<RespBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp
}

fn set_connection_close(resp: &mut Response<RespBody>) {
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// A body of unknown length that yields a fixed list of frames, each after
/// its pause.
///
/// Unlike `http_body_util::StreamBody`, it reports `is_end_stream` as soon as
/// the last frame is out, so hyper ends an HTTP/2 stream with END_STREAM on
/// the last DATA (or trailers) frame instead of an extra empty DATA frame, and
/// writes the last HTTP/1.1 chunk and the zero chunk together. The length stays
/// unknown (`size_hint` is the default), so HTTP/1.1 uses chunked framing and
/// HTTP/1.0 close-delimited framing.
struct ScriptedBody {
    steps: VecDeque<(Duration, Frame<Bytes>)>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ScriptedBody {
    fn new(steps: impl IntoIterator<Item = (Duration, Frame<Bytes>)>) -> Self {
        ScriptedBody { steps: steps.into_iter().collect(), pause: None }
    }
}

impl Body for ScriptedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        let Some(&(delay, _)) = this.steps.front() else {
            return Poll::Ready(None);
        };
        if !delay.is_zero() {
            let pause = this.pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(delay)));
            ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        Poll::Ready(this.steps.pop_front().map(|(_, frame)| Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The `/ws` WebSocket echo endpoint.
mod ws {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    /// Subprotocols the endpoint can select, in order of preference.
    pub const WS_PROTOCOLS: [&str; 2] = ["chat", "superchat"];
    /// Largest message echoed; a larger one fails the connection with 1009.
    pub const WS_MAX_MESSAGE: usize = 16 << 20;
    /// How long an idle WebSocket connection stays open.
    const WS_IDLE: Duration = IDLE_TIMEOUT;
    /// How long the endpoint waits for the client's close after failing the connection.
    const WS_CLOSE_WAIT: Duration = Duration::from_secs(1);

    fn reject(status: StatusCode) -> Response<RespBody> {
        let mut resp = response(status, empty());
        if status == StatusCode::UPGRADE_REQUIRED {
            resp.headers_mut().insert("sec-websocket-version", HeaderValue::from_static("13"));
        }
        set_connection_close(&mut resp);
        resp
    }

    fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
        headers
            .get_all(name)
            .iter()
            .any(|v| v.to_str().map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))).unwrap_or(false))
    }

    fn key_is_valid(key: &HeaderValue) -> bool {
        // 16 bytes in base64: 22 characters and `==`.
        let k = key.as_bytes();
        k.len() == 24
            && k.ends_with(b"==")
            && k[..22].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            && matches!(k[21], b'A' | b'Q' | b'g' | b'w')
    }

    /// Checks the opening handshake and answers 101, handing the connection to [`echo`].
    pub fn upgrade(mut req: Request<Incoming>) -> Response<RespBody> {
        let headers = req.headers();
        if req.method() != Method::GET {
            return method_not_allowed_get();
        }
        let keys: Vec<&HeaderValue> = headers.get_all("sec-websocket-key").iter().collect();
        let valid = req.version() == Version::HTTP_11
            && has_token(headers, header::UPGRADE, "websocket")
            && has_token(headers, header::CONNECTION, "upgrade")
            && headers.get(header::HOST).is_some()
            && keys.len() == 1
            && key_is_valid(keys[0]);
        if !valid {
            return reject(StatusCode::BAD_REQUEST);
        }
        let versions: Vec<&HeaderValue> = headers.get_all("sec-websocket-version").iter().collect();
        if versions.len() != 1 || versions[0].as_bytes() != b"13" {
            return reject(StatusCode::UPGRADE_REQUIRED);
        }
        let accept = derive_accept_key(keys[0].as_bytes());
        let offered: Vec<String> = headers
            .get_all("sec-websocket-protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
            .collect();
        let selected = offered.iter().find(|p| WS_PROTOCOLS.contains(&p.as_str())).cloned();
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(Ok(upgraded)) = tokio::time::timeout(WS_IDLE, on_upgrade).await {
                let config = WebSocketConfig::default().max_message_size(Some(WS_MAX_MESSAGE)).max_frame_size(Some(WS_MAX_MESSAGE));
                let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
                echo(ws).await;
            }
        });
        let mut resp = response(StatusCode::SWITCHING_PROTOCOLS, empty());
        let h = resp.headers_mut();
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert("sec-websocket-accept", HeaderValue::from_str(&accept).expect("base64 is a valid value"));
        if let Some(p) = selected.and_then(|p| HeaderValue::from_str(&p).ok()) {
            h.insert("sec-websocket-protocol", p);
        }
        resp
    }

    fn method_not_allowed_get() -> Response<RespBody> {
        let mut resp = response(StatusCode::METHOD_NOT_ALLOWED, empty());
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
        resp
    }

    /// Echoes messages until the close handshake or a violation; every wait is bounded.
    async fn echo<S>(mut ws: WebSocketStream<S>)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        loop {
            let next = match tokio::time::timeout(WS_IDLE, ws.next()).await {
                Ok(Some(next)) => next,
                // Idle too long, or the stream ended.
                _ => return,
            };
            let result = match next {
                Ok(Message::Text(t)) => ws.send(Message::Text(t)).await,
                Ok(Message::Binary(b)) => ws.send(Message::Binary(b)).await,
                // tungstenite queued the pong and the close reply; flushing happens on the next
                // read or write. Pongs need no answer.
                Ok(Message::Ping(_)) | Ok(Message::Pong(_)) | Ok(Message::Frame(_)) => ws.flush().await,
                Ok(Message::Close(_)) => {
                    // tungstenite has queued the echo of the close; flushing it ends the
                    // connection (the server closes TCP first, RFC 6455 §7.1.1).
                    let _ = tokio::time::timeout(WS_CLOSE_WAIT, ws.flush()).await;
                    return;
                }
                Err(e) => return fail(ws, e).await,
            };
            if result.is_err() {
                return;
            }
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7) with the code that fits the violation.
    async fn fail<S>(mut ws: WebSocketStream<S>, error: WsError)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let code = match error {
            WsError::Protocol(_) => CloseCode::Protocol,
            WsError::Utf8(_) => CloseCode::Invalid,
            WsError::Capacity(CapacityError::MessageTooLong { .. }) => CloseCode::Size,
            WsError::Capacity(_) => CloseCode::Protocol,
            // I/O errors, a closed connection: nothing more to say.
            _ => return,
        };
        let frame = CloseFrame { code, reason: "".into() };
        let _ = tokio::time::timeout(WS_CLOSE_WAIT, ws.close(Some(frame))).await;
        // Dropping the stream closes TCP.
    }
}

/// A body of known length.
fn full(bytes: impl Into<Bytes>) -> RespBody {
    Full::new(bytes.into()).boxed_unsync()
}

/// An empty body of known length 0.
fn empty() -> RespBody {
    Empty::new().boxed_unsync()
}

#[cfg(test)]
mod tests;
