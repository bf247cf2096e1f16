//! Process groups of clients under test. Each client starts in a group of its own, and the whole
//! group is ended (SIGTERM, then SIGKILL after [`GRACE`]) at its case's end, at the case's
//! timeout, on Ctrl-C or SIGTERM ([`end_all`]), and when a case is dropped, so that no process a
//! client started (a grandchild, a daemon) outlives the case or peerspec.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long a group has after SIGTERM before SIGKILL.
pub const GRACE: Duration = Duration::from_millis(200);

/// Groups started and not yet ended: process group id → the id of the case that started it.
static LIVE: Mutex<BTreeMap<i32, String>> = Mutex::new(BTreeMap::new());

fn live() -> std::sync::MutexGuard<'static, BTreeMap<i32, String>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a new group (its leader's pid), started for case `case`.
pub fn register(pgid: i32, case: &str) {
    live().insert(pgid, case.to_string());
}

/// Forgets a group that was ended.
pub fn forget(pgid: i32) {
    live().remove(&pgid);
}

/// Sends `sig` to every process of group `pgid`; whether any received it (0: only asks whether
/// the group still has a process, zombies included).
pub fn signal(pgid: i32, sig: i32) -> bool {
    if pgid <= 1 {
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe { libc::kill(-pgid, sig) == 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = sig;
        false
    }
}

/// Whether group `pgid` still has a process that is not a zombie. Zombies are over (only their
/// exit status is left), and a container's init may never reap the ones a client orphaned.
pub fn alive(pgid: i32) -> bool {
    if !signal(pgid, 0) {
        return false;
    }
    let Ok(dir) = std::fs::read_dir("/proc") else { return true };
    dir.flatten().filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))).any(|e| {
        // /proc/PID/stat: "pid (comm) state ppid pgrp ...", comm may hold spaces and parentheses.
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { return false };
        let Some((_, rest)) = stat.rsplit_once(") ") else { return false };
        let fields: Vec<&str> = rest.split(' ').take(3).collect();
        fields.len() == 3 && fields[0] != "Z" && fields[2].parse() == Ok(pgid)
    })
}

#[cfg(unix)]
pub use libc::{SIGKILL, SIGTERM};
/// SIGKILL where there are no signals.
#[cfg(not(unix))]
pub const SIGKILL: i32 = 9;
/// SIGTERM where there are no signals.
#[cfg(not(unix))]
pub const SIGTERM: i32 = 15;

/// Takes every group still running out of the registry (before their cases are cancelled, whose
/// drop would forget them), for [`end_all`].
pub fn take_all() -> Vec<(i32, String)> {
    std::mem::take(&mut *live()).into_iter().collect()
}

/// Ends `groups` (from [`take_all`]; Ctrl-C, SIGTERM): SIGTERM to each, then SIGKILL to those
/// left after [`GRACE`]. Returns the groups ended, with the case that started each and how.
pub async fn end_all(groups: Vec<(i32, String)>) -> Vec<(i32, String, &'static str)> {
    let mut ended: Vec<(i32, String, &'static str)> = groups
        .into_iter()
        .map(|(pgid, case)| {
            // A group already gone was killed by its case's cancellation.
            let how = if signal(pgid, SIGTERM) { "SIGTERM" } else { "SIGKILL" };
            (pgid, case, how)
        })
        .collect();
    let until = tokio::time::Instant::now() + GRACE;
    while tokio::time::Instant::now() < until && ended.iter().any(|(pgid, _, _)| alive(*pgid)) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (pgid, _, how) in ended.iter_mut() {
        if alive(*pgid) && signal(*pgid, SIGKILL) {
            *how = "SIGTERM, then SIGKILL after 200 ms";
        }
    }
    ended
}
