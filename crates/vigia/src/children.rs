//! Daemons this process started (`vigia run`, `vigia demo ha`): stopping them the way a daemon
//! expects, so that each saves its state.
use std::process::Child;
use std::time::{Duration, Instant};

/// SIGTERM to every child, then waits up to `grace` for them all; SIGKILL to whichever is still
/// there. Returns how many needed SIGKILL.
pub fn stop(children: &mut [&mut Child], grace: Duration) -> usize {
    for child in children.iter() {
        // SAFETY: plain kill(2) of our own child, not yet reaped.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
    }
    let start = Instant::now();
    let mut killed = 0;
    for child in children.iter_mut() {
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if start.elapsed() < grace => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    killed += 1;
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
    }
    killed
}
