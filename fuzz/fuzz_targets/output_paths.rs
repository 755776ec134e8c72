//! Arbitrary file names (and what may already be there: nothing, a file, a folder, a link)
//! through the one output-path policy: it must never panic, never write through or replace a
//! link or a folder, replace a file only with force, and leave no temporary file behind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, u8, bool)| {
    let (name, existing, force) = input;
    let name: String = name.chars().filter(|c| *c != '/' && *c != '\0').take(64).collect();
    if name.is_empty() || name == "." || name == ".." {
        return;
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    let target = dir.path().join(&name);
    let other = dir.path().join("other-file");
    let _ = std::fs::write(&other, b"other");
    match existing % 4 {
        1 => {
            let _ = std::fs::write(&target, b"old");
        }
        2 => {
            let _ = std::fs::create_dir(&target);
        }
        3 => {
            let _ = std::os::unix::fs::symlink(&other, &target);
        }
        _ => {}
    }
    let before = std::fs::symlink_metadata(&target).ok().map(|m| m.file_type());
    let result = segscope::output::write_files_atomically(&[(&target, b"new")], force);
    let after = std::fs::symlink_metadata(&target).ok().map(|m| m.file_type());
    match before {
        Some(t) if t.is_symlink() || t.is_dir() => {
            assert!(result.is_err());
            assert_eq!(after, Some(t));
        }
        Some(_) if !force => assert!(result.is_err()),
        _ => {}
    }
    assert_eq!(std::fs::read(&other).unwrap_or_default(), b"other");
    let leftovers = std::fs::read_dir(dir.path())
        .map(|d| d.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0);
});
