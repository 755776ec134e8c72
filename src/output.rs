//! The one output-path policy, for every file segscope writes:
//! - only regular files are written or replaced: never a symlink (followed or replaced), a
//!   device, a FIFO or a folder;
//! - an existing file is replaced only with `--force`;
//! - each file goes to a new temporary name in the same folder (created exclusively, so a
//!   planted link at that name is never followed) and is renamed into place only when all are
//!   written; temporary files are removed on every exit path, signals included
//!   ([`remove_temporaries`], called by the headless commands' signal handler).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;

use crate::bail_input;

/// Temporary files being written, so a signal can remove them before the process ends.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Removes every temporary file still registered (a signal arrived mid-write).
pub fn remove_temporaries() {
    let temps = match TEMPORARIES.lock() {
        Ok(mut t) => std::mem::take(&mut *t),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for t in temps {
        let _ = std::fs::remove_file(t);
    }
}

fn register(tmp: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.push(tmp.to_path_buf());
    }
}

fn unregister(tmp: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.retain(|p| p != tmp);
    }
}

/// Refuses any target that is not a new or regular file, and an existing one unless `force`:
/// the policy's checks, made before any work so a refusal costs nothing.
pub fn check_targets(paths: &[&Path], force: bool) -> Result<()> {
    for p in paths {
        let Ok(meta) = std::fs::symlink_metadata(p) else {
            continue;
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            bail_input!(
                "{}: is a symbolic link; segscope never writes through or replaces a link: give the real file's path",
                p.display()
            );
        }
        if !kind.is_file() {
            bail_input!(
                "{}: is not a regular file (a folder, device or FIFO); give the path of a file to write",
                p.display()
            );
        }
        if !force {
            bail_input!(
                "{}: already exists; pass --force to overwrite it",
                p.display()
            );
        }
    }
    Ok(())
}

/// Writes every `(path, bytes)` or none of them, under the policy above.
pub fn write_files_atomically(files: &[(&Path, &[u8])], force: bool) -> Result<()> {
    let paths: Vec<&Path> = files.iter().map(|(p, _)| *p).collect();
    check_targets(&paths, force)?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
            unregister(t);
        }
    };
    for (path, bytes) in files {
        let tmp = temp_name(path);
        let _ = std::fs::remove_file(&tmp);
        register(&tmp);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(bytes)?;
                f.sync_all()
            });
        temps.push(tmp);
        if let Err(e) = written {
            cleanup(&temps);
            bail_input!(
                "{}: cannot write ({e}); check the folder exists, is writable and has space",
                path.display()
            );
        }
    }
    // Checked again just before the renames: nothing may have put a link there meanwhile.
    if let Err(e) = check_targets(&paths, force) {
        cleanup(&temps);
        return Err(e);
    }
    for (i, (path, _)) in files.iter().enumerate() {
        if let Err(e) = std::fs::rename(&temps[i], path) {
            cleanup(&temps[i..]);
            bail_input!(
                "{}: cannot move the finished file into place ({e})",
                path.display()
            );
        }
        unregister(&temps[i]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.csv");
        let bad = dir.path().join("missing-folder").join("b.csv");
        let err = write_files_atomically(&[(&good, b"x"), (&bad, b"y")], false).unwrap_err();
        assert!(err.to_string().contains("b.csv"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temp or final file left"
        );
        // Other tests share the registry and run in parallel: only this test's folder counts.
        let registered = TEMPORARIES.lock().unwrap().clone();
        assert!(
            registered.iter().all(|t| !t.starts_with(dir.path())),
            "{registered:?}"
        );
    }

    #[test]
    fn writes_all_files_and_replaces_only_regular_files_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write_files_atomically(&[(&a, b"1"), (&b, b"2")], false).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
        let e = write_files_atomically(&[(&a, b"3")], false).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        write_files_atomically(&[(&a, b"3")], true).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"3");
        // A link is never followed nor replaced, even with --force.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&b, &link).unwrap();
        let e = write_files_atomically(&[(&link, b"4")], true).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
        // A folder (or device, or FIFO) is not a file to write.
        let e = write_files_atomically(&[(dir.path(), b"5")], true).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn a_signal_mid_write_removes_the_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_name(&dir.path().join("x.csv"));
        std::fs::write(&tmp, b"half").unwrap();
        register(&tmp);
        remove_temporaries();
        assert!(!tmp.exists());
    }
}
