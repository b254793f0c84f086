//! The pool's protocol under loom (`RUSTFLAGS="--cfg loom"`): every interleaving of the caller
//! and its workers, within a bound on preemptions, of publishing a job, claiming its tasks from
//! both ends, waiting for them, handing a panic back, sleeping and waking, and stopping. loom's
//! cell reports any read of the published job that races its write.

#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};

use camtag_pool_check::pool::Pool;

/// Explores `f` with at most `preemptions` forced switches per run: loom's advice for models
/// with spinning. Two find the races that matter: without the closed generation in `Pool::run`,
/// loom reports a worker reading the job while the caller writes it, within a second.
fn explore(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(preemptions);
    model.check(f);
}

/// Explores `body` on a pool of `workers` started for each run, and stopped after it.
fn on_pool(workers: usize, body: impl Fn(&Pool) + Sync + Send + 'static) {
    explore(2, move || {
        let pool = Pool::start(workers);
        body(&pool);
        pool.stop();
    });
}

fn counters(n: usize) -> Vec<AtomicUsize> {
    (0..n).map(|_| AtomicUsize::new(0)).collect()
}

/// Runs a job of `count` tasks on `pool` and checks that each ran once.
fn each_task_once(pool: &Pool, count: usize) {
    let runs = counters(count);
    pool.run(count, &|i| {
        runs[i].fetch_add(1, Ordering::Relaxed);
    });
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.load(Ordering::Relaxed), 1, "task {i} of {count}");
    }
}

/// Two jobs in a row on one worker: the second must not be claimed against the first's count
/// (the closed generation), and every task of each runs once.
#[test]
fn two_jobs_one_worker_every_task_once() {
    on_pool(1, |pool| {
        each_task_once(pool, 2);
        each_task_once(pool, 3);
    });
}

/// Two workers race each other and the caller for the tasks of one job.
#[test]
fn one_job_two_workers_every_task_once() {
    on_pool(2, |pool| {
        each_task_once(pool, 3);
    });
}

/// A task's panic, wherever it ran, comes back to the caller after every other task is done,
/// and the pool runs the next job.
#[test]
fn a_panic_comes_back_after_the_job() {
    on_pool(1, |pool| {
        let runs = counters(2);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(2, &|i| {
                runs[i].fetch_add(1, Ordering::Relaxed);
                if i == 1 {
                    std::panic::panic_any(7usize);
                }
            })
        }));
        assert_eq!(outcome.expect_err("the panic comes back").downcast_ref::<usize>(), Some(&7));
        assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "every task ran before");
        each_task_once(pool, 2);
    });
}

/// A worker asleep, a nudge to wake it, and a job: no lost wake-up leaves the job's tasks
/// untaken (the caller would still finish them) or the worker asleep past `stop` (the model
/// would not end).
#[test]
fn wake_then_a_job_then_stop() {
    on_pool(1, |pool| {
        pool.wake();
        each_task_once(pool, 2);
    });
}
