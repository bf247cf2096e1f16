//! The progress bar of `run` and `serve` (indicatif, on stderr): it appears once a run has
//! lasted [`APPEARS_AFTER`], shows cases done of total, passed and failed counts and the
//! elapsed time, and is cleared at the end. Case lines go to stdout through
//! [`Progress::println`], which hides the bar while writing so the two never mix on a terminal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::{CaseResult, Status};

/// How long a run goes before the bar is drawn: short runs print nothing extra.
pub const APPEARS_AFTER: Duration = Duration::from_secs(1);

/// The environment variable that replaces [`APPEARS_AFTER`] (in milliseconds), so tests of the
/// bar need not wait on the clock. Not a user setting: undocumented in `--help`.
pub const APPEARS_AFTER_ENV: &str = "PEERSPEC_PROGRESS_AFTER_MS";

/// [`APPEARS_AFTER`], or what [`APPEARS_AFTER_ENV`] says.
fn appears_after() -> Duration {
    std::env::var(APPEARS_AFTER_ENV).ok().and_then(|v| v.parse().ok()).map(Duration::from_millis).unwrap_or(APPEARS_AFTER)
}

/// A progress bar, or nothing (`--no-progress`, or stderr is not a terminal).
#[derive(Debug)]
pub struct Progress {
    bar: Option<Shown>,
    passed: u64,
    failed: u64,
}

#[derive(Debug)]
struct Shown {
    bar: ProgressBar,
    /// Set when the run is over; the delayed start checks it under the same lock, so a bar is
    /// never drawn after it was cleared.
    finished: Arc<Mutex<bool>>,
}

impl Progress {
    /// A bar for `total` cases when `enabled`; drawn on stderr from [`APPEARS_AFTER`] on.
    pub fn new(total: usize, enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            // Hidden until the delay has passed: a run that ends sooner never draws it.
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} cases  {msg}  [{elapsed_precise}]")
                .expect("the template is valid")
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message("0 passed, 0 failed");
            bar.enable_steady_tick(Duration::from_millis(200));
            let finished = Arc::new(Mutex::new(false));
            let (later, done, delay) = (bar.clone(), finished.clone(), appears_after());
            // One short-lived thread that sleeps once; it holds only a handle to the bar.
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let done = done.lock().unwrap_or_else(|e| e.into_inner());
                if !*done {
                    later.set_draw_target(ProgressDrawTarget::stderr());
                }
            });
            Shown { bar, finished }
        });
        Progress { bar, passed: 0, failed: 0 }
    }

    /// Prints `line` and a newline to stdout with the bar out of the way.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(shown) => shown.bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    /// Counts a finished case.
    pub fn record(&mut self, result: &CaseResult) {
        match result.status {
            Status::Passed => self.passed += 1,
            Status::Failed | Status::Interrupted => self.failed += 1,
            Status::Skipped => {}
        }
        if let Some(shown) = &self.bar {
            shown.bar.set_message(format!("{} passed, {} failed", self.passed, self.failed));
            shown.bar.inc(1);
        }
    }

    /// Removes the bar from the terminal (before the summary is printed).
    pub fn finish(&mut self) {
        if let Some(shown) = self.bar.take() {
            let mut done = shown.finished.lock().unwrap_or_else(|e| e.into_inner());
            *done = true;
            shown.bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
