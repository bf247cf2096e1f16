//! Load-time checks of HTTP/2 sends and expectations: each must encode or build its matcher.

use crate::case::h2::{FrameSpec, H2Request, H2Response};
use crate::case::ExpectKind;

use super::encode::{encode_frame, encode_request};
use super::matchers::{codes, FrameMatcher, ResponseMatcher};
use super::server::encode_response;
use crate::run::driver::Substitutions;

pub(super) fn dummy_subs() -> Substitutions {
    Substitutions { path: "/".into(), host: "localhost".into(), ws_path: "/ws".into() }
}

/// Load-time check of a frame spec: it must encode.
pub fn validate_frame(spec: &FrameSpec) -> Result<(), String> {
    encode_frame(spec, &dummy_subs(), false).map(|_| ())
}

/// Load-time check of a request.
pub fn validate_request(r: &H2Request) -> Result<(), String> {
    encode_request(r, 1, &dummy_subs(), false).map(|_| ())
}

/// Load-time check of an HTTP/2 expectation: its matcher must build. Other kinds pass.
pub fn validate_expect(e: &ExpectKind) -> Result<(), String> {
    match e {
        ExpectKind::Frame(f) => FrameMatcher::new(f).map(|_| ()),
        ExpectKind::H2Response(r) => ResponseMatcher::new(r, 1).map(|_| ()),
        ExpectKind::ConnectionError(c) => codes(c.parts().0).map(|_| ()),
        ExpectKind::StreamError(s) => {
            codes(&s.error)?;
            s.response_class().map(|_| ())
        }
        ExpectKind::PingAck(p) => p.data.iter().try_for_each(|d| d.to_bytes().map(|_| ())),
        _ => Ok(()),
    }
}

/// Load-time check of a response: it must encode.
pub fn validate_response(r: &H2Response) -> Result<(), String> {
    let subs = Substitutions { path: "/".into(), host: "localhost".into(), ws_path: "/ws".into() };
    encode_response(r, 1, &subs).map(|_| ())
}
