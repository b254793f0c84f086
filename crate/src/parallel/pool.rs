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
//!
//! This file uses nothing but `std` (or `loom`'s stand-ins under `--cfg loom`): the protocol is
//! also checked on its own, by loom's exhaustive interleavings, Miri, ThreadSanitizer and a stress
//! test of a million jobs (`crate/tests/pool`). The kernels' one pool lives in [`super`].

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

#[cfg(loom)]
use loom::{
    cell::UnsafeCell,
    hint::spin_loop,
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex},
    thread,
};
#[cfg(not(loom))]
use std::{
    cell::UnsafeCell,
    hint::spin_loop,
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex},
    thread,
};

/// How long an idle worker spins before it sleeps: longer than the serial gaps between the
/// layers of a forward pass, short enough that an idle program stops using the CPU at once. It
/// spins on the pause hint alone: with a `yield_now` (a system call) in the loop, a worker inside
/// it when a job was published joined late, and the caller waited for its last tasks
/// (BENCHMARKS.md: "spin on the pause hint alone"). Under loom, which has no clock, not at all.
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
pub const MAX_TASKS: usize = 0xFFFF;

/// Claimed counts that no job's tasks reach (`run` takes fewer than [`MAX_TASKS`]): a closed
/// generation.
const CLOSED: u64 = u32::MAX as u64;

/// The front's claimed count, in `next`'s low 32 bits.
const FRONT: u64 = 1 << 16;

/// The job being run: a task function erased to `Fn(usize)` (its lifetime too: see [`Pool::run`]).
#[derive(Clone, Copy)]
struct Job {
    task: *const (dyn Fn(usize) + Sync),
}

/// Where the caller publishes its job.
struct JobSlot(UnsafeCell<Option<Job>>);

#[cfg(not(loom))]
impl JobSlot {
    /// # Safety
    /// No other thread reads or writes the slot meanwhile.
    unsafe fn set(&self, job: Option<Job>) {
        // SAFETY: as the caller promises.
        unsafe { *self.0.get() = job }
    }

    /// # Safety
    /// No thread writes the slot meanwhile.
    unsafe fn get(&self) -> Option<Job> {
        // SAFETY: as the caller promises.
        unsafe { *self.0.get() }
    }
}

/// Under loom the same, through its cell, which reports any access that races another.
#[cfg(loom)]
impl JobSlot {
    unsafe fn set(&self, job: Option<Job>) {
        // SAFETY: as the caller promises.
        self.0.with_mut(|slot| unsafe { *slot = job })
    }

    unsafe fn get(&self) -> Option<Job> {
        // SAFETY: as the caller promises.
        self.0.with(|slot| unsafe { *slot })
    }
}

/// A fork-join pool: [`Pool::start`]ed with its workers, which [`Pool::run`]'s caller joins.
pub struct Pool {
    /// The job's generation (high 32 bits) and the tasks claimed from the front and from the back
    /// (16 bits each, see [`MAX_TASKS`]): a worker takes a task only from the generation it read
    /// the job of, so one that wakes late takes nothing from a finished job.
    next: AtomicU64,
    /// Tasks of the current job (written with `job`, before `next` publishes them).
    count: AtomicUsize,
    job: JobSlot,
    /// Tasks finished in the current job.
    done: AtomicUsize,
    /// The first panic of the current job's tasks.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Whether a caller holds the pool.
    busy: AtomicBool,
    /// Sleeping workers wait here for a new generation, or a nudge.
    sleep: Mutex<usize>,
    /// Bumped by [`Pool::wake`]: sleeping workers get up and spin again.
    nudges: AtomicU64,
    wake: Condvar,
    /// Set by [`Pool::stop`]: the workers leave.
    stopping: AtomicBool,
    workers: Mutex<Vec<thread::JoinHandle<()>>>,
}

// SAFETY: `job` is written only by the caller holding `busy`, before the release store to `next`
// that publishes it, and read only by threads that took a task of that generation through
// `next` (acquire), while the caller waits for that task; the pointer it holds is `Sync`.
unsafe impl Sync for Pool {}
unsafe impl Send for Pool {}

impl Pool {
    /// A pool with `workers` threads beside its callers (fewer where the system gives fewer).
    pub fn start(workers: usize) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            next: AtomicU64::new(0),
            count: AtomicUsize::new(0),
            job: JobSlot(UnsafeCell::new(None)),
            done: AtomicUsize::new(0),
            panic: Mutex::new(None),
            busy: AtomicBool::new(false),
            sleep: Mutex::new(0),
            nudges: AtomicU64::new(0),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            workers: Mutex::new(Vec::new()),
        });
        let mut handles = Vec::new();
        for i in 0..workers {
            let worker = Arc::clone(&pool);
            #[cfg(loom)]
            let spawned: std::io::Result<_> = Ok((i, thread::spawn(move || worker.work())).1);
            #[cfg(not(loom))]
            let spawned = thread::Builder::new().name(format!("camtag-kernels-{}", i + 1)).spawn(move || worker.work());
            match spawned {
                Ok(handle) => handles.push(handle),
                // Fewer workers: the caller takes their tasks.
                Err(_) => break,
            }
        }
        *pool.workers.lock().unwrap_or_else(|e| e.into_inner()) = handles;
        pool
    }

    /// A worker: waits for each new generation (spinning, then asleep), takes its tasks; leaves
    /// when the pool stops.
    fn work(&self) {
        let mut seen = 0u64;
        loop {
            let mut since = Instant::now();
            let generation = loop {
                if self.stopping.load(Ordering::Acquire) {
                    return;
                }
                let generation = self.next.load(Ordering::Acquire) >> 32;
                if generation != seen {
                    break generation;
                }
                if !cfg!(loom) && since.elapsed() < SPIN {
                    spin_loop();
                    continue;
                }
                let mut sleeping = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
                let nudges = self.nudges.load(Ordering::Relaxed);
                *sleeping += 1;
                while self.next.load(Ordering::Acquire) >> 32 == seen
                    && self.nudges.load(Ordering::Relaxed) == nudges
                    && !self.stopping.load(Ordering::Acquire)
                {
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
            // Acquire: a worker that reads a new job's count while still holding the last
            // generation's `current` also sees that generation closed (stored before the count,
            // in `run`), so its claim below fails rather than taking a task of the new job
            // against the old generation (found in review: loom runs a compare-exchange on the
            // latest value, so its model cannot show this race).
            let count = self.count.load(Ordering::Acquire);
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
                    let job = unsafe { self.job.get() }.expect("a published job");
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

    /// Gets sleeping workers up, spinning, ahead of jobs to come: a forward pass calls it as it
    /// starts, so that a worker asleep since the last picture is awake by its first parallel layer
    /// (waking takes tens of microseconds: BENCHMARKS.md, "wakes the kernels' sleeping threads").
    pub fn wake(&self) {
        let sleeping = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
        if *sleeping > 0 {
            self.nudges.fetch_add(1, Ordering::Relaxed);
            self.wake.notify_all();
        }
    }

    /// Runs `task(i)` for every `i < count` on the pool's threads and this one, returning once
    /// all are done; a task's panic is raised here after that. Runs them here in order where the
    /// pool is busy (a job inside a task, or from another thread) or there is one task.
    pub fn run(&self, count: usize, task: &(dyn Fn(usize) + Sync)) {
        if count < 2 || count >= MAX_TASKS {
            return in_order(count, task);
        }
        if self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return in_order(count, task);
        }
        // SAFETY: erases the task's lifetime; no thread uses it after this function returns:
        // every task is done by then, and a worker reads the job only while holding an undone task.
        let erased: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(task as *const (dyn Fn(usize) + Sync)) };
        // Close the last generation first: a worker that read it before its last task was taken
        // must not claim a task of it against `count` below, the new job's.
        let last = self.next.load(Ordering::Relaxed) >> 32;
        self.next.store(last << 32 | CLOSED, Ordering::Release);
        // SAFETY: we hold `busy`; the workers read `job` only for a task of the generation
        // published below, and all of the previous generation's tasks are done.
        unsafe { self.job.set(Some(Job { task: erased })) };
        self.count.store(count, Ordering::Release); // after the close: see `take_tasks`
        self.done.store(0, Ordering::Relaxed);
        let generation = (last + 1) & u32::MAX as u64;
        self.next.store(generation << 32, Ordering::Release);
        if *self.sleep.lock().unwrap_or_else(|e| e.into_inner()) > 0 {
            self.wake.notify_all();
        }
        self.take_tasks(generation, End::Front);
        while self.done.load(Ordering::Acquire) < count {
            spin_loop();
        }
        // SAFETY: every task is done; no worker reads the job until the next generation.
        unsafe { self.job.set(None) };
        let panic = self.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.busy.store(false, Ordering::Release);
        if let Some(panic) = panic {
            resume_unwind(panic);
        }
    }

    /// Sends the workers away and waits for them (a pool that is not running a job). The
    /// kernels' pool never stops; the tests' pools do.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        {
            let _sleeping = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_all();
        }
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.join();
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

/// The tasks on this thread, one after the other, as the pool runs them: a panic does not stop
/// the others, and the first is raised once all have run.
pub fn in_order(count: usize, task: &(dyn Fn(usize) + Sync)) {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Pool;

    /// Rounds of each test: fewer under Miri, which runs them some thousand times slower
    /// (crate/tests/sanitize.sh).
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 100 };

    #[test]
    fn every_task_runs_once() {
        let pool = Pool::start(2);
        for _ in 0..ROUNDS {
            for count in [0, 1, 2, 3, 17, if cfg!(miri) { 40 } else { 1000 }] {
                let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
                pool.run(count, &|i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "{count} tasks");
            }
        }
        pool.stop();
    }

    /// The caller's tasks are the first ones, the workers' the last ones: each thread keeps to
    /// one end (one side of a picture) from job to job.
    #[test]
    fn the_caller_takes_the_first_tasks_and_the_workers_the_last() {
        let pool = Pool::start(1);
        let caller = std::thread::current().id();
        let mut joined = 0;
        // Under Miri, whose scheduler rarely lets the worker in, one job it joined is enough.
        let wanted = if cfg!(miri) { 1 } else { 20 };
        for _ in 0..2000 {
            pool.wake();
            let by_caller: Vec<AtomicUsize> = (0..16).map(|_| AtomicUsize::new(0)).collect();
            pool.run(16, &|i| {
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
            if joined == wanted {
                break;
            }
        }
        assert_eq!(joined, wanted, "the worker joined in {wanted} jobs of 2000");
        pool.stop();
    }

    #[test]
    fn a_job_inside_a_task_runs_on_its_caller() {
        let pool = Pool::start(2);
        let total = AtomicUsize::new(0);
        pool.run(8, &|_| pool.run(8, &|j| {
            total.fetch_add(j, Ordering::Relaxed);
        }));
        assert_eq!(total.load(Ordering::Relaxed), 8 * 28);
        pool.stop();
    }

    #[test]
    fn a_tasks_panic_reaches_the_caller_after_the_job_and_the_pool_goes_on() {
        let pool = Pool::start(2);
        let done = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(64, &|i| {
                if i == 5 {
                    panic!("task 5");
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        }));
        let message = result.expect_err("the panic comes back").downcast::<&str>().map(|m| *m);
        assert_eq!(message.ok(), Some("task 5"));
        assert_eq!(done.load(Ordering::Relaxed), 63, "every other task ran before it was raised");
        let again = AtomicUsize::new(0);
        pool.run(10, &|_| {
            again.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(again.load(Ordering::Relaxed), 10);
        pool.stop();
    }

    /// Stopped, asleep or spinning, every worker leaves (the test would hang otherwise).
    #[test]
    fn a_stopped_pool_lets_its_workers_go() {
        for pause in [0, 2] {
            let pool = Pool::start(3);
            pool.run(6, &|_| {});
            std::thread::sleep(std::time::Duration::from_millis(pause)); // past SPIN: asleep
            pool.stop();
            assert!(pool.workers.lock().unwrap().is_empty());
        }
    }
}
