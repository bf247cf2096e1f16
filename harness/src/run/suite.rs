//! The suite scheduler: runs many cases concurrently, each on its own connection, each bounded
//! by its timeout, and reports each result as it finishes.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::case::run_case;
use super::config::RunConfig;
use super::group;
use super::result::{failed_without_run, CaseResult, FailureKind, Status};
use crate::case::load::LoadedCase;

/// Runs `cases` concurrently (`config.jobs` at a time); `on_result` sees each result as it
/// finishes. Results come back in the order of `cases`.
pub async fn run_cases(cases: Vec<LoadedCase>, config: RunConfig, on_result: impl FnMut(&CaseResult)) -> Vec<CaseResult> {
    run_cases_until(cases, config, on_result, std::future::pending::<String>()).await
}

/// [`run_cases`] that stops early when `stop` completes (Ctrl-C, say): running cases are
/// aborted and, with the ones not started, marked [`Status::Interrupted`] with `stop`'s reason;
/// finished results are kept.
pub async fn run_cases_until(
    cases: Vec<LoadedCase>,
    config: RunConfig,
    mut on_result: impl FnMut(&CaseResult),
    stop: impl std::future::Future<Output = String>,
) -> Vec<CaseResult> {
    let config = Arc::new(config);
    let permits = Arc::new(Semaphore::new(config.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let count = cases.len();
    let mut task_index = std::collections::HashMap::new();
    let mut meta = Vec::with_capacity(count);
    for (index, case) in cases.into_iter().enumerate() {
        // Shared, not copied: ten thousand cases at once are held once.
        let case = Arc::new(case);
        meta.push(case.clone());
        let (config, permits) = (config.clone(), permits.clone());
        // An exclusive case takes every permit, so it waits for the cases in flight and holds
        // the others back until it ends.
        let needed = if case.case.exclusive { config.jobs.max(1) as u32 } else { 1 };
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_many_owned(needed).await.expect("the semaphore is never closed");
            (index, run_case(&case, &config).await)
        });
        task_index.insert(handle.id(), index);
    }
    let mut results: Vec<Option<CaseResult>> = vec![None; count];
    tokio::pin!(stop);
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(joined) => joined,
                None => break,
            },
            why = &mut stop => {
                // No client under test outlives the run: every group still running is ended.
                let groups = group::take_all();
                tasks.abort_all();
                let ended = group::end_all(groups).await;
                for (index, slot) in results.iter_mut().enumerate().filter(|(_, r)| r.is_none()) {
                    let id = &meta[index].case.id;
                    let clients: String = ended
                        .iter()
                        .filter(|(_, case, _)| case == id)
                        .map(|(pgid, _, how)| format!("; its client's process group {pgid} was ended ({how})"))
                        .collect();
                    let mut result =
                        failed_without_run(&meta[index], config.strict, &format!("interrupted before it finished ({why}){clients}"));
                    result.status = Status::Interrupted;
                    on_result(&result);
                    *slot = Some(result);
                }
                break;
            }
        };
        let (index, result) = match joined {
            Ok(done) => done,
            // A panic in a case is a bug in peerspec: it fails that case, not the run.
            Err(e) => {
                let index = task_index[&e.id()];
                let why = match e.try_into_panic() {
                    Ok(payload) => {
                        let text = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        format!("peerspec panicked while running this case (a bug; please report it): {text}")
                    }
                    Err(_) => "the case was cancelled".to_string(),
                };
                let mut result = failed_without_run(&meta[index], config.strict, &why);
                result.failure_kind = Some(FailureKind::Setup);
                (index, result)
            }
        };
        on_result(&result);
        results[index] = Some(result);
    }
    results.into_iter().map(|r| r.expect("every task reports once")).collect()
}
