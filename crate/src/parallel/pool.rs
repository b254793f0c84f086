//! The CPU kernels' own threads (natively; wasm has one thread): a fork-join whose workers spin
//! a while between jobs instead of going to sleep at once.
//!
//! The kernels split each layer into a few tasks. Under rayon, a worker that finds nothing to do
//! sleeps after a few dozen rounds of looking (microseconds), and waking it takes a futex call
//! and, on virtual CPUs, tens of microseconds before it runs: as long as many of the tasks. A
//! forward pass is a chain of layers with serial glue between them (burn's residual adds, tensor
//! set-up), so under rayon the workers slept through the gaps and were late to every layer
//! (BENCHMARKS.md: "the kernels' own threads"; `parallel::pool` under "Figures from the kernels'
//! comments"). onnxruntime's pool spins likewise.
//!
//! One job at a time: the caller publishes it, takes tasks itself, and waits (spinning) until
//! every task is done. A job asked for while another runs (from inside a task, or from another
//! thread) runs on its caller alone. A task's panic is caught where it ran and raised again in
//! the caller once the job is over, so the job's data outlives every task that uses it.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the serial gaps between the
/// layers of a forward pass, short enough that an idle program stops using the CPU at once. It
/// spins on the pause hint alone: with a `yield_now` (a system call) in the loop, a worker inside
/// it when a job was published joined late, and the caller waited for its last tasks
/// (BENCHMARKS.md: "spin on the pause hint alone").
const SPIN: Duration = Duration::from_micros(500);

/// A job's tasks are claimed from both ends: the caller's from the front (task 0, 1, …), the
/// workers' from the back (the last, the one before, …), until they meet. The kernels number their
/// tasks in the order of what they write (a picture's rows, top to bottom), so each thread keeps
/// to one end of the picture from layer to layer and mostly reads what it wrote itself, from its
/// own cache; tasks taken in turn would have each layer read about half of its input from the
/// other core (BENCHMARKS.md: "claim a job's tasks from both ends").
///
/// The claimed counts share `next`'s low 32 bits: the front's in the high 16, the back's in the
/// low 16. So a job has fewer than `MAX_TASKS` tasks.
const MAX_TASKS: usize = 0xFFFF;

/// Claimed counts that no job's tasks reach (`run` takes fewer than [`MAX_TASKS`]): a closed
/// generation.
const CLOSED: u64 = u32::MAX as u64;

/// The front's claimed count, in `next`'s low 32 bits.
const FRONT: u64 = 1 << 16;

/// The job being run: a task function erased to `Fn(usize)` (its lifetime too: see [`run`]).
#[derive(Clone, Copy)]
struct Job {
    task: *const (dyn Fn(usize) + Sync),
}

struct Pool {
    /// The job's generation (high 32 bits) and the tasks claimed from the front and from the back
    /// (16 bits each, see [`MAX_TASKS`]): a worker takes a task only from the generation it read
    /// the job of, so one that wakes late takes nothing from a finished job.
    next: AtomicU64,
    /// Tasks of the current job (written with `job`, before `next` publishes them).
    count: AtomicUsize,
    job: UnsafeCell<Option<Job>>,
    /// Tasks finished in the current job.
    done: AtomicUsize,
    /// The first panic of the current job's tasks.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Whether a caller holds the pool.
    busy: AtomicBool,
    /// Sleeping workers wait here for a new generation, or a nudge.
    sleep: Mutex<usize>,
    /// Bumped by [`wake`]: sleeping workers get up and spin again.
    nudges: AtomicU64,
    wake: Condvar,
}

// SAFETY: `job` is written only by the caller holding `busy`, before the release store to `next`
// that publishes it, and read only by threads that took a task of that generation through
// `next` (acquire), while the caller waits for that task; the pointer it holds is `Sync`.
unsafe impl Sync for Pool {}
unsafe impl Send for Pool {}

/// The pool, started on first use with one worker fewer than [`super::threads`] (the
/// caller is one).
fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| {
        let threads = super::threads();
        if threads < 2 {
            return None;
        }
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            next: AtomicU64::new(0),
            count: AtomicUsize::new(0),
            job: UnsafeCell::new(None),
            done: AtomicUsize::new(0),
            panic: Mutex::new(None),
            busy: AtomicBool::new(false),
            sleep: Mutex::new(0),
            nudges: AtomicU64::new(0),
            wake: Condvar::new(),
        }));
        for i in 1..threads {
            let spawned = std::thread::Builder::new().name(format!("camtag-kernels-{i}")).spawn(move || pool.work());
            if spawned.is_err() {
                // Fewer workers: the caller takes their tasks.
                break;
            }
        }
        Some(pool)
    })
}

impl Pool {
    /// A worker: waits for each new generation (spinning, then asleep), takes its tasks.
    fn work(&self) {
        let mut seen = 0u64;
        loop {
            let mut since = Instant::now();
            let generation = loop {
                let generation = self.next.load(Ordering::Acquire) >> 32;
                if generation != seen {
                    break generation;
                }
                if since.elapsed() < SPIN {
                    std::hint::spin_loop();
                    continue;
                }
                let mut sleeping = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
                let nudges = self.nudges.load(Ordering::Relaxed);
                *sleeping += 1;
                while self.next.load(Ordering::Acquire) >> 32 == seen && self.nudges.load(Ordering::Relaxed) == nudges {
                    sleeping = self.wake.wait(sleeping).unwrap_or_else(|e| e.into_inner());
                }
                *sleeping -= 1;
                since = Instant::now();
            };
            seen = generation;
            self.take_tasks(generation, End::Back);
        }
    }

    /// Takes and runs tasks of `generation` from `end` until none are left.
    fn take_tasks(&self, generation: u64, end: End) {
        let mut current = self.next.load(Ordering::Acquire);
        loop {
            if current >> 32 != generation {
                return;
            }
            let (front, back) = ((current >> 16 & 0xFFFF) as usize, (current & 0xFFFF) as usize);
            // The count was written before `next` published this generation.
            let count = self.count.load(Ordering::Relaxed);
            if front + back >= count {
                return;
            }
            let (index, claimed) = match end {
                End::Front => (front, current + FRONT),
                End::Back => (count - 1 - back, current + 1),
            };
            match self.next.compare_exchange_weak(current, claimed, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    // SAFETY: task `index` of this generation is ours and not done, so the
                    // caller is still waiting in `run` and the job it published is alive.
                    let job = unsafe { (*self.job.get()).expect("a published job") };
                    // SAFETY: as above.
                    let task = unsafe { &*job.task };
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| task(index))) {
                        self.panic.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(panic);
                    }
                    self.done.fetch_add(1, Ordering::AcqRel);
                    current = self.next.load(Ordering::Acquire);
                }
                Err(now) => current = now,
            }
        }
    }
}

/// Which end of a job's tasks a thread claims from (see [`MAX_TASKS`]).
#[derive(Clone, Copy)]
enum End {
    /// The caller's: task 0, 1, …
    Front,
    /// The workers': the last task, the one before, …
    Back,
}

/// Gets sleeping workers up, spinning, ahead of jobs to come: a forward pass calls it as it
/// starts, so that a worker asleep since the last picture is awake by its first parallel layer
/// (waking takes tens of microseconds: BENCHMARKS.md, "wakes the kernels' sleeping threads").
pub(crate) fn wake() {
    if let Some(pool) = pool() {
        let sleeping = pool.sleep.lock().unwrap_or_else(|e| e.into_inner());
        if *sleeping > 0 {
            pool.nudges.fetch_add(1, Ordering::Relaxed);
            pool.wake.notify_all();
        }
    }
}

/// Runs `task(i)` for every `i < count` on the pool's threads and this one, returning once all
/// are done; a task's panic is raised here after that. Runs them here in order where the pool is
/// busy, has no workers, or there is one task.
pub(crate) fn run(count: usize, task: &(dyn Fn(usize) + Sync)) {
    let pool = match pool() {
        Some(pool) if count > 1 && count < MAX_TASKS => pool,
        _ => return in_order(count, task),
    };
    if pool.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        return in_order(count, task);
    }
    // SAFETY: erases the task's lifetime; no thread uses it after this function returns: every
    // task is done by then, and a worker reads the job only while holding an undone task.
    let erased: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(task as *const (dyn Fn(usize) + Sync)) };
    // Close the last generation first: a worker that read it before its last task was taken
    // must not claim a task of it against `count` below, the new job's.
    let last = pool.next.load(Ordering::Relaxed) >> 32;
    pool.next.store(last << 32 | CLOSED, Ordering::Release);
    // SAFETY: we hold `busy`; the workers read `job` only for a task of the generation published
    // below, and all of the previous generation's tasks are done.
    unsafe { *pool.job.get() = Some(Job { task: erased }) };
    pool.count.store(count, Ordering::Relaxed);
    pool.done.store(0, Ordering::Relaxed);
    let generation = (last + 1) & u32::MAX as u64;
    pool.next.store(generation << 32, Ordering::Release);
    if *pool.sleep.lock().unwrap_or_else(|e| e.into_inner()) > 0 {
        pool.wake.notify_all();
    }
    pool.take_tasks(generation, End::Front);
    while pool.done.load(Ordering::Acquire) < count {
        std::hint::spin_loop();
    }
    // SAFETY: every task is done; no worker reads the job until the next generation.
    unsafe { *pool.job.get() = None };
    let panic = pool.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
    pool.busy.store(false, Ordering::Release);
    if let Some(panic) = panic {
        resume_unwind(panic);
    }
}

/// The tasks on this thread, one after the other, as the pool runs them: a panic does not stop
/// the others, and the first is raised once all have run.
fn in_order(count: usize, task: &(dyn Fn(usize) + Sync)) {
    let mut first = None;
    for index in 0..count {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| task(index))) {
            first.get_or_insert(panic);
        }
    }
    if let Some(panic) = first {
        resume_unwind(panic);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::run;

    #[test]
    fn every_task_runs_once() {
        for _ in 0..100 {
            for count in [0, 1, 2, 3, 17, 1000] {
                let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
                run(count, &|i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "{count} tasks");
            }
        }
    }

    /// The caller's tasks are the first ones, the workers' the last ones: each thread keeps to
    /// one end (one side of a picture) from job to job. (Where another test holds the pool, the
    /// caller runs every task: the first ones too.)
    #[test]
    fn the_caller_takes_the_first_tasks_and_the_workers_the_last() {
        let caller = std::thread::current().id();
        let mut joined = 0;
        for _ in 0..2000 {
            super::wake();
            let by_caller: Vec<AtomicUsize> = (0..16).map(|_| AtomicUsize::new(0)).collect();
            run(16, &|i| {
                by_caller[i].store(usize::from(std::thread::current().id() == caller) + 1, Ordering::Relaxed);
                // Long enough for a worker to join in.
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_micros(20) {}
            });
            let runs: Vec<usize> = by_caller.iter().map(|r| r.load(Ordering::Relaxed)).collect();
            assert!(runs.iter().all(|&r| r > 0), "every task ran: {runs:?}");
            let first_of_workers = runs.iter().position(|&r| r == 1).unwrap_or(runs.len());
            assert!(runs[..first_of_workers].iter().all(|&r| r == 2) && runs[first_of_workers..].iter().all(|&r| r == 1), "the caller's tasks, then the workers': {runs:?}");
            joined += usize::from(first_of_workers < runs.len());
            if joined == 20 {
                break;
            }
        }
    }

    #[test]
    fn a_job_inside_a_task_runs_on_its_caller() {
        let total = AtomicUsize::new(0);
        run(8, &|_| run(8, &|j| {
            total.fetch_add(j, Ordering::Relaxed);
        }));
        assert_eq!(total.load(Ordering::Relaxed), 8 * 28);
    }

    /// Whether the pool or its caller alone runs the job (another test may hold the pool): the
    /// same outcome.
    #[test]
    fn a_tasks_panic_reaches_the_caller_after_the_job_and_the_pool_goes_on() {
        let done = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(|| {
            run(64, &|i| {
                if i == 5 {
                    panic!("task 5");
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        });
        let message = result.expect_err("the panic comes back").downcast::<&str>().map(|m| *m);
        assert_eq!(message.ok(), Some("task 5"));
        assert_eq!(done.load(Ordering::Relaxed), 63, "every other task ran before it was raised");
        let again = AtomicUsize::new(0);
        run(10, &|_| {
            again.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(again.load(Ordering::Relaxed), 10);
    }
}
