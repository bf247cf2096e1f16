//! Durations in case files, written the human way: `150ms`, `2s`, `1m`.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest duration a case or the command line may give: long enough for any exchange, short
/// enough that adding it to a clock never overflows.
pub const MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// Shortest case timeout: a case with no time at all could only pass by not waiting.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// Parses a duration (`150ms`, `2s`, `1m`) of at most [`MAX`].
pub fn parse(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| format!("invalid duration {s:?} ({e}); write e.g. 150ms or 2s"))?;
    if d > MAX {
        return Err(format!("duration {s:?} is out of range: the accepted range is 0s to 24h"));
    }
    Ok(d)
}

/// Parses a timeout: a duration from [`MIN_TIMEOUT`] to [`MAX`] (`--timeout`, `timeout:`).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| format!("invalid timeout {s:?} ({e}); write e.g. 500ms or 5s"))?;
    if !(MIN_TIMEOUT..=MAX).contains(&d) {
        return Err(format!("timeout {s:?} is out of range: the accepted range is 1ms to 24h"));
    }
    Ok(d)
}

/// Deserializes a case's `timeout:` ([`parse_timeout`]); errors point at the value.
pub fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DurationSpec>, D::Error> {
    let s = String::deserialize(d)?;
    parse_timeout(&s).map(|d| Some(DurationSpec(d))).map_err(serde::de::Error::custom)
}

/// A duration written as text (`100ms`, `2s`), parsed with `humantime`, at most [`MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationSpec(pub Duration);

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map(DurationSpec).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DurationSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl JsonSchema for DurationSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ns|us|ms|s|m|h)(\\s*[0-9]+\\s*(ns|us|ms|s|m|h))*\\s*$",
            "description": "A duration such as 150ms, 2s or 1m"
        })
    }
}
