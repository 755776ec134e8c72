//! Work in parallel, with one rule: a worker that panics propagates its panic to the caller,
//! never a partial result (a dropped chunk of rows would shift every later row's results onto
//! the wrong customer).

use std::thread::ScopedJoinHandle;

/// Threads worth using on this machine.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |p| p.get())
}

/// `f(0), .., f(n - 1)`, each on its own scoped thread, in order: independent pieces of one
/// result (segments' profiles, columns' quantiles, parts of a scatter).
pub fn map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| join((0..n).map(|i| s.spawn(move || f(i))).collect()))
}

/// `(other(), here())`: `other` on a second thread while `here` runs on this one (a second,
/// independent step beside the long one).
pub fn beside<A: Send, B>(other: impl FnOnce() -> A + Send, here: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let handle = s.spawn(other);
        let b = here();
        let a = handle
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (a, b)
    })
}

/// The result of a background thread started with `std::thread::spawn` (work that outlives
/// the call that began it); its panic is resumed here.
pub fn joined<T>(handle: std::thread::JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Joins scoped threads in order; a thread's panic is resumed here.
pub fn join<T>(handles: Vec<ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        .collect()
}

/// Results of `f(i)` for `i` in `0..n`, in order, computed by [`threads`] workers taking the
/// next `chunk` indices from a shared counter (uneven work balances itself).
pub fn map_chunked<T: Send>(n: usize, chunk: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let chunk = chunk.max(1);
    let starts: Vec<usize> = (0..n).step_by(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = threads().min(starts.len()).max(1);
    let work = || {
        let mut done: Vec<(usize, Vec<T>)> = Vec::new();
        loop {
            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&start) = starts.get(c) else { break };
            done.push((start, (start..(start + chunk).min(n)).map(&f).collect()));
        }
        done
    };
    let mut parts: Vec<(usize, Vec<T>)> = map(workers, |_| work()).into_iter().flatten().collect();
    parts.sort_by_key(|(start, _)| *start);
    parts.into_iter().flat_map(|(_, part)| part).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order() {
        assert_eq!(map(5, |i| i * i), vec![0, 1, 4, 9, 16]);
        let v = map_chunked(1000, 7, |i| i + 1);
        assert_eq!(v, (1..=1000).collect::<Vec<_>>());
        assert!(map_chunked(0, 7, |i| i).is_empty());
    }

    #[test]
    fn a_panicking_worker_panics_the_caller_instead_of_dropping_its_rows() {
        // With `join().unwrap_or_default()` the caller got 990 rows, every one after the lost
        // chunk shifted onto the wrong index.
        let r = std::panic::catch_unwind(|| {
            map_chunked(1000, 10, |i| {
                if i == 500 {
                    panic!("row 500");
                }
                i
            })
        });
        assert!(r.is_err());
        let r = std::panic::catch_unwind(|| map(4, |i| if i == 2 { panic!("part 2") } else { i }));
        assert!(r.is_err());
        let r = std::panic::catch_unwind(|| beside(|| panic!("the other"), || 1));
        assert!(r.is_err());
        assert_eq!(beside(|| 1, || 2), (1, 2));
    }
}
