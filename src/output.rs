//! Writing output files so that a failure never leaves a half-written file behind: each file
//! goes to a temporary name in the same folder and is renamed into place only when all are
//! written.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::bail_input;

fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes every `(path, bytes)` or none of them.
pub fn write_files_atomically(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, bytes) in files {
        let tmp = temp_name(path);
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
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
    for (i, (path, _)) in files.iter().enumerate() {
        if let Err(e) = std::fs::rename(&temps[i], path) {
            cleanup(&temps[i..]);
            bail_input!(
                "{}: cannot move the finished file into place ({e})",
                path.display()
            );
        }
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
        let err = write_files_atomically(&[(&good, b"x"), (&bad, b"y")]).unwrap_err();
        assert!(err.to_string().contains("b.csv"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temp or final file left"
        );
    }

    #[test]
    fn writes_all_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write_files_atomically(&[(&a, b"1"), (&b, b"2")]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
    }
}
