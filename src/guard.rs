//! The last line of defence for faults no `Result` can carry: a file mapped for reading that
//! another process truncates raises SIGBUS when the parse reaches the missing pages. The
//! handler says which file, gives the terminal back if the app holds it, and exits 2, instead
//! of dying with "Bus error" and a terminal left raw in the alternate screen.
//!
//! Only async-signal-safe calls run in the handler: write(2) of bytes prepared beforehand,
//! tcsetattr(3) with the terminal settings saved before the app took the terminal, _exit(2).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The message for the file being read, prepared before it is mapped (leaked: one per file).
static MESSAGE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static MESSAGE_LEN: AtomicUsize = AtomicUsize::new(0);
/// The terminal's settings before the app made it raw, when the app runs.
static TERMINAL: OnceLock<libc::termios> = OnceLock::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Arms the handler for reading the mapped file `name`.
pub fn reading(name: &str) {
    install();
    let text = format!(
        "segscope: {}: the file changed or was cut short while it was read (SIGBUS); read it again once it is complete, or copy it first\n",
        crate::report::sanitize(name)
    );
    let bytes: &'static mut [u8] = Box::leak(text.into_bytes().into_boxed_slice());
    MESSAGE_LEN.store(bytes.len(), Ordering::SeqCst);
    MESSAGE.store(bytes.as_mut_ptr(), Ordering::SeqCst);
}

/// Saves the terminal's settings before the app makes it raw, so a fault can restore them.
pub fn save_terminal() {
    install();
    // SAFETY: tcgetattr writes a termios for the terminal on fd 0, or fails and writes nothing.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0 {
            let _ = TERMINAL.set(t);
        }
    }
}

fn install() {
    INSTALLED.get_or_init(|| {
        // SAFETY: the action only makes async-signal-safe calls and never returns.
        unsafe { signal_hook::low_level::register(signal_hook::consts::SIGBUS, on_bus).is_ok() }
    });
}

fn on_bus() {
    // SAFETY: write, tcsetattr and _exit are async-signal-safe; the message and the termios
    // were made before the handler could run and are never freed.
    unsafe {
        if let Some(t) = TERMINAL.get() {
            let leave = b"\x1b[?1049l\x1b[?25h\r\n";
            libc::write(libc::STDOUT_FILENO, leave.as_ptr().cast(), leave.len());
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t);
        }
        let p = MESSAGE.load(Ordering::SeqCst);
        let n = MESSAGE_LEN.load(Ordering::SeqCst);
        if !p.is_null() {
            libc::write(libc::STDERR_FILENO, p.cast(), n);
        }
        libc::_exit(2);
    }
}
