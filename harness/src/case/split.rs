//! Steps that shape how and how often bytes go out: `split` writes a send step's bytes in
//! pieces (Autobahn's chopped writes), `repeat` runs steps again and again (its round trips).

use std::num::NonZeroUsize;

use schemars::JsonSchema;
use serde::de::{Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{DurationSpec, Send, Step};

/// A send step written in pieces, each piece a separate write (the connection sets
/// TCP_NODELAY, so each leaves as its own segment unless the peer's window is full):
/// `- split: { every: 1, pause: 1ms, send: { ws_ping: Hello } }`. The transcript shows the
/// units the send encodes, as for an unsplit send, and a note of how they were written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitSend {
    /// Pieces of this many bytes (the last one takes what is left); 1 writes byte by byte.
    #[serde(default)]
    pub every: Option<NonZeroUsize>,
    /// Split before these byte offsets of the encoded bytes, in increasing order
    /// (`[3, 10]`: bytes 0–2, 3–9, then the rest); offsets past the end are ignored.
    #[serde(default)]
    pub at: Option<Offsets>,
    /// Wait this long between pieces (default: no wait). Bounded by the case's timeout.
    #[serde(default)]
    pub pause: Option<DurationSpec>,
    /// The send step whose bytes are split.
    pub send: Send,
}

/// Where to cut: in pieces of `every` bytes, or before each offset of `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cuts<'a> {
    /// Pieces of this many bytes.
    Every(usize),
    /// Before each of these offsets (strictly increasing, each at least 1).
    At(&'a [usize]),
}

impl SplitSend {
    /// The cuts this step asks for, once the loader has checked that exactly one form is given.
    pub fn cuts(&self) -> Cuts<'_> {
        match (&self.every, &self.at) {
            (Some(n), _) => Cuts::Every(n.get()),
            (None, Some(at)) => Cuts::At(&at.0),
            (None, None) => Cuts::Every(usize::MAX),
        }
    }
}

impl Cuts<'_> {
    /// The pieces of `len` bytes, as (start, end) ranges in order.
    pub fn pieces(self, len: usize) -> Vec<(usize, usize)> {
        let mut ends: Vec<usize> = match self {
            Cuts::Every(n) => (1..).map(|i: usize| i.saturating_mul(n)).take_while(|&e| e < len).collect(),
            Cuts::At(at) => at.iter().copied().filter(|&e| e > 0 && e < len).collect(),
        };
        ends.push(len);
        let mut start = 0;
        ends.into_iter()
            .filter(|&e| e > 0 || len == 0)
            .map(|end| {
                let piece = (start, end);
                start = end;
                piece
            })
            .collect()
    }
}

/// Byte offsets to split at: strictly increasing and at least 1, checked as they are read so
/// a wrong list is reported at its place in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offsets(pub Vec<usize>);

impl<'de> Deserialize<'de> for Offsets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Offsets;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of byte offsets in increasing order, each at least 1 (at: [3, 10])")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Offsets, A::Error> {
                let mut out: Vec<usize> = Vec::new();
                while let Some(n) = seq.next_element::<usize>()? {
                    if n == 0 {
                        return Err(A::Error::custom("split offset 0 makes an empty piece: offsets start at 1"));
                    }
                    if let Some(&last) = out.last() {
                        if n <= last {
                            return Err(A::Error::custom(format!(
                                "split offsets must increase: {n} comes after {last} (at: [3, 10] cuts before bytes 3 and 10)"
                            )));
                        }
                    }
                    if out.len() >= MAX_OFFSETS {
                        return Err(A::Error::custom(format!("more than {MAX_OFFSETS} split offsets: use `every`")));
                    }
                    out.push(n);
                }
                if out.is_empty() {
                    return Err(A::Error::custom("`at` needs at least one offset"));
                }
                Ok(Offsets(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Most offsets one `at` list may hold; longer splits are regular and take `every`.
pub const MAX_OFFSETS: usize = 10_000;

impl JsonSchema for Offsets {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SplitOffsets".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "array",
            "items": { "type": "integer", "minimum": 1 },
            "minItems": 1,
            "description": "Byte offsets in increasing order, each at least 1"
        })
    }
}

/// Steps run several times in a row on the same connection, each run a round (a round trip
/// when it sends and expects): `- repeat: { times: 1000, steps: [...] }`. Reports give the
/// rounds' count and total, mean, shortest and longest time.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatSpec {
    /// How many rounds, 1 to [`MAX_ROUNDS`].
    pub times: NonZeroUsize,
    /// The steps of one round (no `repeat` among them).
    pub steps: Vec<Step>,
}

/// Most rounds a `repeat` may ask for.
pub const MAX_ROUNDS: usize = 1_000_000;

/// Every step of `steps` with the steps of `repeat` blocks in their place (once each), for
/// looking ahead at what a case will do.
pub fn each_step(steps: &[Step]) -> Box<dyn Iterator<Item = &Step> + '_> {
    Box::new(steps.iter().flat_map(|s| -> Box<dyn Iterator<Item = &Step> + '_> {
        match s {
            Step::Repeat(r) => each_step(&r.steps),
            _ => Box::new(std::iter::once(s)),
        }
    }))
}

/// What only `split` and `repeat` ask of their shape: one way to split; rounds in range, at
/// least one step, no `repeat` in a `repeat`. The error names the key it is about.
pub fn check_shape(step: &Step) -> Result<(), (&'static str, String)> {
    match step {
        Step::Split(split) if split.every.is_some() == split.at.is_some() => {
            Err(("split", "a split takes one of `every` (a piece size) and `at` (offsets)".into()))
        }
        Step::Repeat(r) => {
            if r.times.get() > MAX_ROUNDS {
                return Err(("times", format!("repeat times {} is over the limit of {MAX_ROUNDS}", r.times)));
            }
            if r.steps.is_empty() {
                return Err(("repeat", "repeat needs at least one step".into()));
            }
            if r.steps.iter().any(|s| matches!(s, Step::Repeat(_))) {
                return Err(("repeat", "a repeat cannot hold another repeat".into()));
            }
            r.steps.iter().try_for_each(check_shape)
        }
        _ => Ok(()),
    }
}

impl Step {
    /// What this step sends, whole (`send`) or in pieces (`split`).
    pub fn as_send(&self) -> Option<&Send> {
        match self {
            Step::Send(s) => Some(s),
            Step::Split(s) => Some(&s.send),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_by_size_and_by_offsets() {
        assert_eq!(Cuts::Every(4).pieces(10), vec![(0, 4), (4, 8), (8, 10)]);
        assert_eq!(Cuts::Every(5).pieces(10), vec![(0, 5), (5, 10)]);
        assert_eq!(Cuts::Every(1).pieces(3), vec![(0, 1), (1, 2), (2, 3)]);
        assert_eq!(Cuts::At(&[3, 9, 40]).pieces(10), vec![(0, 3), (3, 9), (9, 10)]);
        assert_eq!(Cuts::Every(usize::MAX).pieces(7), vec![(0, 7)]);
        assert_eq!(Cuts::Every(3).pieces(0), vec![(0, 0)]);
    }
}
