//! Terminal output in the style of `cargo test`: a line per case as it finishes, then each
//! failure with expected vs seen and the wire transcript, then the summary line.

use std::fmt::Write as _;
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use super::Summary;
use crate::run::{CaseResult, Status};

/// Whether terminal output is coloured: `ok` green, `FAILED` red, skipped cases and failures of
/// SHOULD/MAY cases yellow. Only this reporter colours; report files never do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Colours {
    on: bool,
}

impl Colours {
    /// No escape codes at all.
    pub const NONE: Colours = Colours { on: false };
    /// ANSI colours.
    pub const ANSI: Colours = Colours { on: true };

    /// Colours as `--color` asks: `always`, `never`, or `auto` (`None`): on only when stdout is
    /// a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>).
    pub fn choose(always: Option<bool>, stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Colours {
        let on = always.unwrap_or_else(|| stdout_is_terminal && no_color.is_none_or(|v| v.is_empty()));
        Colours { on }
    }

    fn paint(self, colour: AnsiColor, text: &str) -> String {
        if !self.on {
            return text.to_string();
        }
        let style = Style::new().fg_color(Some(colour.into())).bold();
        format!("{}{text}{}", style.render(), style.render_reset())
    }
    fn green(self, text: &str) -> String {
        self.paint(AnsiColor::Green, text)
    }
    fn red(self, text: &str) -> String {
        self.paint(AnsiColor::Red, text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint(AnsiColor::Yellow, text)
    }
}

/// The line printed when a case finishes.
pub fn case_line(r: &CaseResult, colours: Colours) -> String {
    match r.status {
        Status::Passed => format!("case {} ... {}", r.id, colours.green("ok")),
        Status::Failed if r.expected_failure.is_some() => {
            expected_failure_line(&r.id, r.expected_failure.as_deref().unwrap_or(""), colours)
        }
        Status::Failed if r.is_error() => {
            let kind = r.failure_kind.map(|k| k.name()).unwrap_or("setup");
            format!("case {} ... {} ({kind})", r.id, colours.red("ERROR"))
        }
        Status::Failed if r.required => format!("case {} ... {}", r.id, colours.red("FAILED")),
        Status::Failed => format!("case {} ... {}", r.id, colours.yellow(&format!("FAILED ({}, not required)", r.level.name()))),
        Status::Skipped => format!("case {} ... {}", r.id, colours.yellow(&format!("skipped ({})", r.message.as_deref().unwrap_or("")))),
        Status::Interrupted => format!("case {} ... {}", r.id, colours.yellow("interrupted")),
    }
}

/// The line of a case a known-failures list expects to fail, with the list's reason.
pub fn expected_failure_line(id: &str, reason: &str, colours: Colours) -> String {
    format!("case {id} ... {}", colours.yellow(&format!("expected failure: {reason}")))
}

/// The failures section and the summary line.
pub fn summary(results: &[CaseResult], elapsed: Duration, colours: Colours) -> String {
    let mut out = String::new();
    let failed: Vec<&CaseResult> = results.iter().filter(|r| r.status == Status::Failed && r.expected_failure.is_none()).collect();
    let expected: Vec<&CaseResult> = results.iter().filter(|r| r.status == Status::Failed && r.expected_failure.is_some()).collect();
    if !expected.is_empty() {
        out.push_str("\nexpected failures (a known-failures list gives each one's reason):\n");
        for r in &expected {
            let _ = writeln!(out, "    {}: {}", r.id, r.message.as_deref().unwrap_or("").lines().next().unwrap_or(""));
        }
    }
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for r in &failed {
            let header = match r.failure_kind {
                Some(kind) if kind.is_error() => format!("---- {} ---- ERROR ({} error: the case could not be run)", r.id, kind.name()),
                _ => format!("---- {} ----", r.id),
            };
            let header = if r.required || r.is_error() { colours.red(&header) } else { colours.yellow(&header) };
            let _ = writeln!(out, "\n{header}");
            if let Some(t) = &r.title {
                let _ = writeln!(out, "  {t}");
            }
            let spec = r.spec.as_deref().unwrap_or("-");
            let _ = writeln!(out, "  spec: {spec} ({})   source: {}", r.level.name(), r.source);
            if !r.autobahn.is_empty() {
                let _ = writeln!(out, "  autobahn: {}", r.autobahn.join(", "));
            }
            if let Some(rule) = &r.rule {
                let _ = writeln!(out, "  rule: \"{}\"", super::one_line(rule));
            }
            for line in r.message.as_deref().unwrap_or("").lines() {
                let _ = writeln!(out, "  {line}");
            }
            if !r.transcript.entries.is_empty() {
                out.push_str("  transcript:\n");
                for line in r.transcript.render().lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        out.push_str("\nfailures:\n");
        for r in &failed {
            let _ = writeln!(out, "    {}", r.id);
        }
    }
    let s = Summary::of(results);
    let verdict = if s.interrupted > 0 {
        colours.yellow("INTERRUPTED")
    } else if s.failed == 0 && s.errors == 0 {
        colours.green("ok")
    } else {
        colours.red("FAILED")
    };
    let optional = if s.failed_optional > 0 {
        colours.yellow(&format!("{} failed, not required (SHOULD/MAY; --strict counts them)", s.failed_optional)) + "; "
    } else {
        String::new()
    };
    let errors = if s.errors > 0 { format!("{} errors (setup/authoring); ", s.errors) } else { String::new() };
    let expected =
        if s.expected_failures > 0 { colours.yellow(&format!("{} expected failures", s.expected_failures)) + "; " } else { String::new() };
    let _ = writeln!(
        out,
        "\ncase result: {verdict}. {} passed; {} failed; {errors}{expected}{optional}{} skipped;{} finished in {:.2}s",
        s.passed,
        s.failed,
        s.skipped,
        if s.interrupted > 0 { format!(" {} interrupted;", s.interrupted) } else { String::new() },
        elapsed.as_secs_f64()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_only_a_terminal_without_a_non_empty_no_color() {
        assert_eq!(Colours::choose(None, true, None), Colours::ANSI);
        assert_eq!(Colours::choose(None, true, Some(OsStr::new(""))), Colours::ANSI, "an empty NO_COLOR counts as unset");
        assert_eq!(Colours::choose(None, true, Some(OsStr::new("1"))), Colours::NONE);
        assert_eq!(Colours::choose(None, false, None), Colours::NONE, "piped output is never coloured");
        assert_eq!(Colours::choose(Some(true), false, Some(OsStr::new("1"))), Colours::ANSI, "--color always wins");
        assert_eq!(Colours::choose(Some(false), true, None), Colours::NONE);
    }

    #[test]
    fn without_colours_the_text_is_plain_and_with_them_only_the_verdict_is_painted() {
        assert_eq!(Colours::NONE.green("ok"), "ok");
        let painted = Colours::ANSI.red("FAILED");
        assert!(painted.starts_with('\x1b') && painted.contains("FAILED") && painted.ends_with("\x1b[0m"), "{painted:?}");
    }
}
