//! A million jobs of random task counts on pools of 2 to 8 threads (the caller and 1 to 7
//! workers), a second caller contending for the pool now and then, and one job in sixteen with a
//! task that panics: after every job each of its tasks ran exactly once, and the job's caller got
//! the panic back exactly when one was thrown. `POOL_JOBS` sets the count (sanitize.sh lowers it
//! under the sanitizers and Miri).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use camtag_pool_check::pool::Pool;

/// A small, seeded generator (xorshift64*): the same jobs on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// A caller's task counters and how many runs each should have had so far: never reset, so a
/// task that ran late, after its job returned, shows at the next check too.
struct Tally {
    runs: Vec<AtomicU32>,
    expected: Vec<u32>,
}

impl Tally {
    fn new(n: usize) -> Tally {
        Tally { runs: (0..n).map(|_| AtomicU32::new(0)).collect(), expected: vec![0; n] }
    }
}

/// What one caller checks of one job.
fn one_job(pool: &Pool, rng: &mut Rng, tally: &mut Tally) -> Result<(), String> {
    let runs = &tally.runs;
    // Mostly few tasks, as a layer's bands; now and then many.
    let count = if rng.below(8) == 0 { rng.below(runs.len() + 1) } else { rng.below(40) };
    let panics_at = (count > 0 && rng.below(16) == 0).then(|| rng.below(count));
    tally.expected[..count].iter_mut().for_each(|e| *e += 1);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        pool.run(count, &|i| {
            runs[i].fetch_add(1, Ordering::Relaxed);
            if Some(i) == panics_at {
                std::panic::panic_any(i);
            }
        })
    }));
    if let Some(bad) = (0..runs.len()).find(|&i| runs[i].load(Ordering::Relaxed) != tally.expected[i]) {
        let (ran, expected) = (runs[bad].load(Ordering::Relaxed), tally.expected[bad]);
        return Err(format!("{count} tasks: task {bad} has run {ran} times in all, not {expected}"));
    }
    match (outcome, panics_at) {
        (Ok(()), None) => Ok(()),
        (Err(payload), Some(at)) if payload.downcast_ref::<usize>() == Some(&at) => Ok(()),
        (Err(_), Some(at)) => Err(format!("{count} tasks: task {at}'s panic came back as another")),
        (Ok(()), Some(at)) => Err(format!("{count} tasks: task {at}'s panic was lost")),
        (Err(_), None) => Err(format!("{count} tasks: a panic nobody threw")),
    }
}

#[test]
fn every_task_runs_once_and_every_panic_comes_back() {
    let jobs: usize = std::env::var("POOL_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    // The tasks' panics (a task's index as payload) are expected: the default hook prints only
    // the others, this test's own failures among them.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<usize>().is_none() {
            default(info);
        }
    }));
    for workers in 1..=7 {
        let pool = Pool::start(workers);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // A second caller, from time to time: it finds the pool busy and runs its job alone,
            // or takes the pool while the first finds it busy.
            let other = scope.spawn(|| {
                let (mut rng, mut tally) = (Rng(0x9E37_79B9 + workers as u64), Tally::new(300));
                let mut done = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    one_job(&pool, &mut rng, &mut tally)?;
                    done += 1;
                    if done % 64 == 0 {
                        std::thread::yield_now();
                    }
                }
                Ok::<usize, String>(done)
            });
            let (mut rng, mut tally) = (Rng(0x5DEE_CE66 + workers as u64), Tally::new(300));
            for job in 0..jobs / 7 {
                if let Err(problem) = one_job(&pool, &mut rng, &mut tally) {
                    stop.store(true, Ordering::Relaxed);
                    panic!("{} threads, job {job}: {problem}", workers + 1);
                }
            }
            stop.store(true, Ordering::Relaxed);
            let theirs = other.join().expect("the second caller ran").unwrap_or_else(|problem| panic!("{} threads, the second caller: {problem}", workers + 1));
            eprintln!("{} threads: {} jobs, and {theirs} from a second caller", workers + 1, jobs / 7);
        });
        pool.stop();
    }
    let _ = std::panic::take_hook();
}
