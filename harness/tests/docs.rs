//! The README and docs/ as a reader meets them: the README fits one screen's worth of reading,
//! links resolve, every shell block says what it needs, and the plain ```sh commands run and
//! exit as their comments say. The convention is documented in docs/README.md; commands that
//! need real peers or a fresh clone are run by ci/docs/run.sh and ci/newcomer.sh.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The README's size limit: a newcomer reads it, the rest lives in docs/.
const README_MAX_BYTES: usize = 12_000;
/// Bound on one documented command; the slowest (a built-in suite) takes a few seconds.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The marks a ```sh fence may carry (docs/README.md says what each needs and who runs it).
const TAGS: [&str; 3] = ["peers", "clone", "norun"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// README.md and every page of docs/, in a stable order.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn name(p: &Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).display().to_string()
}

/// One fenced code block.
struct Block {
    page: PathBuf,
    /// 1-based line of the opening fence.
    line: usize,
    lang: String,
    tags: Vec<String>,
    body: Vec<String>,
}

fn blocks(page: &Path) -> Vec<Block> {
    let text = read(page);
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let mut words = info.split_whitespace().map(str::to_string);
                    let lang = words.next().unwrap_or_default();
                    open = Some(Block { page: page.to_path_buf(), line: i + 1, lang, tags: words.collect(), body: Vec::new() });
                }
            }
            Some(mut b) => {
                if line.starts_with("```") {
                    out.push(b);
                } else {
                    b.body.push(raw.to_string());
                    open = Some(b);
                }
            }
        }
    }
    assert!(open.is_none(), "{}: a code block is never closed", name(page));
    out
}

/// A command of a shell block and the exit status its trailing comment documents (default 0).
struct Cmd {
    text: String,
    expect: i32,
}

/// Splits a shell block into commands: `\` continues a line, `#` lines are comments, and a
/// trailing comment starting with `exit N` gives the expected status.
fn commands(b: &Block) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in &b.body {
        let t = line.trim();
        if pending.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let (cmd, comment) = split_comment(&pending);
        let expect = comment
            .trim()
            .strip_prefix("exit ")
            .map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap_or_else(|_| panic!("{}:{}: `# exit N` needs a number", name(&b.page), b.line))
            })
            .unwrap_or(0);
        out.push(Cmd { text: cmd.trim().to_string(), expect });
        pending.clear();
    }
    assert!(pending.is_empty(), "{}:{}: a command ends in `\\`", name(&b.page), b.line);
    out
}

/// The command and its trailing comment: the first ` #` outside quotes.
fn split_comment(line: &str) -> (&str, &str) {
    let (mut single, mut double) = (false, false);
    let bytes = line.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && i > 0 && bytes[i - 1].is_ascii_whitespace() => return (&line[..i], &line[i + 1..]),
            _ => {}
        }
    }
    (line, "")
}

#[test]
fn readme_is_short_and_starts_a_newcomer_on_its_first_screen() {
    let readme = read(&repo().join("README.md"));
    assert!(readme.len() <= README_MAX_BYTES, "README.md is {} bytes; at most {README_MAX_BYTES}", readme.len());
    // The first screen: what it is, the install, and the two commands that work on a fresh machine.
    let first: String = readme.lines().take(30).collect::<Vec<_>>().join("\n");
    for must in ["cargo install --locked --path harness", "peerspec run ", "cargo test --locked"] {
        assert!(first.contains(must), "README.md's first 30 lines lack `{must}`");
    }
}

#[test]
fn readme_test_command_is_the_one_ci_runs() {
    let readme = read(&repo().join("README.md"));
    let ci = read(&repo().join(".ci/run"));
    let from_readme: Vec<String> = pages()[..1]
        .iter()
        .flat_map(|p| blocks(p))
        .filter(|b| b.lang == "sh")
        .flat_map(|b| commands(&b))
        .map(|c| c.text)
        .filter(|c| c.starts_with("cargo test"))
        .collect();
    assert_eq!(from_readme.len(), 1, "README.md gives one test command: {from_readme:?}");
    assert!(ci.lines().any(|l| l.trim() == from_readme[0]), "README.md's test command `{}` is not a line of .ci/run", from_readme[0]);
    assert!(readme.contains(&from_readme[0]));
}

#[test]
fn pages_hold_no_notes_on_how_they_were_made_nor_paths_outside_the_repository() {
    let banned = ["load average", "engineers", "the issue asks", "DESIGN.md", "../shared", "article.md", "/work/"];
    for page in pages() {
        let text = read(&page).to_lowercase();
        for b in banned {
            assert!(!text.contains(&b.to_lowercase()), "{} mentions `{b}`", name(&page));
        }
    }
}

/// GitHub's heading anchors: lower case, spaces to `-`, punctuation other than `-` and `_` dropped.
fn anchors(page: &Path) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in read(page).lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        out.insert(slug);
    }
    out
}

#[test]
fn links_between_pages_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = read(&page);
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let dest = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            if !dest.exists() {
                broken.push(format!("{}: {target}: no such file", name(&page)));
            } else if !anchor.is_empty() && dest.extension().is_some_and(|e| e == "md") && !anchors(&dest).contains(anchor) {
                broken.push(format!("{}: {target}: no such heading", name(&page)));
            }
            // Nothing outside the repository.
            let canon = dest.canonicalize().unwrap_or(dest.clone());
            if !canon.starts_with(repo().canonicalize().unwrap()) {
                broken.push(format!("{}: {target}: outside the repository", name(&page)));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_table_of_contents_lists_every_page() {
    let toc = read(&repo().join("docs/README.md"));
    for page in pages().iter().skip(1).filter(|p| !p.ends_with("README.md")) {
        let file = page.file_name().unwrap().to_string_lossy();
        assert!(toc.contains(&format!("]({file})")), "docs/README.md does not link {file}");
    }
}

#[test]
fn every_shell_block_says_what_it_needs() {
    let mut wrong = Vec::new();
    for page in pages() {
        for b in blocks(&page) {
            let at = format!("{}:{}", name(&page), b.line);
            match b.lang.as_str() {
                "sh" => {
                    if b.tags.len() > 1 || b.tags.iter().any(|t| !TAGS.contains(&t.as_str())) {
                        wrong.push(format!("{at}: ```sh takes one of {TAGS:?}, got {:?}", b.tags));
                    }
                    if commands(&b).is_empty() {
                        wrong.push(format!("{at}: a shell block without a command"));
                    }
                }
                "bash" | "shell" | "console" | "zsh" | "" => wrong
                    .push(format!("{at}: a shell block is ```sh (with a mark if it is not run by cargo test); a block of text is ```text")),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn example_files_shown_in_the_pages_are_the_files() {
    let mut seen = 0;
    for page in pages() {
        for b in blocks(&page).into_iter().filter(|b| b.lang == "yaml") {
            let Some(path) = b.body.first().and_then(|l| l.strip_prefix("# docs/examples/")) else { continue };
            let file = repo().join("docs/examples").join(path.trim());
            let shown = b.body[1..].join("\n") + "\n";
            assert_eq!(read(&file), shown, "{}:{}: the block differs from {}", name(&page), b.line, name(&file));
            seen += 1;
        }
    }
    assert!(seen > 0, "the README shows an example case from docs/examples/");
}

/// A directory that mirrors the checkout (its top-level entries linked) with a `reports/` of its
/// own, so documented commands that write reports leave the checkout alone.
fn mirror() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo()).unwrap() {
        let entry = entry.unwrap();
        let n = entry.file_name();
        if ["target", "reports", ".git"].iter().any(|skip| n == *skip) {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.path().join(&n)).unwrap();
    }
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    dir
}

/// Runs `bash -c CMD` in its own process group, killed with the group at the deadline.
fn run(cmd: &str, cwd: &Path, path: &str) -> Result<(i32, String), String> {
    use std::os::unix::process::CommandExt;
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new("bash")
        .args(["-c", cmd])
        .current_dir(cwd)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(out.reopen().unwrap())
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = Command::new("kill").args(["-KILL", &format!("-{}", child.id())]).status();
            let _ = child.wait();
            return Err(format!("still running after {COMMAND_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    Ok((status.code().unwrap_or(-1), text))
}

#[test]
fn plain_sh_commands_run_and_exit_as_documented() {
    let dir = mirror();
    let bin = Path::new(env!("CARGO_BIN_EXE_peerspec")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let (mut ran, mut failed) = (0, Vec::new());
    for page in pages() {
        for b in blocks(&page).into_iter().filter(|b| b.lang == "sh" && b.tags.is_empty()) {
            for c in commands(&b) {
                ran += 1;
                let at = format!("{}:{}: `{}`", name(&page), b.line, c.text);
                match run(&c.text, dir.path(), &path) {
                    Ok((code, _)) if code == c.expect => {}
                    Ok((code, out)) => {
                        let tail: Vec<&str> = out.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
                        failed.push(format!("{at} exited {code}, documented {}:\n{}", c.expect, tail.join("\n")))
                    }
                    Err(e) => failed.push(format!("{at}: {e}")),
                }
            }
        }
    }
    assert!(ran > 0, "no plain ```sh command in README.md or docs/");
    assert!(failed.is_empty(), "{} of {ran} documented commands did not do as documented:\n\n{}", failed.len(), failed.join("\n\n"));
}
