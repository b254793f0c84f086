//! Ctrl-C during training: the first one asks burn's [`Interrupter`] to stop after the current
//! step (finished epochs are already checkpointed, so `--resume` continues from them); a second
//! one, or one while no training runs, ends the process at once (exit status 130, as a shell
//! reports SIGINT). The `ctrlc` crate catches it on every OS (SIGINT on Unix, the console's
//! Ctrl-C and Ctrl-Break on Windows); its handler runs on a thread of its own, so it may lock
//! and print.

use std::sync::{Mutex, Once};

use burn::train::Interrupter;

/// The training being watched, and whether it was already asked to stop.
static WATCHED: Mutex<Option<(Interrupter, bool)>> = Mutex::new(None);
static INSTALL: Once = Once::new();

fn on_ctrl_c() {
    let mut watched = WATCHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match watched.as_mut() {
        Some((interrupter, asked)) if !*asked => {
            *asked = true;
            eprintln!("\ncamtag: stopping after this step (Ctrl-C again to quit at once)");
            interrupter.stop(Some("Ctrl-C"));
        }
        _ => std::process::exit(130),
    }
}

/// Watches for Ctrl-C until the returned guard is dropped.
pub struct CtrlC(());

impl CtrlC {
    pub fn watch(interrupter: Interrupter) -> Self {
        // One handler per process (the crate allows no second): it reads `WATCHED`. Where it
        // cannot be installed, Ctrl-C keeps its default (the process ends; `--resume` still works).
        INSTALL.call_once(|| {
            if let Err(e) = ctrlc::set_handler(on_ctrl_c) {
                eprintln!("camtag: Ctrl-C will end training at once ({e})");
            }
        });
        *WATCHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((interrupter, false));
        Self(())
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        *WATCHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}
