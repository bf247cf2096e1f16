//! Tests of the built-in target: each server behaviour the built-in suites rely on, checked on the wire.

use super::*;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// Bound on every single wait in these tests.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a read must stay silent for a connection to count as open.
const QUIET: Duration = Duration::from_millis(300);
/// Bound on the bytes any one test reads.
const MAX_READ: usize = 1 << 20;

async fn start() -> BuiltinTarget {
    timeout(IO_TIMEOUT, BuiltinTarget::start()).await.expect("start timed out").expect("start")
}

async fn connect(target: &BuiltinTarget) -> TcpStream {
    timeout(IO_TIMEOUT, TcpStream::connect(target.addr())).await.expect("connect timed out").expect("connect")
}

async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    timeout(IO_TIMEOUT, stream.write_all(bytes)).await.expect("write timed out").expect("write");
}

/// One bounded read; an empty vector means EOF (FIN).
async fn read_some(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let n = timeout(IO_TIMEOUT, stream.read(&mut buf)).await.expect("read timed out: server neither sent data nor closed").expect("read");
    buf.truncate(n);
    buf
}

/// Reads until the server closes the connection.
async fn read_to_eof(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() <= MAX_READ {
        let chunk = read_some(stream).await;
        if chunk.is_empty() {
            return out;
        }
        out.extend_from_slice(&chunk);
    }
    panic!("more than {MAX_READ} bytes without EOF");
}

/// Sends `request` on a fresh connection and returns everything up to FIN.
async fn exchange(target: &BuiltinTarget, request: &[u8]) -> Vec<u8> {
    let mut stream = connect(target).await;
    send(&mut stream, request).await;
    read_to_eof(&mut stream).await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one Content-Length-delimited response off a kept-alive
/// connection. `pending` carries bytes read past the previous response.
async fn read_sized_response(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Vec<u8> {
    while pending.len() <= MAX_READ {
        if let Some(head_end) = find(pending, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .expect("response has no content-length")
                .trim()
                .parse()
                .expect("content-length value");
            let total = head_end + 4 + length;
            if pending.len() >= total {
                let rest = pending.split_off(total);
                return std::mem::replace(pending, rest);
            }
        }
        let chunk = read_some(stream).await;
        assert!(!chunk.is_empty(), "connection closed mid-response: {pending:?}");
        pending.extend_from_slice(&chunk);
    }
    panic!("response larger than {MAX_READ} bytes");
}

/// Asserts the server neither sends anything nor closes for [`QUIET`].
async fn assert_still_open(stream: &mut TcpStream) {
    let mut buf = [0u8; 64];
    match timeout(QUIET, stream.read(&mut buf)).await {
        Err(_) => {}
        Ok(Ok(0)) => panic!("server closed a connection that should stay open"),
        Ok(Ok(n)) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&buf[..n])),
        Ok(Err(err)) => panic!("read error on a connection that should stay open: {err}"),
    }
}

/// The wire bytes as text with the `date` value replaced by `<DATE>`
/// (checking it has the IMF-fixdate length).
fn mask_date(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    let Some(start) = text.find("\r\ndate: ") else {
        return text;
    };
    let value_start = start + "\r\ndate: ".len();
    let value_end = value_start + text[value_start..].find("\r\n").expect("date line end");
    assert_eq!(value_end - value_start, 29, "date is not an IMF-fixdate: {text}");
    format!("{}<DATE>{}", &text[..value_start], &text[value_end..])
}

#[tokio::test]
async fn url_and_addr() {
    let target = start().await;
    assert!(target.addr().ip().is_loopback());
    assert_eq!(target.url(), format!("http://127.0.0.1:{}", target.addr().port()));
    target.shutdown().await;
}

#[tokio::test]
async fn root_get_and_head() {
    let target = start().await;
    let raw = exchange(&target, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 20\r\ndate: <DATE>\r\n\r\n\
         Hello from peerspec\n"
    );
    let raw = exchange(&target, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 20\r\ndate: <DATE>\r\n\r\n"
    );
}

#[tokio::test]
async fn http10_main_html_is_close_delimited() {
    let target = start().await;
    let raw = exchange(&target, b"GET /main.html HTTP/1.0\r\n\r\n").await;
    // No Content-Length, no Transfer-Encoding; read_to_eof returned, so the
    // server sent FIN right after the body.
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.0 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         date: <DATE>\r\n\r\n\
         <iframe src=\"hello.html\"></iframe>"
    );
    let raw = exchange(&target, b"GET /hello.html HTTP/1.0\r\nHost: x\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.0 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         date: <DATE>\r\n\r\n<h1>Hello</h1>"
    );
}

#[tokio::test]
async fn http10_keep_alive() {
    let target = start().await;
    // Sized responses honour an HTTP/1.0 keep-alive request.
    let mut stream = connect(&target).await;
    let mut pending = Vec::new();
    send(&mut stream, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
    let first = read_sized_response(&mut stream, &mut pending).await;
    assert_eq!(
        mask_date(&first),
        "HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\nserver: peerspec-builtin\r\n\
         connection: keep-alive\r\ncontent-length: 20\r\ndate: <DATE>\r\n\r\n\
         Hello from peerspec\n"
    );
    assert_still_open(&mut stream).await;

    // A close-delimited body on the same connection: no keep-alive, FIN.
    send(&mut stream, b"GET /main.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
    let mut second = std::mem::take(&mut pending);
    second.extend_from_slice(&read_to_eof(&mut stream).await);
    assert_eq!(
        mask_date(&second),
        "HTTP/1.0 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         date: <DATE>\r\n\r\n<iframe src=\"hello.html\"></iframe>"
    );

    // A response that asks to close carries exactly `connection: close`.
    let raw = exchange(&target, b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\nConnection: keep-alive\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.0 400 Bad Request\r\ncontent-type: text/html\r\nconnection: close\r\n\
         server: peerspec-builtin\r\ncontent-length: 20\r\ndate: <DATE>\r\n\r\n\
         <h1>Bad Request</h1>"
    );
}

#[tokio::test]
async fn http11_keep_alive_main_then_hello() {
    let target = start().await;
    let mut stream = connect(&target).await;
    let mut pending = Vec::new();

    send(&mut stream, b"GET /main.html HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let first = read_sized_response(&mut stream, &mut pending).await;
    assert_eq!(
        mask_date(&first),
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         content-length: 34\r\ndate: <DATE>\r\n\r\n\
         <iframe src=\"hello.html\"></iframe>"
    );
    assert!(pending.is_empty());

    send(&mut stream, b"GET /hello.html HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let second = read_sized_response(&mut stream, &mut pending).await;
    assert_eq!(
        mask_date(&second),
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         content-length: 14\r\ndate: <DATE>\r\n\r\n<h1>Hello</h1>"
    );
    assert!(pending.is_empty());
    assert_still_open(&mut stream).await;
}

#[tokio::test]
async fn http11_pipelined_requests() {
    let target = start().await;
    let mut stream = connect(&target).await;
    let mut pending = Vec::new();
    send(&mut stream, b"GET /hello.html HTTP/1.1\r\nHost: x\r\n\r\nGET /main.html HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let first = read_sized_response(&mut stream, &mut pending).await;
    let second = read_sized_response(&mut stream, &mut pending).await;
    assert!(first.ends_with(HELLO_HTML));
    assert!(second.ends_with(MAIN_HTML));
    assert!(pending.is_empty());
}

#[tokio::test]
async fn chunked_main_html_exact_bytes() {
    let target = start().await;
    let raw = exchange(&target, b"GET /chunked/main.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ntransfer-encoding: chunked\r\ndate: <DATE>\r\n\r\n\
         19\r\n<iframe src=\"hello.html\">\r\n9\r\n</iframe>\r\n0\r\n\r\n"
    );
    let raw = exchange(&target, b"GET /chunked/hello.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(
        // hyper writes chunk sizes in upper-case hex.
        mask_date(&raw).ends_with("\r\n\r\nE\r\n<h1>Hello</h1>\r\n0\r\n\r\n"),
        "{}",
        mask_date(&raw)
    );
}

#[tokio::test]
async fn chunked_keep_alive_then_http10_close_delimited() {
    let target = start().await;
    // Over HTTP/1.1 without Connection: close the chunked body ends with
    // the zero chunk and the connection stays open.
    let mut stream = connect(&target).await;
    send(&mut stream, b"GET /chunked/main.html HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let want_tail: &[u8] = b"19\r\n<iframe src=\"hello.html\">\r\n9\r\n</iframe>\r\n0\r\n\r\n";
    let mut got = Vec::new();
    while !got.ends_with(want_tail) {
        assert!(got.len() < 4096, "no zero chunk: {}", String::from_utf8_lossy(&got));
        let chunk = read_some(&mut stream).await;
        assert!(!chunk.is_empty(), "closed early");
        got.extend_from_slice(&chunk);
    }
    assert_still_open(&mut stream).await;

    // Over HTTP/1.0 the same resource is delimited by FIN.
    let raw = exchange(&target, b"GET /chunked/main.html HTTP/1.0\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.0 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         date: <DATE>\r\n\r\n<iframe src=\"hello.html\"></iframe>"
    );
}

#[tokio::test]
async fn head_of_streamed_resource_keeps_connection() {
    let target = start().await;
    let mut stream = connect(&target).await;
    send(&mut stream, b"HEAD /chunked/main.html HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = read_some(&mut stream).await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         date: <DATE>\r\n\r\n"
    );
    assert_still_open(&mut stream).await;
}

#[tokio::test]
async fn not_found() {
    let target = start().await;
    let raw = exchange(&target, b"GET /hoge.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 18\r\ndate: <DATE>\r\n\r\n<h1>Not Found</h1>"
    );
}

#[tokio::test]
async fn static_resource_rejects_post() {
    let target = start().await;
    let raw = exchange(&target, b"POST /main.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 0\r\ndate: <DATE>\r\n\r\n"
    );
}

#[tokio::test]
async fn echo_sized_and_chunked_bodies() {
    let target = start().await;
    let raw = exchange(&target, b"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
         x-request-body-length: 5\r\nx-request-method: PUT\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 5\r\ndate: <DATE>\r\n\r\nhello"
    );
    let raw = exchange(
        &target,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
    )
    .await;
    let text = mask_date(&raw);
    assert!(text.contains("\r\nx-request-body-length: 7\r\n"), "{text}");
    assert!(text.contains("\r\nx-request-method: POST\r\n"), "{text}");
    assert!(text.ends_with("\r\ncontent-length: 7\r\ndate: <DATE>\r\n\r\nabcdefg"), "{text}");

    let raw = exchange(&target, b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    let text = mask_date(&raw);
    assert!(text.contains("\r\nx-request-body-length: 0\r\nx-request-method: GET\r\n"), "{text}");
    assert!(text.ends_with("\r\ncontent-length: 0\r\ndate: <DATE>\r\n\r\n"), "{text}");
}

#[tokio::test]
async fn transfer_encoding_and_content_length() {
    let target = start().await;
    // hyper reads the chunked body (5 bytes, not the 3 Content-Length
    // says), drops Content-Length before the service sees it, and closes.
    let raw = exchange(
        &target,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
         x-request-body-length: 5\r\nx-request-method: POST\r\nserver: peerspec-builtin\r\n\
         connection: close\r\ncontent-length: 5\r\ndate: <DATE>\r\n\r\nhello"
    );
    // Transfer-Encoding on HTTP/1.0 is a hyper-level 400 (no server field).
    let raw = exchange(&target, b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").await;
    let text = mask_date(&raw);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(!text.contains("server:"), "{text}");
}

#[tokio::test]
async fn status_codes() {
    let target = start().await;
    let raw = exchange(&target, b"GET /status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 204 No Content\r\nserver: peerspec-builtin\r\nconnection: close\r\n\
         date: <DATE>\r\n\r\n"
    );
    let raw = exchange(&target, b"GET /status/304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 304 Not Modified\r\nserver: peerspec-builtin\r\nconnection: close\r\n\
         date: <DATE>\r\n\r\n"
    );
    let raw = exchange(&target, b"DELETE /status/503 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 503 Service Unavailable\r\nserver: peerspec-builtin\r\nconnection: close\r\n\
         content-length: 0\r\ndate: <DATE>\r\n\r\n"
    );
    for bad in ["100", "101", "99", "600", "abc", "", "204/x", "+204"] {
        let request = format!("GET /status/{bad} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let raw = exchange(&target, request.as_bytes()).await;
        assert!(raw.starts_with(b"HTTP/1.1 400 Bad Request\r\n"), "/status/{bad}: {}", mask_date(&raw));
    }
}

#[tokio::test]
async fn status_204_keeps_connection_without_body() {
    let target = start().await;
    let mut stream = connect(&target).await;
    send(&mut stream, b"GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = read_some(&mut stream).await;
    assert_eq!(mask_date(&raw), "HTTP/1.1 204 No Content\r\nserver: peerspec-builtin\r\ndate: <DATE>\r\n\r\n");
    assert_still_open(&mut stream).await;
}

#[tokio::test]
async fn host_rules() {
    let target = start().await;
    let raw = exchange(&target, b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/html\r\nconnection: close\r\n\
         server: peerspec-builtin\r\ncontent-length: 20\r\ndate: <DATE>\r\n\r\n\
         <h1>Bad Request</h1>"
    );
    for request in [
        &b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n",
        b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    ] {
        let raw = exchange(&target, request).await;
        assert!(
            raw.starts_with(b"HTTP/1.1 400 Bad Request\r\n") || raw.starts_with(b"HTTP/1.0 400 Bad Request\r\n"),
            "{:?}: {}",
            String::from_utf8_lossy(request),
            mask_date(&raw)
        );
    }
    // Accepted: HTTP/1.0 without Host, an empty Host, host:port.
    for request in [
        &b"GET / HTTP/1.0\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n",
    ] {
        let raw = exchange(&target, request).await;
        assert!(mask_date(&raw).contains(" 200 OK\r\n"), "{:?}: {}", String::from_utf8_lossy(request), mask_date(&raw));
    }
}

#[tokio::test]
async fn trailers_with_and_without_te() {
    let target = start().await;
    let raw = exchange(&target, b"GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        mask_date(&raw),
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntrailer: x-checksum\r\n\
         server: peerspec-builtin\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\
         date: <DATE>\r\n\r\n\
         5\r\nhello\r\n0\r\nx-checksum: 5d41402abc4b2a76b9719d911017c592\r\n\r\n"
    );
    // Without TE: trailers hyper drops the trailer section.
    let raw = exchange(&target, b"GET /trailers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(mask_date(&raw).ends_with("date: <DATE>\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), "{}", mask_date(&raw));
}

#[tokio::test]
async fn slow_pauses_between_frames() {
    let target = start().await;
    let mut stream = connect(&target).await;
    send(&mut stream, b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    let mut got = Vec::new();
    let mut first_at = None;
    let mut second_at = None;
    while got.len() <= MAX_READ {
        let chunk = read_some(&mut stream).await;
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
        if first_at.is_none() && find(&got, b"first\n").is_some() {
            first_at = Some(Instant::now());
        }
        if second_at.is_none() && find(&got, b"second\n").is_some() {
            second_at = Some(Instant::now());
        }
    }
    let text = mask_date(&got);
    assert!(text.ends_with("\r\n\r\n6\r\nfirst\n\r\n7\r\nsecond\n\r\n0\r\n\r\n"), "{text}");
    let gap = second_at.expect("second") - first_at.expect("first");
    assert!(gap >= Duration::from_millis(150), "gap {gap:?}");
}

#[tokio::test]
async fn silent_connection_does_not_block_others() {
    let target = start().await;
    let _silent = connect(&target).await;
    let raw = exchange(&target, b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(raw.starts_with(b"HTTP/1.0 200 OK\r\n"));
}

#[tokio::test]
async fn drop_stops_accepting() {
    let target = start().await;
    let addr = target.addr();
    let mut open = connect(&target).await;
    drop(target);
    // The open connection is aborted (FIN or reset) ...
    let mut buf = [0u8; 16];
    let closed = timeout(IO_TIMEOUT, open.read(&mut buf)).await.expect("aborted connection was not closed");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    // ... and nothing accepts any more (the listener is closed, so the
    // connect is refused or, at worst, closed without a response).
    for _ in 0..50 {
        match timeout(IO_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Err(_)) => return,
            Ok(Ok(_)) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("listener still accepting after drop");
}

#[tokio::test]
async fn shutdown_lets_in_flight_response_finish() {
    let target = start().await;
    let mut stream = connect(&target).await;
    send(&mut stream, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await;
    // Wait for the head and the first frame before shutting down.
    let mut got = read_some(&mut stream).await;
    while find(&got, b"first\n").is_none() {
        assert!(got.len() < 4096);
        let chunk = read_some(&mut stream).await;
        assert!(!chunk.is_empty());
        got.extend_from_slice(&chunk);
    }
    let shutdown = tokio::spawn(target.shutdown());
    got.extend_from_slice(&read_to_eof(&mut stream).await);
    assert!(got.ends_with(b"7\r\nsecond\n\r\n0\r\n\r\n"), "{}", mask_date(&got));
    timeout(IO_TIMEOUT, shutdown).await.expect("shutdown timed out").expect("shutdown task");
}

#[tokio::test]
async fn ws_echo_with_a_tungstenite_client() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let target = start().await;
    let url = format!("ws://{}/ws", target.addr());
    let (mut ws, resp) = timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url)).await.expect("connect timed out").expect("connect");
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    for m in [Message::Text("héllo".into()), Message::Binary(vec![0u8, 1, 255].into())] {
        ws.send(m.clone()).await.expect("send");
        let got = timeout(IO_TIMEOUT, ws.next()).await.expect("echo timed out");
        assert_eq!(got.expect("a message").expect("no error"), m);
    }
    ws.send(Message::Ping(b"p".to_vec().into())).await.expect("ping");
    let got = timeout(IO_TIMEOUT, ws.next()).await.expect("pong timed out");
    assert_eq!(got.expect("a message").expect("no error"), Message::Pong(b"p".to_vec().into()));
    ws.close(None).await.expect("close");
    // The close is echoed (tungstenite reports it as the stream's end), then the server ends
    // the connection.
    match timeout(IO_TIMEOUT, ws.next()).await.expect("close reply timed out") {
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
        Some(Ok(other)) => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn ws_handshake_refusals() {
    let target = start().await;
    let upgrade = |version: &str, key: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
        )
    };
    let raw = exchange(&target, upgrade("8", "dGhlIHNhbXBsZSBub25jZQ==").as_bytes()).await;
    let text = mask_date(&raw);
    assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{text}");
    assert!(text.contains("sec-websocket-version: 13\r\n"), "{text}");
    let raw = exchange(&target, upgrade("13", "dGVzdA==").as_bytes()).await;
    assert!(raw.starts_with(b"HTTP/1.1 400 Bad Request\r\n"), "{}", mask_date(&raw));
}

/// HTTP/2 with prior knowledge: one request, returning status, headers,
/// the data frames as received, and trailers.
async fn h2_get(target: &BuiltinTarget, path: &str) -> (StatusCode, HeaderMap, Vec<Bytes>, Option<HeaderMap>) {
    let tcp = connect(target).await;
    let (client, connection) =
        timeout(IO_TIMEOUT, h2::client::handshake(tcp)).await.expect("h2 handshake timed out").expect("h2 handshake");
    let driver = tokio::spawn(connection);
    let mut client = timeout(IO_TIMEOUT, client.ready()).await.expect("h2 ready timed out").expect("h2 ready");
    let request = Request::get(format!("{}{path}", target.url())).body(()).expect("request");
    let (response, _) = client.send_request(request, true).expect("send_request");
    let response = timeout(IO_TIMEOUT, response).await.expect("h2 response timed out").expect("h2 response");
    let (parts, mut body) = response.into_parts();
    let mut frames = Vec::new();
    for _ in 0..64 {
        match timeout(IO_TIMEOUT, body.data()).await.expect("h2 data timed out") {
            Some(data) => {
                let data = data.expect("h2 data");
                let _ = body.flow_control().release_capacity(data.len());
                frames.push(data);
            }
            None => break,
        }
    }
    let trailers = timeout(IO_TIMEOUT, body.trailers()).await.expect("h2 trailers timed out").expect("h2 trailers");
    drop(client);
    driver.abort();
    (parts.status, parts.headers, frames, trailers)
}

#[tokio::test]
async fn h2c_prior_knowledge() {
    let target = start().await;

    let (status, headers, frames, _) = h2_get(&target, "/main.html").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html");
    assert_eq!(headers["content-length"], "34");
    assert_eq!(headers["server"], SERVER_NAME);
    assert_eq!(frames.concat(), MAIN_HTML);

    let (status, headers, frames, _) = h2_get(&target, "/chunked/main.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-length").is_none());
    // Exactly two DATA frames, END_STREAM on the second.
    assert_eq!(frames, [&b"<iframe src=\"hello.html\">"[..], b"</iframe>"]);

    let (status, _, frames, trailers) = h2_get(&target, "/trailers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(frames.concat(), b"hello");
    assert_eq!(trailers.expect("trailers")["x-checksum"], TRAILERS_CHECKSUM);

    let (status, headers, frames, _) = h2_get(&target, "/hoge.html").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-length"], "18");
    assert_eq!(frames.concat(), NOT_FOUND_HTML);
}
