//! A progress line on stderr for scans that take more than a moment, and
//! only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyhound::scan::Counters;

/// How long a scan runs before progress shows.
const DELAY: Duration = Duration::from_millis(400);

pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts watching `counters` if stderr is a terminal and `enabled`.
    pub fn start(counters: Arc<Counters>, enabled: bool) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress { done, thread: None };
        }
        let flag = done.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while started.elapsed() < DELAY {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let mut with_total = false;
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            while !flag.load(Ordering::Relaxed) {
                let files = counters.files.load(Ordering::Relaxed);
                let bytes = counters.bytes.load(Ordering::Relaxed);
                let total = counters.total.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                let rate = HumanBytes((bytes as f64 / secs) as u64);
                if total > 0 {
                    // A history scan knows how many blobs it will read.
                    if !with_total {
                        with_total = true;
                        bar.set_length(total);
                        bar.set_style(
                            ProgressStyle::with_template(
                                "{bar:20} {pos}/{len} blobs {msg} ETA {eta}",
                            )
                            .expect("valid template"),
                        );
                    }
                    bar.set_position(files);
                    bar.set_message(format!("{} ({rate}/s)", HumanBytes(bytes)));
                } else if files == 0 {
                    // Before the first file: a history scan reads the commit graph.
                    bar.set_message("reading…");
                } else {
                    bar.set_message(format!(
                        "scanning: {files} files, {} ({rate}/s)",
                        HumanBytes(bytes)
                    ));
                }
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
