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

/// A thread waiting for one job.
struct Spare {
    state: AtomicU8,
    job: Mutex<Option<Job>>,
}

impl Spare {
    fn new() -> Spare {
        Spare {
            state: AtomicU8::new(WAITING),
            job: Mutex::new(None),
        }
    }

    /// The spare thread's life: spin until work is given (then do it), the spare is closed,
    /// or `limit` passes.
    fn serve(&self, limit: Duration) {
        let begun = Instant::now();
        loop {
            match self.state.load(Ordering::Acquire) {
                GIVEN => {
                    // The giver holds the slot until the job is in it.
                    let job = self.job.lock().ok().and_then(|mut j| j.take());
                    if let Some(job) = job {
                        job();
                    }
                    return;
                }
                CLOSED => return,
                _ if begun.elapsed() > limit => {
                    // Close, unless work arrived meanwhile (then take it next round).
                    let _ = self.state.compare_exchange(
                        WAITING,
                        CLOSED,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                }
                _ => std::hint::spin_loop(),
            }
        }
    }

    /// Gives `job` to the thread; gives it back when the thread is not waiting.
    fn give(&self, job: Job) -> Result<(), Job> {
        if self.state.load(Ordering::Acquire) != WAITING {
            return Err(job);
        }
        // The slot is held while the state changes: one caller only gives work, and the
        // thread, which takes the slot once it sees the work given, finds it there.
        let Ok(mut slot) = self.job.lock() else {
            return Err(job);
        };
        if self
            .state
            .compare_exchange(WAITING, GIVEN, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(job);
        }
        *slot = Some(job);
        Ok(())
    }

    fn close(&self) {
        let _ = self
            .state
            .compare_exchange(WAITING, CLOSED, Ordering::AcqRel, Ordering::Acquire);
    }
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
        Arc::new(Spare::new())
    });
    if !started {
        return;
    }
    let spare = Arc::clone(spare);
    let closer = Arc::clone(&spare);
    if std::thread::Builder::new()
        .name("kehoach-spare".into())
        .spawn(move || spare.serve(SPIN_LIMIT))
        .is_err()
    {
        closer.close();
    }
}

/// Hands `job` to the spare thread; gives it back when there is none waiting (never started,
/// already given work, released, or past [`SPIN_LIMIT`]).
pub fn run(job: Job) -> Result<(), Job> {
    match SPARE.get() {
        Some(spare) => spare.give(job),
        None => Err(job),
    }
}

/// Tells the spare thread that no work is coming: it ends now instead of spinning on.
pub fn release() {
    if let Some(spare) = SPARE.get() {
        spare.close();
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
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    #[test]
    fn one_of_many_givers_gives_and_every_job_runs_once() {
        for _ in 0..50 {
            let spare = Arc::new(Spare::new());
            let server = {
                let s = Arc::clone(&spare);
                std::thread::spawn(move || s.serve(Duration::from_secs(60)))
            };
            let ran = Arc::new(AtomicUsize::new(0));
            let givers: Vec<_> = (0..4)
                .map(|_| {
                    let (spare, ran) = (Arc::clone(&spare), Arc::clone(&ran));
                    std::thread::spawn(move || {
                        let r = Arc::clone(&ran);
                        let job: Job = Box::new(move || {
                            r.fetch_add(1, Ordering::SeqCst);
                        });
                        match spare.give(job) {
                            Ok(()) => 1,
                            Err(job) => {
                                job();
                                0
                            }
                        }
                    })
                })
                .collect();
            let given: usize = givers.into_iter().map(|g| g.join().unwrap()).sum();
            server.join().unwrap();
            assert_eq!(given, 1);
            assert_eq!(ran.load(Ordering::SeqCst), 4);
        }
    }

    #[test]
    fn a_closed_or_timed_out_spare_gives_work_back() {
        let spare = Spare::new();
        spare.close();
        assert!(spare.give(Box::new(|| {})).is_err());
        let spare = Spare::new();
        spare.serve(Duration::from_millis(1));
        assert!(spare.give(Box::new(|| {})).is_err());
    }

    // The process's spare thread: one test, as tests share the process.
    #[test]
    fn the_process_spare_takes_one_job_then_threads_are_started() {
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
        assert!(run(Box::new(|| {})).is_err());
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
