//! Runtime choice of vector instructions for the hot distance and similarity loops. Each kernel
//! is written once as plain Rust; on x86-64 CPUs with AVX2 the same code is compiled a second
//! time with AVX2 enabled and picked at run time. No fused multiply-add is used, so both
//! versions round identically and results do not depend on the machine.

use std::sync::OnceLock;

/// Whether this CPU runs the AVX2 versions.
pub fn avx2() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Defines `$name` calling `$body` (an `#[inline(always)]` fn with the same signature), through
/// an AVX2-compiled copy when the CPU has it.
#[macro_export]
macro_rules! simd_dispatch {
    ($vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident) => {
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if $crate::analysis::simd::avx2() {
                    // SAFETY: the CPU was checked for AVX2 above.
                    return unsafe { wide($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
