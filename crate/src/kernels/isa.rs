//! Which instruction set the kernels' inner loops are compiled for, and [`dispatch!`], the one
//! place that turns a choice of instruction set into a call of the loops built for it.

/// An instruction set the kernels are built for: on x86-64 AVX-512 (16-wide fused multiply-adds)
/// or AVX2 with FMA (8-wide), found at run time (std checks once and caches); elsewhere the loops
/// as the target compiles them (SSE2 natively, SIMD128 in the wasm SIMD packages, scalar in the
/// baseline one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// AVX-512 Foundation (which implies FMA; the loops also use AVX2's).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return if std::arch::is_x86_feature_detected!("avx512f") { Self::Avx512 } else { Self::Avx2Fma };
        }
        Self::Portable
    }

    /// Every instruction set this CPU runs, narrowest first: the tests compare them.
    #[cfg(test)]
    pub fn available() -> Vec<Self> {
        let all = [
            Self::Portable,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Fma,
            #[cfg(target_arch = "x86_64")]
            Self::Avx512,
        ];
        let widest = all.iter().position(|&isa| isa == Self::detect()).expect("detect picks one of them");
        all[..=widest].to_vec()
    }
}

/// `dispatch! { unsafe fn name(args) => loops }` defines `unsafe fn name(isa: Isa, args)`, which
/// runs `loops::<V>(args)` with `V` the [`Vector`](super::vector::Vector) of `isa`, each build
/// inside a function compiled with that instruction set's target features (so that the generic
/// loops, inlined there, use its instructions). Extra generic parameters follow `V`:
/// `dispatch! { unsafe fn name<T: Slot>(args) => loops }` calls `loops::<V, T>`.
///
/// The generated function is `unsafe` for the loops' own promises; the instruction set itself is
/// sound to use because an [`Isa`] other than `Portable` comes from [`Isa::detect`] (or the tests'
/// [`Isa::available`]), which found it on this CPU.
macro_rules! dispatch {
    ($(#[$meta:meta])* $vis:vis unsafe fn $name:ident $(<$($g:ident: $bound:path),+>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $loops:ident) => {
        $(#[$meta])*
        $vis unsafe fn $name$(<$($g: $bound),+>)?(isa: $crate::kernels::isa::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2_fma$(<$($g: $bound),+>)?($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: compiled with AVX2 and FMA, reached only where `Isa::detect` found both;
                // the rest is the caller's promise.
                unsafe { $loops::<$crate::kernels::vector::Avx2Fma $($(, $g)+)?>($($arg),*) }
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            unsafe fn avx512$(<$($g: $bound),+>)?($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: compiled with AVX-512 Foundation, reached only where `Isa::detect` found
                // it; the rest is the caller's promise.
                unsafe { $loops::<$crate::kernels::vector::Avx512 $($(, $g)+)?>($($arg),*) }
            }
            match isa {
                // SAFETY: plain arrays run anywhere, and SIMD128 is in the build only where the
                // package was compiled for it (see `vector::Portable`); the caller's promise.
                $crate::kernels::isa::Isa::Portable => unsafe { $loops::<$crate::kernels::vector::Portable $($(, $g)+)?>($($arg),*) },
                // SAFETY: as the functions above say.
                #[cfg(target_arch = "x86_64")]
                $crate::kernels::isa::Isa::Avx2Fma => unsafe { avx2_fma$(::<$($g),+>)?($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                $crate::kernels::isa::Isa::Avx512 => unsafe { avx512$(::<$($g),+>)?($($arg),*) },
            }
        }
    };
}

pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::Isa;

    /// The kernels' tests compare every instruction set in [`Isa::available`]: this one says
    /// which those are on this machine (`tests/run.sh` shows its output), and fails where
    /// `CAMTAG_REQUIRE_ISA` (e.g. `avx512`, or `avx2,avx512`) names one this CPU lacks, so a
    /// machine meant to cover AVX-512 cannot skip it silently.
    #[test]
    fn the_instruction_sets_the_kernel_tests_compare() {
        let names: Vec<&str> = Isa::available()
            .iter()
            .map(|isa| match isa {
                Isa::Portable => "portable",
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2Fma => "avx2",
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => "avx512",
            })
            .collect();
        println!("kernel tests ran on: {} (the widest this CPU runs: {:?})", names.join(", "), Isa::detect());
        let required = std::env::var("CAMTAG_REQUIRE_ISA").unwrap_or_default();
        for wanted in required.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            assert!(names.contains(&wanted), "CAMTAG_REQUIRE_ISA wants {wanted}, but this CPU runs only {names:?}");
        }
    }
}
