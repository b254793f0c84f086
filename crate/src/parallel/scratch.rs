//! Per-thread scratch buffers, kept from call to call so that a kernel's strips and planes are
//! not allocated and zeroed anew for every band of every layer (BENCHMARKS.md: "strip buffers and
//! depthwise planes kept per thread").

use std::cell::RefCell;

thread_local! {
    static BUFFERS: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `N` buffers of the given lengths, kept by this thread from call to call: zeroed
/// only where they grow, otherwise holding whatever the last call left (callers write before they
/// read). A nested call on the same thread gets fresh ones.
pub(crate) fn with_buffers<const N: usize, R>(lens: [usize; N], f: impl FnOnce([&mut [f32]; N]) -> R) -> R {
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => {
            if buffers.len() < N {
                buffers.resize_with(N, Vec::new);
            }
            f(slices(&mut buffers, lens))
        }
        Err(_) => f(slices(&mut (0..N).map(|_| Vec::new()).collect::<Vec<_>>(), lens)),
    })
}

/// The first `N` buffers, each grown (with zeros) to at least its length and cut to it.
fn slices<const N: usize>(buffers: &mut [Vec<f32>], lens: [usize; N]) -> [&mut [f32]; N] {
    let mut buffers = buffers.iter_mut();
    std::array::from_fn(|i| {
        let buffer = buffers.next().expect("N buffers");
        if buffer.len() < lens[i] {
            buffer.resize(lens[i], 0.0);
        }
        &mut buffer[..lens[i]]
    })
}
