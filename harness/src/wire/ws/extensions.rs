//! `Sec-WebSocket-Extensions` (RFC 6455 §9.1) and the negotiation of permessage-deflate (RFC 7692
//! §5, §7.1): offers read and written, answers chosen and checked, every parameter of §7.1 with
//! its rules (no value or a value, 8–15 without leading zeroes, once each, only where defined).

/// One extension in a `Sec-WebSocket-Extensions` value: its name and parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension token (`permessage-deflate`).
    pub name: String,
    /// `(name, value)`; quoted-string values unquoted.
    pub params: Vec<(String, Option<String>)>,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn token(s: &str, what: &str) -> Result<String, String> {
    let s = s.trim_matches([' ', '\t']);
    if s.is_empty() || !s.chars().all(is_tchar) {
        return Err(format!("{what} {s:?} is not a token (RFC 6455 §9.1)"));
    }
    Ok(s.to_string())
}

/// Reads a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1: `extension *( ";" param )`, comma
/// separated; a parameter value is a token or a quoted-string). Several field lines are joined
/// with commas by the caller.
pub fn parse(value: &str) -> Result<Vec<Extension>, String> {
    let mut out = vec![];
    for item in split_outside_quotes(value, ',') {
        if item.trim().is_empty() {
            continue;
        }
        let mut parts = split_outside_quotes(&item, ';').into_iter();
        let name = token(&parts.next().unwrap_or_default(), "extension name")?;
        let mut params = vec![];
        for p in parts {
            let (n, v) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v.trim_matches([' ', '\t']))),
                None => (p.as_str(), None),
            };
            let n = token(n, "extension parameter name")?;
            let v = match v {
                None => None,
                Some(v) if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => {
                    // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
                    let inner = v[1..v.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\");
                    Some(token(&inner, "quoted parameter value")?)
                }
                Some(v) => Some(token(v, "parameter value")?),
            };
            params.push((n, v));
        }
        out.push(Extension { name, params });
    }
    Ok(out)
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        if quoted {
            out.last_mut().expect("one").push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
        } else if c == sep {
            out.push(String::new());
        } else {
            if c == '"' {
                quoted = true;
            }
            out.last_mut().expect("one").push(c);
        }
    }
    out
}

/// The extension's name (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// One permessage-deflate offer, as a client sends it (RFC 7692 §7.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offer {
    /// `server_no_context_takeover`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits=N`.
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits` with no value (`Some(None)`) or with one.
    pub client_max_window_bits: Option<Option<u8>>,
}

/// What was agreed for one connection (RFC 7692 §7.1): each side's window and context takeover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreement {
    /// The server resets its LZ77 window after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its LZ77 window after each message.
    pub client_no_context_takeover: bool,
    /// The server's window, 8–15 (15 unless the response said less).
    pub server_max_window_bits: u8,
    /// The client's window, 8–15 (15 unless the response said less).
    pub client_max_window_bits: u8,
    /// The response carried `client_max_window_bits` (to write it back out as it was).
    pub client_bits_in_response: bool,
    /// The response carried `server_max_window_bits`.
    pub server_bits_in_response: bool,
}

impl Agreement {
    /// The response's `Sec-WebSocket-Extensions` value for this agreement.
    pub fn header(&self) -> String {
        let mut s = PERMESSAGE_DEFLATE.to_string();
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.server_bits_in_response {
            s.push_str(&format!("; server_max_window_bits={}", self.server_max_window_bits));
        }
        if self.client_bits_in_response {
            s.push_str(&format!("; client_max_window_bits={}", self.client_max_window_bits));
        }
        s
    }
}

/// A window-bits value (RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes
/// between 8 to 15, inclusive").
fn window_bits(name: &str, v: &str) -> Result<u8, String> {
    match v.parse::<u8>() {
        Ok(n @ 8..=15) if !v.starts_with('0') && v.len() <= 2 => Ok(n),
        _ => Err(format!("{name}={v:?} is not a decimal integer from 8 to 15 without leading zeroes (RFC 7692 §7.1.2)")),
    }
}

/// Checks each parameter is defined for this direction, has a valid value and comes once
/// (RFC 7692 §7: the conditions on which a server declines an offer and a client fails the
/// connection).
fn read_params(params: &[(String, Option<String>)], response: bool) -> Result<Offer, String> {
    let mut o = Offer::default();
    let mut seen: Vec<String> = vec![];
    for (name, value) in params {
        let lname = name.to_ascii_lowercase();
        if seen.contains(&lname) {
            return Err(format!("the parameter {name} appears more than once (RFC 7692 §7)"));
        }
        seen.push(lname.clone());
        let flag = |o: &mut bool| match value {
            None => {
                *o = true;
                Ok(())
            }
            Some(v) => Err(format!("{name} has no value, but it was given {v:?} (RFC 7692 §7.1.1)")),
        };
        match lname.as_str() {
            "server_no_context_takeover" => flag(&mut o.server_no_context_takeover)?,
            "client_no_context_takeover" => flag(&mut o.client_no_context_takeover)?,
            "server_max_window_bits" => match value {
                Some(v) => o.server_max_window_bits = Some(window_bits(name, v)?),
                None => return Err(format!("{name} needs a value (RFC 7692 §7.1.2.1)")),
            },
            "client_max_window_bits" => match value {
                Some(v) => o.client_max_window_bits = Some(Some(window_bits(name, v)?)),
                None if response => return Err(format!("{name} needs a value in a response (RFC 7692 §7.1.2.2)")),
                None => o.client_max_window_bits = Some(None),
            },
            _ => return Err(format!("{name} is not a parameter of permessage-deflate (RFC 7692 §7)")),
        }
    }
    Ok(o)
}

/// A client's offer, checked as a server must before accepting it (RFC 7692 §7).
pub fn read_offer(params: &[(String, Option<String>)]) -> Result<Offer, String> {
    read_params(params, false)
}

/// The agreement a response represents for one of the client's offers, or why the response
/// does not accept that offer (RFC 7692 §7, §7.1).
pub fn read_answer(params: &[(String, Option<String>)], offer: &Offer) -> Result<Agreement, String> {
    let r = read_params(params, true)?;
    if offer.server_no_context_takeover && !r.server_no_context_takeover {
        return Err("the offer asked for server_no_context_takeover, and the response does not include it (RFC 7692 §7.1.1.1)".into());
    }
    if let Some(asked) = offer.server_max_window_bits {
        match r.server_max_window_bits {
            // Without the parameter the server's window is 15 bits: within an offer of 15.
            None if asked < 15 => {
                return Err(format!(
                    "the offer asked for server_max_window_bits={asked}, and the response does not include it (RFC 7692 §7.1.2.1)"
                ))
            }
            Some(n) if n > asked => {
                return Err(format!("server_max_window_bits={n} in the response is over the {asked} offered (RFC 7692 §7.1.2.1)"))
            }
            None | Some(_) => {}
        }
    }
    if let Some(n) = r.client_max_window_bits.flatten() {
        match offer.client_max_window_bits {
            None => {
                return Err(format!("the response has client_max_window_bits={n}, which the offer did not include (RFC 7692 §7.1.2.2)"))
            }
            Some(Some(asked)) if n > asked => {
                return Err(format!("client_max_window_bits={n} in the response is over the {asked} offered (RFC 7692 §7.1.2.2)"))
            }
            Some(_) => {}
        }
    }
    let client_bits = r.client_max_window_bits.flatten().or(offer.client_max_window_bits.flatten());
    Ok(Agreement {
        server_no_context_takeover: r.server_no_context_takeover,
        client_no_context_takeover: r.client_no_context_takeover,
        server_max_window_bits: r.server_max_window_bits.unwrap_or(15),
        client_max_window_bits: client_bits.unwrap_or(15),
        client_bits_in_response: r.client_max_window_bits.is_some(),
        server_bits_in_response: r.server_max_window_bits.is_some(),
    })
}

/// How the fake server answers (all defaults: accept the first valid offer as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerWish {
    /// Include `server_no_context_takeover`.
    pub server_no_context_takeover: bool,
    /// Include `client_no_context_takeover`.
    pub client_no_context_takeover: bool,
    /// Include `server_max_window_bits=N` (lowered to an offer's value when that is smaller).
    pub server_max_window_bits: Option<u8>,
    /// Include `client_max_window_bits=N` (only allowed when the offer has the parameter).
    pub client_max_window_bits: Option<u8>,
}

/// The fake server's answer to the client's offers: the first offer that is valid and can carry
/// `wish`, with the agreement it makes; `Err` says why none could.
pub fn answer(offers: &[Extension], wish: &AnswerWish) -> Result<Agreement, String> {
    let mut why = vec![];
    for (i, ext) in offers.iter().enumerate().filter(|(_, e)| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE)) {
        let offer = match read_offer(&ext.params) {
            Ok(o) => o,
            Err(e) => {
                why.push(format!("offer {}: {e}", i + 1));
                continue;
            }
        };
        if wish.client_max_window_bits.is_some() && offer.client_max_window_bits.is_none() {
            why.push(format!("offer {}: has no client_max_window_bits, so the answer cannot set it (RFC 7692 §7.1.2.2)", i + 1));
            continue;
        }
        let server_bits = match (wish.server_max_window_bits, offer.server_max_window_bits) {
            (Some(w), Some(o)) => Some(w.min(o)),
            (w, o) => w.or(o),
        };
        let client_bits = match (wish.client_max_window_bits, offer.client_max_window_bits.flatten()) {
            (Some(w), Some(o)) => Some(w.min(o)),
            (w, o) => w.or(o),
        };
        return Ok(Agreement {
            server_no_context_takeover: wish.server_no_context_takeover || offer.server_no_context_takeover,
            client_no_context_takeover: wish.client_no_context_takeover,
            server_max_window_bits: server_bits.unwrap_or(15),
            client_max_window_bits: client_bits.unwrap_or(15),
            server_bits_in_response: server_bits.is_some(),
            client_bits_in_response: wish.client_max_window_bits.is_some(),
        });
    }
    if why.is_empty() {
        return Err("the client offered no permessage-deflate".into());
    }
    Err(why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Vec<(String, Option<String>)> {
        parse(s).unwrap().remove(0).params
    }

    #[test]
    fn offers_and_answers_parse_with_every_parameter() {
        let exts = parse("permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", permessage-deflate, x-foo").unwrap();
        assert_eq!(exts.len(), 3);
        assert_eq!(exts[0].params[1], ("server_max_window_bits".into(), Some("10".into())));
        let o = read_offer(&exts[0].params).unwrap();
        assert_eq!((o.server_max_window_bits, o.client_max_window_bits), (Some(10), Some(None)));
        let a = read_answer(&params("permessage-deflate; server_max_window_bits=9; client_max_window_bits=12"), &o).unwrap();
        assert_eq!((a.server_max_window_bits, a.client_max_window_bits), (9, 12));
        assert_eq!(a.header(), "permessage-deflate; server_max_window_bits=9; client_max_window_bits=12");
    }

    #[test]
    fn bad_parameters_are_refused_with_their_rule() {
        for (s, why) in [
            ("permessage-deflate; server_max_window_bits=7", "8 to 15"),
            ("permessage-deflate; server_max_window_bits=16", "8 to 15"),
            ("permessage-deflate; server_max_window_bits=010", "leading zeroes"),
            ("permessage-deflate; server_max_window_bits", "needs a value"),
            ("permessage-deflate; server_no_context_takeover=1", "has no value"),
            ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", "more than once"),
            ("permessage-deflate; x=1", "not a parameter"),
        ] {
            let e = read_offer(&params(s)).unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
        }
        assert!(parse("permessage-deflate; a b").is_err());
        // Answers: client_max_window_bits not offered, over the offer, without a value.
        let plain = Offer::default();
        assert!(read_answer(&params("permessage-deflate; client_max_window_bits=10"), &plain).unwrap_err().contains("did not include"));
        let o = read_offer(&params("permessage-deflate; server_max_window_bits=10; client_max_window_bits=9")).unwrap();
        assert!(read_answer(&params("permessage-deflate; server_max_window_bits=11"), &o).unwrap_err().contains("over the 10"));
        assert!(read_answer(&params("permessage-deflate"), &o).unwrap_err().contains("does not include"));
        let fifteen = read_offer(&params("permessage-deflate; server_max_window_bits=15")).unwrap();
        assert_eq!(read_answer(&params("permessage-deflate"), &fifteen).unwrap().server_max_window_bits, 15);
        let e = read_answer(&params("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10"), &o).unwrap_err();
        assert!(e.contains("over the 9"), "{e}");
        assert!(read_answer(
            &params("permessage-deflate; client_max_window_bits"),
            &read_offer(&params("permessage-deflate; client_max_window_bits")).unwrap()
        )
        .unwrap_err()
        .contains("needs a value in a response"));
    }

    #[test]
    fn the_fake_server_answers_the_first_offer_it_can() {
        let offers =
            parse("permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits, permessage-deflate").unwrap();
        let a = answer(&offers, &AnswerWish { client_max_window_bits: Some(9), ..Default::default() }).unwrap();
        assert_eq!(a.header(), "permessage-deflate; client_max_window_bits=9");
        let a =
            answer(&offers[2..], &AnswerWish { server_max_window_bits: Some(10), server_no_context_takeover: true, ..Default::default() })
                .unwrap();
        assert_eq!(a.header(), "permessage-deflate; server_no_context_takeover; server_max_window_bits=10");
        let e = answer(&offers[2..], &AnswerWish { client_max_window_bits: Some(9), ..Default::default() }).unwrap_err();
        assert!(e.contains("no client_max_window_bits"), "{e}");
        assert!(answer(&[], &AnswerWish::default()).is_err());
        // Every answer the fake server makes is one a client accepts.
        for (i, ext) in offers.iter().enumerate().skip(1) {
            let a = answer(&offers[i..], &AnswerWish::default()).unwrap();
            let back = read_answer(&params(&a.header()), &read_offer(&ext.params).unwrap()).unwrap();
            assert_eq!(back, a);
        }
    }
}
