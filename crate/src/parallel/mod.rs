//! The CPU's threads, for the kernels and the preprocessing: natively the kernels' own spinning
//! pool ([`pool`]) beside rayon's (burn's operations), in wasm the one thread there is.
//! Nothing here knows what runs on it.

#[cfg(not(target_arch = "wasm32"))]
mod pool;
mod scratch;

pub(crate) use scratch::with_buffers;

/// The kernels' pool, started on first use with one worker fewer than [`threads`] (the caller
/// is one); none with one thread.
#[cfg(not(target_arch = "wasm32"))]
fn kernel_pool() -> Option<&'static pool::Pool> {
    use std::sync::{Arc, OnceLock};
    static POOL: OnceLock<Option<Arc<pool::Pool>>> = OnceLock::new();
    POOL.get_or_init(|| (threads() > 1).then(|| pool::Pool::start(threads() - 1))).as_deref()
}

/// Gets the kernels' sleeping threads up ahead of a forward pass ([`pool::Pool::wake`]).
#[cfg(not(target_arch = "wasm32"))]
fn wake_kernel_threads() {
    if let Some(pool) = kernel_pool() {
        pool.wake();
    }
}

/// Runs `f` on one of rayon's worker threads natively (in wasm, which has one thread, here): for
/// a forward pass that keeps some of burn's parallel operations, which hand every split to rayon's
/// pool and sleep until it is done when called from outside it (two thread wake-ups per
/// operation). The kernels' threads are woken first. Measured in BENCHMARKS.md
/// (the rows on `cpu::on_workers`, this function's name before the crate was split into rooms).
pub fn on_rayon<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        wake_kernel_threads();
        rayon::scope(|_| f())
    }
    #[cfg(target_arch = "wasm32")]
    f()
}

/// Runs `f` on this thread, the kernels' threads woken first: for a forward pass whose every
/// layer is one of camtag's kernels, which [`on_rayon`] would hand to a rayon worker and wait
/// for (two thread wake-ups per picture for nothing; BENCHMARKS.md, `cpu::on_kernels`).
pub fn on_this_thread<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    wake_kernel_threads();
    f()
}

/// How many threads the kernels share their work among: as many as rayon's (`RAYON_NUM_THREADS`
/// sets both) natively, one in wasm.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    return rayon::current_num_threads();
    #[cfg(target_arch = "wasm32")]
    1
}

/// Runs `f` on every item: in parallel natively (the kernels' own threads, see [`pool`]), in
/// order in wasm.
pub fn for_each<T: Sync>(items: &[T], f: impl Fn(&T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    match kernel_pool() {
        Some(pool) => pool.run(items.len(), &|i| f(&items[i])),
        None => pool::in_order(items.len(), &|i| f(&items[i])),
    }
    #[cfg(target_arch = "wasm32")]
    items.iter().for_each(f);
}

/// Runs `f` on every item, each handed over by value (a disjoint chunk of an output to write,
/// say), as [`for_each`] runs them; returns the results in the items' order.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use std::sync::Mutex;
    type Cell<T, R> = Mutex<(Option<T>, Option<R>)>;
    fn lock<T, R>(slot: &Cell<T, R>) -> std::sync::MutexGuard<'_, (Option<T>, Option<R>)> {
        slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    let slots: Vec<Cell<T, R>> = items.into_iter().map(|item| Mutex::new((Some(item), None))).collect();
    for_each(&slots, |slot| {
        let item = lock(slot).0.take().expect("each item is run once");
        let result = f(item);
        lock(slot).1 = Some(result);
    });
    slots.into_iter().map(|slot| slot.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).1.expect("every item ran")).collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn map_hands_each_item_over_once_and_keeps_the_order() {
        let mut out = vec![0u32; 100];
        let chunks: Vec<(usize, &mut [u32])> = out.chunks_mut(7).enumerate().collect();
        let lengths = map(chunks, |(i, chunk)| {
            chunk.iter_mut().for_each(|v| *v += i as u32 + 1);
            chunk.len()
        });
        assert_eq!(lengths, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2]);
        assert!(out.iter().enumerate().all(|(j, &v)| v == (j / 7) as u32 + 1), "each chunk written once, by its own task");
    }
}
