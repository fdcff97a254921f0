//! A second thread, started with the process, for work a command hands out in its first
//! milliseconds.
//!
//! A thread started later may wait for a processor as long as the work it was started for: on
//! a virtual machine whose idle processors halt, waking one takes from 0.1 to 3 ms, and a
//! search of 100 000 records takes about 12. Started first thing in `main`, the spare thread
//! finds the other processor still awake and keeps it so, spinning, until it is given work
//! ([`run`]), told there is none ([`release`]), or [`SPIN_LIMIT`] passes; then it ends.
//! A process that never called [`start`] (tests, the terminal UI) has no spare thread:
//! [`run`] gives the work back and the caller starts a thread as usual.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Work for the spare thread.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// How long the spare thread waits for work, from its start.
pub const SPIN_LIMIT: Duration = Duration::from_millis(10);

const WAITING: u8 = 0;
const GIVEN: u8 = 1;
const CLOSED: u8 = 2;

struct Spare {
    state: AtomicU8,
    job: Mutex<Option<Job>>,
}

static SPARE: OnceLock<Arc<Spare>> = OnceLock::new();

/// Starts the spare thread (once per process; later calls do nothing). Nothing happens when
/// the process may run on one processor only (the thread would take it from the work), or
/// when the thread cannot be started.
pub fn start() {
    let processors = rustix::thread::sched_getaffinity(None).map_or(1, |set| set.count());
    if processors < 2 {
        return;
    }
    let mut started = false;
    let spare = SPARE.get_or_init(|| {
        started = true;
        Arc::new(Spare {
            state: AtomicU8::new(WAITING),
            job: Mutex::new(None),
        })
    });
    if !started {
        return;
    }
    let spare = Arc::clone(spare);
    let run = move || {
        let begun = Instant::now();
        loop {
            match spare.state.load(Ordering::Acquire) {
                GIVEN => {
                    let job = spare.job.lock().ok().and_then(|mut j| j.take());
                    if let Some(job) = job {
                        job();
                    }
                    return;
                }
                CLOSED => return,
                _ if begun.elapsed() > SPIN_LIMIT => {
                    // Close, unless work arrived meanwhile (then take it next round).
                    let _ = spare.state.compare_exchange(
                        WAITING,
                        CLOSED,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                }
                _ => std::hint::spin_loop(),
            }
        }
    };
    if std::thread::Builder::new()
        .name("kehoach-spare".into())
        .spawn(run)
        .is_err()
        && let Some(s) = SPARE.get()
    {
        s.state.store(CLOSED, Ordering::Release);
    }
}

/// Hands `job` to the spare thread; gives it back when there is none waiting (never started,
/// already given work, released, or past [`SPIN_LIMIT`]).
pub fn run(job: Job) -> Result<(), Job> {
    let Some(spare) = SPARE.get() else {
        return Err(job);
    };
    if spare.state.load(Ordering::Acquire) != WAITING {
        return Err(job);
    }
    let Ok(mut slot) = spare.job.lock() else {
        return Err(job);
    };
    *slot = Some(job);
    drop(slot);
    match spare
        .state
        .compare_exchange(WAITING, GIVEN, Ordering::AcqRel, Ordering::Acquire)
    {
        Ok(_) => Ok(()),
        Err(_) => match spare.job.lock().ok().and_then(|mut j| j.take()) {
            Some(job) => Err(job),
            // The thread cannot have taken it without the state being GIVEN.
            None => Ok(()),
        },
    }
}

/// Tells the spare thread that no work is coming: it ends now instead of spinning on.
pub fn release() {
    if let Some(spare) = SPARE.get() {
        let _ = spare
            .state
            .compare_exchange(WAITING, CLOSED, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// Runs `job` on the spare thread, or on a new thread when there is none waiting.
pub fn run_or_spawn(name: &str, job: Job) -> std::io::Result<()> {
    match run(job) {
        Ok(()) => Ok(()),
        Err(job) => std::thread::Builder::new()
            .name(name.into())
            .spawn(job)
            .map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    // One test: the spare thread is per process, and tests share the process.
    #[test]
    fn the_spare_thread_takes_one_job_then_gives_work_back() {
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        // Before start: given back.
        assert!(run(Box::new(|| {})).is_err());
        let started = Instant::now();
        start();
        start();
        let main = std::thread::current().id();
        let job = Box::new(move || tx.send(std::thread::current().id()).unwrap());
        if run(job).is_err() {
            // Only on one processor (no spare thread), or when this thread did not run for
            // the whole wait (a loaded machine).
            let one = rustix::thread::sched_getaffinity(None).is_ok_and(|s| s.count() < 2);
            assert!(one || started.elapsed() >= SPIN_LIMIT);
            return;
        }
        let ran_on = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(ran_on, main);
        // Taken: the next job comes back, and run_or_spawn starts a thread for it.
        let back = run(Box::new(|| {}));
        assert!(back.is_err());
        run_or_spawn(
            "test",
            Box::new(move || tx2.send(std::thread::current().id()).unwrap()),
        )
        .unwrap();
        let second = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(second, main);
        release();
    }
}
