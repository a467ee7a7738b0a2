//! Keeping a history scan's memory bounded. gitoxide maps each pack file
//! whole, and a full-history scan touches nearly every page of it, so the
//! resident set would grow to the size of the packs. Every so often the
//! scan tells the kernel it no longer needs those pages: they are clean,
//! read-only file pages, and a later read simply faults them back in from
//! the page cache (Linux only; elsewhere nothing is done).

use std::sync::atomic::{AtomicU64, Ordering};

/// Drops this process's resident pages of every mapped `*.pack` file.
#[cfg(target_os = "linux")]
pub fn drop_pack_pages() {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines().filter(|l| l.ends_with(".pack")) {
        let range = line.split_whitespace().next().unwrap_or("");
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else {
            continue;
        };
        // SAFETY: `a..b` is a read-only file mapping of this process (a pack
        // mapped by gitoxide). MADV_DONTNEED only discards its page-table
        // entries; the next access reads the same bytes from the file.
        unsafe {
            libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn drop_pack_pages() {}

/// Calls [`drop_pack_pages`] every `every` units of work, from any thread.
#[derive(Debug)]
pub struct Trimmer {
    every: u64,
    done: AtomicU64,
}

impl Trimmer {
    pub fn new(every: u64) -> Self {
        Trimmer {
            every,
            done: AtomicU64::new(0),
        }
    }

    pub fn add(&self, n: u64) {
        if self.every == 0 {
            return;
        }
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        if before / self.every != (before + n) / self.every {
            drop_pack_pages();
        }
    }
}
