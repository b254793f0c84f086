//! Ctrl-C during training: the first one asks burn's [`Interrupter`] to stop after the current
//! step (finished epochs are already checkpointed, so `--resume` continues from them); a second
//! one ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use burn::train::Interrupter;

static REQUESTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe work here: set a flag, and let a second Ctrl-C kill the process.
    REQUESTED.store(true, Ordering::SeqCst);
    // SAFETY: restoring the default disposition is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Watches for Ctrl-C until the returned guard is dropped.
pub struct CtrlC {
    done: std::sync::Arc<AtomicBool>,
}

impl CtrlC {
    pub fn watch(interrupter: Interrupter) -> Self {
        REQUESTED.store(false, Ordering::SeqCst);
        #[cfg(unix)]
        // SAFETY: installs a handler that only touches an atomic and resets the disposition.
        unsafe {
            libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
        }
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let watching = done.clone();
        std::thread::spawn(move || {
            while !watching.load(Ordering::SeqCst) {
                if REQUESTED.swap(false, Ordering::SeqCst) {
                    eprintln!("\ncamtag: stopping after this step (Ctrl-C again to quit at once)");
                    interrupter.stop(Some("Ctrl-C"));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { done }
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        #[cfg(unix)]
        // SAFETY: back to the default disposition once training is over.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }
}
