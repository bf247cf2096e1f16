//! The figures of `repeat` steps: each round's time, summed up as Autobahn's category 9 reports
//! its round trips (the rounds themselves run in [`super::case`]).

use std::time::Duration;

use serde::Serialize;

/// Round trips of a case's `repeat` steps: how many, and how long they took together and each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoundTrips {
    /// Rounds completed (a failing round is not counted).
    pub count: u64,
    /// Their total time, in seconds.
    #[serde(serialize_with = "secs")]
    pub total: Duration,
    /// The shortest round, in seconds.
    #[serde(serialize_with = "secs")]
    pub min: Duration,
    /// The longest round, in seconds.
    #[serde(serialize_with = "secs")]
    pub max: Duration,
    /// The mean round, in seconds.
    #[serde(serialize_with = "secs")]
    pub mean: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl RoundTrips {
    /// Adds one round of `took` to the figures (`None`: no round yet).
    pub fn add(this: Option<RoundTrips>, took: Duration) -> RoundTrips {
        let mut r =
            this.unwrap_or(RoundTrips { count: 0, total: Duration::ZERO, min: Duration::MAX, max: Duration::ZERO, mean: Duration::ZERO });
        r.count += 1;
        r.total += took;
        r.min = r.min.min(took);
        r.max = r.max.max(took);
        r.mean = r.total / r.count.min(u32::MAX as u64) as u32;
        r
    }

    /// One line for people: `1000 round trips in 0.431 s: mean 0.43 ms, min 0.31 ms, max 2.10 ms`.
    pub fn describe(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{} round trips in {:.3} s: mean {:.3} ms, min {:.3} ms, max {:.3} ms",
            self.count,
            self.total.as_secs_f64(),
            ms(self.mean),
            ms(self.min),
            ms(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_add_up() {
        let ms = Duration::from_millis;
        let r = [ms(3), ms(1), ms(2)].into_iter().fold(None, |r, d| Some(RoundTrips::add(r, d))).unwrap();
        assert_eq!((r.count, r.total, r.min, r.max, r.mean), (3, ms(6), ms(1), ms(3), ms(2)));
        assert!(r.describe().starts_with("3 round trips in 0.006 s: mean 2.000 ms"), "{}", r.describe());
    }
}
