//! Load-time checks of HTTP/2 sends and expectations: each must encode or build its matcher.

use crate::case::h2::{FrameSpec, H2Request, H2Response};
use crate::case::Expect;

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

/// Load-time check of the HTTP/2 parts of an expectation.
pub fn validate_expect(e: &Expect) -> Result<(), String> {
    if let Some(f) = &e.frame {
        FrameMatcher::new(f)?;
    }
    if let Some(r) = &e.h2_response {
        ResponseMatcher::new(r, 1)?;
    }
    if let Some(c) = &e.connection_error {
        codes(c.parts().0)?;
    }
    if let Some(s) = &e.stream_error {
        codes(&s.error)?;
        s.response_class()?;
    }
    if let Some(p) = &e.ping_ack {
        if let Some(d) = &p.data {
            d.to_bytes()?;
        }
    }
    Ok(())
}

/// Load-time check of a response: it must encode.
pub fn validate_response(r: &H2Response) -> Result<(), String> {
    let subs = Substitutions { path: "/".into(), host: "localhost".into(), ws_path: "/ws".into() };
    encode_response(r, 1, &subs).map(|_| ())
}
