//! A convolution's shape, as the kernels take it.

/// One convolution's shape, NCHW, square kernel, dilation 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    /// Input `[height, width]`.
    pub size: [usize; 2],
    pub kernel: usize,
    pub stride: usize,
    /// `[top, left, bottom, right]`, as burn's `PaddingConfig2d::Explicit`.
    pub padding: [usize; 4],
}

impl Geometry {
    /// Output `[height, width]`.
    pub fn out_size(&self) -> [usize; 2] {
        let [h, w] = self.size;
        let [top, left, bottom, right] = self.padding;
        [(h + top + bottom - self.kernel) / self.stride + 1, (w + left + right - self.kernel) / self.stride + 1]
    }

    pub(crate) fn in_per_group(&self) -> usize {
        self.in_channels / self.groups
    }

    pub(crate) fn out_per_group(&self) -> usize {
        self.out_channels / self.groups
    }

    /// Taps summed per output value.
    pub fn taps(&self) -> usize {
        self.in_per_group() * self.kernel * self.kernel
    }
}
